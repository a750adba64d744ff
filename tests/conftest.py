"""Shared test helpers: build visits as dicts, evaluate them, run the CLI."""

from __future__ import annotations

import json
import os
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import typer.main
from typer.testing import CliRunner, Result

from gist_tox.cli import full_app
from gist_tox.pipeline import RuleSets, evaluate, load_visit
from gist_tox.ruleset.cases import deep_merge

# Keep the test run's rule-set cache away from the user's own (~/.cache/gist-tox).
os.environ.setdefault("GIST_TOX_CACHE_DIR", tempfile.mkdtemp(prefix="gist-tox-test-cache-"))

REPO = Path(__file__).resolve().parents[1]
RULES = REPO / "rules"
EXAMPLES = REPO / "examples"
GIST_TOX = Path(sys.executable).with_name("gist-tox")
"""The installed ``gist-tox`` script, for the tests that run it as a process."""
HANG_S = 15.0
"""A bound for "refused at once, never hangs": far above a healthy run on a loaded 2-CPU CI
machine (so it never flakes), far below what the guarded failure costs (a writer that keeps a
pipe open for 60 s, an alias bomb of 10**30 nodes). Speed itself is shown in benchmarks/."""
WRITER_S = 60
"""How long the test writers hold a named pipe open: four times HANG_S."""
COUNT_UNITS = {"10^9/L": 1, "10^3/uL": 1, "/uL": 1000, "/mm3": 1000, "cells/uL": 1000}
"""Each count unit and how a 10^9/L figure is written in it (the contract's table, read
independently of gist_tox.units)."""
# The terms a result grades: v5.0's and v6.0's base terms, and extension A's (absent in a
# visit without their inputs), whose limb-edema term differs by version.
V5_TERMS = {
    "neutrophil_count_decreased",
    "febrile_neutropenia",
    "platelet_count_decreased",
    "rash_maculo_papular",
    "erythroderma",
    "erythema_multiforme",
    "stevens_johnson_syndrome",
    "toxic_epidermal_necrolysis",
}
V6_TERMS = (V5_TERMS - {"platelet_count_decreased"}) | {
    "thrombocytopenia",
    "exfoliative_dermatitis",
}
# Visit format extension A's terms: in every result, absent for a visit without their inputs.
EXTENSION_TERMS = {
    "alanine_aminotransferase_increased",
    "aspartate_aminotransferase_increased",
    "blood_bilirubin_increased",
    "anemia",
    "weight_gain",
    "periorbital_edema",
    "edema_face",
    "pleural_effusion",
}
EXTENSION_V5 = EXTENSION_TERMS | {"edema_limbs"}
EXTENSION_V6 = EXTENSION_TERMS | {"peripheral_edema"}

BASE_VISIT: dict[str, Any] = {
    "patient": {"id": "TEST-1"},
    "date": "2024-03-01",
    "imatinib": {"indication": "gist-metastatic", "starting_dose_mg": 400, "current_dose_mg": 400},
}


def make_visit(**sections: Any) -> dict[str, Any]:
    """A minimal valid visit with ``sections`` deep-merged in (``None`` removes a key)."""
    visit = deep_merge(BASE_VISIT, {k: v for k, v in sections.items() if v is not None})
    for key, value in sections.items():
        if value is None:
            visit.pop(key, None)
    return visit


_RULESETS: dict[str, RuleSets] = {}


def result_of(
    visit: dict[str, Any] | Path, ctcae: str | None = None, rules: Path = RULES
) -> dict[str, Any]:
    """The ``gist-tox/result@1`` JSON of a visit given as a dict or a file, as ``grade --format
    json [--ctcae V]`` gives it, without the command's start (rule sets loaded once a run)."""
    key = f"{rules}|{ctcae}"
    rulesets = _RULESETS.setdefault(key, RuleSets(rules, ctcae))
    if isinstance(visit, Path):
        source = str(visit)
        parsed, _ = load_visit(source)
    else:
        source = "visit.json"
        parsed, _ = load_visit(source, text=json.dumps(visit, default=str))
    return evaluate(parsed, rulesets.for_visit(parsed, source), source).as_json()


def grades_of(visit: dict[str, Any], ctcae: str | None = None) -> dict[str, int | None]:
    return {k: v["grade"] for k, v in result_of(visit, ctcae)["grades"].items()}


_COMMAND: list[Any] = []


def invoke(
    args: list[str], input: str | bytes | None = None, env: dict[str, str] | None = None
) -> Result:
    """Run the CLI in-process as a user would, stderr kept apart: what typer's
    ``CliRunner.invoke`` does, with the click command built once a test run (as ``gist-tox``
    builds it once a process) instead of at every call (~35 ms, most of an in-process run)."""
    if not _COMMAND:
        _COMMAND.append(typer.main.get_command(full_app()))
    runner = CliRunner()
    code: Any = 0
    exception: BaseException | None = None
    with runner.isolation(input=input, env=env) as (out, err, both):
        try:
            _COMMAND[0].main(args=args, prog_name="gist-tox")
        except SystemExit as exc:
            code = exc.code or 0
            exception = exc if code else None
        except Exception as exc:
            code, exception = 1, exc
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
        streams = out.getvalue(), err.getvalue(), both.getvalue()
    return Result(runner, *streams, None, code, exception)


def grade_json(args: list[str]) -> dict[str, Any]:
    """``gist-tox grade --format json ARGS`` in-process, which must succeed: its result."""
    run = invoke(["grade", "--format", "json", *args])
    assert run.exit_code == 0, run.output
    return json.loads(run.stdout)  # type: ignore[no-any-return]


def write_visit(folder: Path, visit: dict[str, Any], name: str = "visit.yaml") -> Path:
    """``visit`` written as YAML to ``folder/name`` (dates as text)."""
    import yaml

    path = folder / name
    path.write_text(yaml.safe_dump(json.loads(json.dumps(visit, default=str))))
    return path


@contextmanager
def deep_folders(top: Path, levels: list[str], files: dict[int, str]) -> Iterator[None]:
    """A chain of folders named ``levels`` under ``top``, with ``level-N.yaml`` holding
    ``files[N]`` inside the N-th one; made and removed level by level, without recursion
    (whole names may be too long for the system, and ``shutil.rmtree`` recurses)."""
    home = os.getcwd()
    os.chdir(top)
    made = 0
    try:
        for depth, name in enumerate(levels, 1):
            os.mkdir(name)
            os.chdir(name)
            made = depth
            if depth in files:
                Path(f"level-{depth}.yaml").write_text(files[depth])
        os.chdir(home)
        yield
    finally:
        os.chdir(top)
        for name in levels[:made]:
            os.chdir(name)
        for depth in range(made, 0, -1):
            os.chdir("..")
            for path in Path(levels[depth - 1]).iterdir():
                path.unlink()  # the folder below is gone by now: only files are left
            os.rmdir(levels[depth - 1])
        os.chdir(home)


def refusal_lines(stderr: str) -> list[str]:
    """The lines of a refused file: one per problem, the first counting the others ("(and 3
    more problems)"), at most 20; each starts with ``gist-tox: ``."""
    import re

    lines = stderr.strip().splitlines()
    more = re.search(r"\(and (\d+) more problems?\)$", lines[0]) if lines else None
    assert len(lines) == 1 + (min(int(more.group(1)), 19) if more else 0), stderr
    assert all(line.startswith("gist-tox: ") for line in lines), stderr
    return lines
