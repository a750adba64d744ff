"""Benchmark of ``gist-tox batch`` over a FHIR Bulk Data export against the same visits as YAML.

Run it (it uses the ``gist-tox`` next to this Python, else ``.venv/bin``, else on ``PATH``)::

    .venv/bin/python benchmarks/fhir_bench.py              # N = 10,000 patients
    .venv/bin/python benchmarks/fhir_bench.py --n 2000     # quicker

It generates N synthetic visits of N patients (``batch_bench.synthetic_visit``, fixed seed: a
realistic mix of normal visits, neutropenia, thrombocytopenia, fever, rashes, holds with
history) into a temporary folder twice: as YAML visit files, and as one Bulk Data export (one
NDJSON file per resource type, written by ``tests/fhir_twin.py`` as an EHR would: Observations,
MedicationRequests, QuestionnaireResponses, AdverseEvents).  Nothing is committed.  Then, side
by side in one run, it times ``gist-tox batch --format ndjson`` over each (a new process,
start-up included) for each ``--jobs``, checks that both give the same grades and
recommendation for every patient, and prints the ratios of wall time and of CPU time (the batch
process and its workers; steadier than wall time on a shared machine).  Goal: the export within
3x the YAML.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent / "tests")]

import yaml  # noqa: E402
from batch_bench import GIST_TOX, SEED, synthetic_visit  # noqa: E402

from fhir_twin import write_export  # noqa: E402


def generate(folder: Path, n: int) -> None:
    import random

    rng = random.Random(SEED)
    visits = []
    for index in range(n):
        visit = synthetic_visit(rng, index)
        visit["patient"]["id"] = f"SYN-{index:06d}"  # one visit per patient
        visits.append(visit)
        sub = folder / "yaml" / f"clinic-{index % 10}"
        sub.mkdir(parents=True, exist_ok=True)
        (sub / f"visit-{index:06d}.yaml").write_text(yaml.safe_dump(visit, sort_keys=False))
    write_export(folder / "export", visits)


def _children_cpu() -> float:
    import resource

    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run(path: Path, jobs: int) -> tuple[float, float, list[str]]:
    """Wall seconds, CPU seconds (the batch and its workers) and the output lines."""
    cpu = _children_cpu()
    started = time.perf_counter()
    out = subprocess.run(
        [GIST_TOX, "batch", "--jobs", str(jobs), "--format", "ndjson", str(path)],
        capture_output=True,
        text=True,
    )
    seconds = time.perf_counter() - started
    cpu = _children_cpu() - cpu
    if out.returncode != 0:
        raise SystemExit(f"gist-tox batch {path} exited {out.returncode}: {out.stderr[-500:]}")
    return seconds, cpu, out.stdout.splitlines()


def decided(lines: list[str]) -> dict[str, Any]:
    out = {}
    for line in lines:
        result = json.loads(line)
        out[result["patient_id"]] = (result["date"], result["grades"], result["recommendation"])
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=10_000, help="patients (one visit each)")
    parser.add_argument("--jobs", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--repeat", type=int, default=1, help="runs of each (the best counts)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="gist-tox-fhir-bench-") as tmp:
        folder = Path(tmp)
        started = time.perf_counter()
        generate(folder, args.n)
        size = sum(p.stat().st_size for p in (folder / "export").iterdir())
        print(
            f"generated {args.n} patients in {time.perf_counter() - started:.1f} s"
            f" (export {size / 1e6:.1f} MB)"
        )
        run(folder / "yaml" / "clinic-0", 1)  # warm the per-user caches
        print(
            f"{'jobs':>4}  {'YAML s':>8}  {'FHIR s':>8}  {'ratio':>6}"
            f"  {'YAML cpu':>8}  {'FHIR cpu':>8}  {'ratio':>6}"
        )
        for jobs in args.jobs:
            wall = {"yaml": float("inf"), "export": float("inf")}
            cpu = dict(wall)
            lines: dict[str, list[str]] = {}
            for _ in range(args.repeat):  # interleaved, so that load weighs on both alike
                for name in ("yaml", "export"):
                    seconds, used, lines[name] = run(folder / name, jobs)
                    wall[name], cpu[name] = min(wall[name], seconds), min(cpu[name], used)
            same = decided(lines["yaml"]) == decided(lines["export"])
            print(
                f"{jobs:>4}  {wall['yaml']:8.2f}  {wall['export']:8.2f}"
                f"  {wall['export'] / wall['yaml']:6.2f}  {cpu['yaml']:8.2f}"
                f"  {cpu['export']:8.2f}  {cpu['export'] / cpu['yaml']:6.2f}"
                f"  {'identical results' if same else 'RESULTS DIFFER'}"
            )
            if not same:
                raise SystemExit("the export and its YAML twins graded differently")


if __name__ == "__main__":
    main()
