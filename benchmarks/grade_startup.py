"""Start-up benchmark: ``gist-tox grade examples/<visit>`` against importing its libraries.

The goal (issue 2) is a median wall time of at most 1.5x that of

    python -c "import typer, yaml; from pydantic import BaseModel; \
               from rich.console import Console; from rich.table import Table"

Both commands are run alternately in one process, so that machine load affects them alike; the
script prints each median and the ratio.  Run it from the repository root with the project's
interpreter:  ``.venv/bin/python benchmarks/grade_startup.py [--runs N] [--visit PATH]``.
It is a benchmark, not a test: it exits 0 whatever the ratio, unless ``--max-ratio`` is given.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
BASELINE_CODE = (
    "import typer, yaml; from pydantic import BaseModel; "
    "from rich.console import Console; from rich.table import Table"
)
GOAL = 1.5
# For scale: the same imports, then one one-field model built and validated once (what a first
# validation costs when pydantic builds its validator from scratch; gist-tox keeps the visit's
# validator across runs instead, src/gist_tox/validators.py).
PYDANTIC_FLOOR_CODE = (
    BASELINE_CODE + "\nclass A(BaseModel):\n    x: int\nA.model_validate({'x': 1})"
)


# As a user runs it: bytecode is cached after the first run (some sandboxes set
# PYTHONDONTWRITEBYTECODE, which would recompile gist_tox, but not the site-packages libraries
# of the baseline, on every run).
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"} | {"NO_COLOR": "1"}


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def wall_time(command: list[str]) -> tuple[float, float]:
    """Wall time and CPU time (user + system) of one run of ``command``."""
    cpu = _children_cpu()
    start = time.perf_counter()
    done = subprocess.run(
        command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=REPO, env=ENV, check=False
    )
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        sys.exit(
            f"benchmark: {' '.join(command)} failed ({done.returncode}):"
            f" {done.stderr.decode(errors='replace').strip()}"
        )
    return elapsed, _children_cpu() - cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=21, help="runs of each command (default 21)")
    parser.add_argument(
        "--visit",
        default="examples/hwang-2010-worst-visit.yaml",
        help="visit to grade (default: the published case's worst visit)",
    )
    parser.add_argument("--format", default="table", choices=["table", "json"])
    parser.add_argument(
        "--max-ratio", type=float, default=None, help="exit 1 when the ratio is above this"
    )
    args = parser.parse_args()

    script = Path(sys.executable).with_name("gist-tox")
    grade = [
        str(script) if script.exists() else sys.executable,
        *([] if script.exists() else ["-m", "gist_tox"]),
        "grade",
        "--format",
        args.format,
        args.visit,
    ]
    baseline = [sys.executable, "-c", BASELINE_CODE]
    pydantic_floor = [sys.executable, "-c", PYDANTIC_FLOOR_CODE]

    wall_time(grade), wall_time(baseline)  # warm the file cache for both
    grade_runs: list[tuple[float, float]] = []
    baseline_runs: list[tuple[float, float]] = []
    floor_runs: list[tuple[float, float]] = []
    for _ in range(args.runs):  # alternate, so that load on the machine hits all alike
        grade_runs.append(wall_time(grade))
        baseline_runs.append(wall_time(baseline))
        floor_runs.append(wall_time(pydantic_floor))
    grade_wall, grade_cpu = (statistics.median(x) for x in zip(*grade_runs, strict=True))
    base_wall, base_cpu = (statistics.median(x) for x in zip(*baseline_runs, strict=True))
    ratio = grade_wall / base_wall
    print(
        f"gist-tox grade {args.visit} --format {args.format}: median wall"
        f" {grade_wall * 1000:.1f} ms (cpu {grade_cpu * 1000:.1f} ms) over {args.runs} runs"
    )
    print(
        f"python -c 'import typer, yaml, pydantic, rich.console, rich.table': median wall"
        f" {base_wall * 1000:.1f} ms (cpu {base_cpu * 1000:.1f} ms) over {args.runs} runs"
    )
    floor_wall = statistics.median(w for w, _ in floor_runs)
    print(
        f"for scale, the same + one pydantic model built and validated once: median wall"
        f" {floor_wall * 1000:.1f} ms = {floor_wall / base_wall:.2f} x the libraries' import"
    )
    print(f"cpu-time ratio {grade_cpu / base_cpu:.2f} (less sensitive to a busy machine)")
    print(
        f"ratio {ratio:.2f} (median wall time; goal <= {GOAL})"
        f"  {'ok' if ratio <= GOAL else 'OVER GOAL'}"
    )
    if args.max_ratio is not None and ratio > args.max_ratio:
        sys.exit(1)


if __name__ == "__main__":
    main()
