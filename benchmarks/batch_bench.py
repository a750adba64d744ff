"""Benchmark of ``gist-tox batch``: speed against the YAML-parsing floor, and memory as N grows.

Run it (it uses the ``gist-tox`` next to this Python, else ``.venv/bin``, else on ``PATH``)::

    .venv/bin/python benchmarks/batch_bench.py            # N = 10,000 and the RSS check at 100,000
    .venv/bin/python benchmarks/batch_bench.py --n 2000 --rss-n 0     # quicker

It generates N synthetic visits (fixed seed; a realistic mix of normal visits, neutropenia,
thrombocytopenia, fever, rashes, holds with history, some JSON files) into a temporary folder and
measures, side by side in one run:

(a) the floor: reading every file and parsing it with ``yaml.CSafeLoader`` in one process;
(b) ``gist-tox batch --jobs 1 --format ndjson`` (a new process, start-up included);
(c) the same with ``--jobs 2``.

The files are flushed to disk (``os.sync``) and read once before anything is timed: without
that, the kernel writing back 10,000 just-written files lands in whichever run comes first, and
(b) came out 10-30% slower than on the same files a minute later.  Then (a), (b) and (c) run
in turn ``--rounds`` times; each round gives a ratio, and the script prints the median of wall
time and of CPU time (user + system, the batch process and its workers) for each.  On a shared
2-CPU machine single runs of the same command vary by 20% or more; the CPU-time ratio varies
least.

Goals at N = 10,000: (b) <= 2.5 x (a); (c) faster than (b).  Then peak RSS of the batch process
(``resource.getrusage(RUSAGE_CHILDREN)``, measured in a fresh child for each N) at ``--rss-n``
visits against N visits; goal: within 1.2x.  It prints the ratios; it is not a test.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
VENV_PYTHON = REPO / ".venv" / "bin" / "python"

try:
    import yaml
except ImportError:  # run with a Python that lacks PyYAML (e.g. `python3 benchmarks/...`)
    if VENV_PYTHON.exists() and Path(sys.executable) != VENV_PYTHON:
        os.execv(VENV_PYTHON, [str(VENV_PYTHON), *sys.argv])
    raise

SEED = 20091102
GIST_TOX = next(
    (
        str(p)
        for p in (Path(sys.executable).with_name("gist-tox"), REPO / ".venv" / "bin" / "gist-tox")
        if p.exists()
    ),
    shutil.which("gist-tox") or "gist-tox",
)


def synthetic_visit(rng: random.Random, index: int) -> dict[str, Any]:
    """One plausible visit; about a quarter have some toxicity, a few are severe."""
    patient = f"SYN-{index // 4:06d}"
    start = rng.choice([400, 400, 400, 800])
    visit: dict[str, Any] = {
        "format": "gist-tox/visit@1",
        "patient": {"id": patient, "age": rng.randint(25, 90)},
        "date": f"20{rng.randint(10, 24):02d}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
        "imatinib": {
            "indication": rng.choice(["gist-unresectable", "gist-metastatic", "gist-adjuvant"]),
            "starting_dose_mg": start,
            "current_dose_mg": start,
            "disease_status": rng.choice(["responding", "stable", "stable", "unknown"]),
        },
    }
    roll = rng.random()
    anc = round(rng.uniform(1.6, 6.0), 2)
    plt = rng.randint(150, 400)
    if roll < 0.10:
        anc = round(rng.uniform(0.2, 1.4), 2)
    elif roll < 0.15:
        plt = rng.randint(20, 140)
    unit = rng.choice(["10^9/L", "10^9/L", "/uL"])
    factor = 1000 if unit == "/uL" else 1
    labs: dict[str, Any] = {
        "anc": {"value": round(anc * factor, 2), "unit": unit, "lln": round(1.8 * factor, 2)},
        "platelets": {"value": plt * factor, "unit": unit},
    }
    if rng.random() < 0.1:  # the lab gave a differential instead of an ANC
        del labs["anc"]
        labs["wbc"] = {"value": round(rng.uniform(2, 9), 1), "unit": "10^9/L"}
        labs["neutrophils_percent"] = rng.randint(20, 70)
    visit["labs"] = labs
    if rng.random() < 0.15:
        visit["fever"] = {
            "max_temperature": {"value": round(rng.uniform(37.0, 39.8), 1), "unit": "C"},
            "hours_at_or_above_38": rng.randint(0, 6),
        }
    if rng.random() < 0.2:
        bsa = rng.choice([0, 5, 15, 25, 40, 60])
        visit["skin"] = {
            "morphology": "maculopapular",
            "bsa_percent": bsa,
            "symptoms": rng.choice(["none", "mild", "moderate"]),
            "adl_limitation": rng.choice(["none", "none", "instrumental"]),
        }
    if rng.random() < 0.05:
        visit["imatinib"]["current_dose_mg"] = 0
        visit["imatinib"]["on_hold_for"] = "hematologic"
        visit["history"] = [
            {
                "date": "2009-01-05",
                "category": "hematologic",
                "term": "neutrophil_count_decreased",
                "grade": 3,
                "dose_mg": start,
            }
        ]
    return visit


def generate(folder: Path, n: int) -> None:
    rng = random.Random(SEED)
    for index in range(n):
        visit = synthetic_visit(rng, index)
        sub = folder / f"clinic-{index % 10}"
        sub.mkdir(exist_ok=True)
        if index % 20 == 0:
            (sub / f"visit-{index:06d}.json").write_text(json.dumps(visit, indent=1))
        else:
            (sub / f"visit-{index:06d}.yaml").write_text(yaml.safe_dump(visit, sort_keys=False))


def floor(folder: Path) -> tuple[float, float]:
    """(a) read + CSafeLoader-parse every file in this process: wall and CPU seconds."""
    files = sorted(p for p in folder.rglob("*") if p.suffix in {".yaml", ".yml", ".json"})
    started, cpu = time.perf_counter(), time.process_time()
    for path in files:
        with path.open("rb") as handle:
            text = handle.read().decode("utf-8")
        yaml.load(text, Loader=yaml.CSafeLoader)
    return time.perf_counter() - started, time.process_time() - cpu


# As a user runs it: bytecode is cached after the first run (some sandboxes set
# PYTHONDONTWRITEBYTECODE, which would recompile gist_tox at every start, as grade_startup.py
# notes too).
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def run_batch(folder: Path, jobs: int) -> tuple[float, float, int]:
    """Wall seconds, CPU seconds (the batch and its workers) and peak RSS (KiB) of one
    ``gist-tox batch`` in a fresh child process."""
    code = (
        "import resource, subprocess, sys, time\n"
        "t = time.perf_counter()\n"
        "r = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL)\n"
        "t = time.perf_counter() - t\n"
        "u = resource.getrusage(resource.RUSAGE_CHILDREN)\n"
        "print(t, u.ru_utime + u.ru_stime, u.ru_maxrss, r.returncode)\n"
    )
    out = subprocess.run(
        [
            sys.executable,
            "-c",
            code,
            GIST_TOX,
            "batch",
            "--jobs",
            str(jobs),
            "--format",
            "ndjson",
            str(folder),
        ],
        check=True,
        capture_output=True,
        text=True,
        env=ENV,
    ).stdout.split()
    seconds, cpu, rss, rc = float(out[0]), float(out[1]), int(out[2]), int(out[3])
    if rc != 0:
        raise SystemExit(f"gist-tox batch exited {rc}; the synthetic visits should all be valid")
    return seconds, cpu, rss


def _ratio(label: str, ratios: list[float], goal: str) -> str:
    return (
        f"{label} = {statistics.median(ratios):.2f} (rounds: "
        f"{', '.join(f'{r:.2f}' for r in ratios)})  goal {goal}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=10_000, help="visits for the speed run")
    parser.add_argument(
        "--rss-n", type=int, default=100_000, help="visits for the memory run (0 skips it)"
    )
    parser.add_argument("--rounds", type=int, default=3, help="rounds of (a), (b), (c)")
    args = parser.parse_args()
    if shutil.which(GIST_TOX) is None:
        raise SystemExit("gist-tox not found; install the project (see the README) first")
    base = Path(tempfile.mkdtemp(prefix="gist-tox-bench-"))
    try:
        small = base / "small"
        small.mkdir()
        generate(small, args.n)
        os.sync()
        floor(small)  # untimed: every file read once, as a batch over settled files finds them
        rounds = []
        for _ in range(args.rounds):
            a, a_cpu = floor(small)
            b, b_cpu, rss_small = run_batch(small, 1)
            c, c_cpu, _ = run_batch(small, 2)
            rounds.append((a, a_cpu, b, b_cpu, c, c_cpu))
        a, a_cpu, b, b_cpu, c, c_cpu = (statistics.median(x) for x in zip(*rounds, strict=True))
        print(f"N = {args.n:,} visits, {os.cpu_count()} CPUs, median of {args.rounds} rounds")
        print(f"(a) read + CSafeLoader parse, one process : {a:7.2f} s  (cpu {a_cpu:.2f} s)")
        print(f"(b) batch --jobs 1 --format ndjson        : {b:7.2f} s  (cpu {b_cpu:.2f} s)")
        print(f"(c) batch --jobs 2 --format ndjson        : {c:7.2f} s  (cpu {c_cpu:.2f} s)")
        print(_ratio("(b)/(a) wall", [r[2] / r[0] for r in rounds], "<= 2.5"))
        print(_ratio("(b)/(a) cpu ", [r[3] / r[1] for r in rounds], "<= 2.5"))
        print(_ratio("(c)/(b) wall", [r[4] / r[2] for r in rounds], "< 1"))
        if args.rss_n:
            large = base / "large"
            large.mkdir()
            generate(large, args.rss_n)
            _, _, rss_large = run_batch(large, 1)
            print(
                f"peak RSS (--jobs 1): N = {args.n:,}: {rss_small / 1024:.1f} MiB; "
                f"N = {args.rss_n:,}: {rss_large / 1024:.1f} MiB; ratio "
                f"{rss_large / rss_small:.2f}  goal <= 1.2"
            )
    finally:
        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
