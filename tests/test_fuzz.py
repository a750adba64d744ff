"""Whatever the input, the CLI ends cleanly: exit 0 with a result, or exit 2 with one line that
names the file.  Never a traceback, never an "internal error".

Hypothesis mutates a valid visit (drops, renames, adds and replaces fields with values of every
kind, NaN and huge numbers included) and writes random YAML text and random structures.
"""

from __future__ import annotations

import copy
import json
import random
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import GIST_TOX, invoke, make_visit, refusal_lines

RICH_VISIT = make_visit(
    ctcae_version="5.0",
    patient={"id": "FUZZ-1", "age": 63},
    imatinib={"current_dose_mg": 0, "on_hold_for": "hematologic"},
    labs={
        "anc": {"value": 0.8, "unit": "10^9/L", "lln": 1.8},
        "platelets": {"value": 60, "unit": "10^9/L"},
        "wbc": {"value": 2.0, "unit": "10^9/L"},
        "neutrophils_percent": 40,
    },
    fever={"max_temperature": {"value": 38.4, "unit": "C"}, "hours_at_or_above_38": 2},
    consequences={"life_threatening": False, "died": False},
    skin={"morphology": "maculopapular", "bsa_percent": 20, "symptoms": "mild"},
    history=[
        {
            "date": "2024-02-01",
            "category": "hematologic",
            "term": "febrile_neutropenia",
            "grade": 3,
            "dose_mg": 400,
        }
    ],
)


@pytest.fixture(scope="module")
def scratch(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One folder for the files the examples write (pytest removes it; a module-level
    ``mkdtemp`` left one behind in /tmp at every run)."""
    return tmp_path_factory.mktemp("fuzz")


SETTINGS = settings(
    max_examples=30, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
)

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**6), max_value=10**6),
    st.integers(),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=20),
    st.sampled_from(
        [
            "10^9/L",
            "/uL",
            "C",
            "F",
            "2024-02-30",
            "2024-03-01",
            "5.0",
            "6.0",
            "skin",
            "hematologic",
            "bullous",
            "febrile_neutropenia",
            "-",
            "",
            "0",
        ]
    ),
    st.dates().map(str),
)
values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=8,
)


NEARBY_TEXT = [
    "exfoliative",
    "bullous",
    "target_lesions",
    "erythroderma",
    "severe",
    "self_care",
    "iv",
    "skin",
    "other",
    "progression",
    "gist-adjuvant",
    "2024-01-01",
    "2023-12-31",
    "F",
    "/uL",
    "cells/uL",
    "6.0",
    "platelet_count_decreased",
    "GIST-0007",
]


def paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every path to a value inside ``node``."""
    out: list[tuple[Any, ...]] = []
    items = (
        node.items()
        if isinstance(node, dict)
        else enumerate(node)
        if isinstance(node, list)
        else []
    )
    for key, child in items:
        out.append((*prefix, key))
        out.extend(paths(child, (*prefix, key)))
    return out


@st.composite
def mutated_visits(draw: st.DrawFn) -> Any:
    visit: Any = copy.deepcopy(RICH_VISIT)
    for _ in range(draw(st.integers(min_value=1, max_value=3))):
        every = paths(visit)
        if not every:
            break
        path = draw(st.sampled_from(every))
        parent = visit
        for part in path[:-1]:
            parent = parent[part]
        key = path[-1]
        action = draw(st.sampled_from(["nudge", "nudge", "replace", "delete", "rename", "add"]))
        current = parent[key]
        if action == "nudge":  # a plausible-looking change of the same kind: mostly valid
            if isinstance(current, bool):
                parent[key] = not current
            elif isinstance(current, int):
                parent[key] = draw(st.sampled_from([0, 100, 300, 400, 600, 800, 350, 1, 5]))
            elif isinstance(current, float):
                parent[key] = draw(st.floats(min_value=0, max_value=150))
            elif isinstance(current, str):
                parent[key] = draw(st.sampled_from(NEARBY_TEXT))
        elif action == "replace":
            parent[key] = draw(values)
        elif action == "delete":
            del parent[key]
        elif action == "rename" and isinstance(parent, dict):
            parent[draw(st.text(min_size=1, max_size=12))] = parent.pop(key)
        elif action == "add" and isinstance(parent, dict):
            parent[draw(st.text(min_size=1, max_size=12))] = draw(values)
    if draw(st.integers(min_value=0, max_value=5)) == 0:
        visit = draw(st.sampled_from([[visit], "text", None, 7]))
    return visit


def assert_clean(result: Any, name: str) -> None:
    assert result.exit_code in (0, 2), (result.exit_code, result.output)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    everything = result.stdout + result.stderr
    assert "Traceback" not in everything
    assert "internal error" not in result.stderr, result.stderr
    if result.exit_code == 2:
        lines = refusal_lines(result.stderr)
        assert lines[0].startswith(f"gist-tox: {name}"), lines
    else:
        assert json.loads(result.stdout)["format"] == "gist-tox/result@1"


@SETTINGS
@given(mutated_visits())
def test_mutated_yaml_visits_exit_cleanly(visit: Any) -> None:
    text = yaml.safe_dump(visit, allow_unicode=True)
    assert_clean(invoke(["grade", "--format", "json", "-"], input=text), "<stdin>")


@SETTINGS
@given(mutated_visits())
def test_mutated_json_visits_exit_cleanly(scratch: Path, visit: Any) -> None:
    path = scratch / "visit.json"
    path.write_text(json.dumps(visit, default=str))
    assert_clean(invoke(["grade", "--format", "json", str(path)]), str(path))


YAML_PIECES = [
    "patient:",
    " id: T",
    "date: 2024-03-01",
    "imatinib:",
    " {",
    "}",
    "[",
    "]",
    "&a",
    "*a",
    "!!python/object:os.system",
    "!!str",
    "<<:",
    "- ",
    ": ",
    "\n",
    "  ",
    "\t",
    "'",
    '"',
    "#",
    "---",
    "...",
    "%YAML 1.1",
    "?",
    "|",
    ">",
    ".nan",
    "1e999",
    "0x1F",
    "~",
    ",",
    "2024-02-30",
    "\x00",
    "\ufeff",
    "é",
]


@settings(max_examples=40, deadline=None, derandomize=True)
@given(st.lists(st.sampled_from(YAML_PIECES) | st.text(max_size=5), max_size=25).map("".join))
def test_random_yaml_text_exits_cleanly(text: str) -> None:
    assert_clean(invoke(["grade", "--format", "json", "-"], input=text), "<stdin>")


@settings(max_examples=25, deadline=None, derandomize=True)
@given(st.binary(max_size=200))
def test_random_bytes_exit_cleanly(scratch: Path, raw: bytes) -> None:
    path = scratch / "bytes.yaml"
    path.write_bytes(raw)
    assert_clean(invoke(["grade", "--format", "json", str(path)]), str(path))


@settings(max_examples=30, deadline=None, derandomize=True)
@given(values)
def test_random_structures_exit_cleanly(value: Any) -> None:
    assert_clean(invoke(["grade", "--format", "json", "-"], input=yaml.safe_dump(value)), "<stdin>")


@pytest.mark.skipif(not GIST_TOX.exists(), reason="no gist-tox script beside the interpreter")
def test_a_few_mutations_through_the_installed_command(tmp_path: Path) -> None:
    rng = random.Random(6)
    for index in range(2):
        visit: Any = copy.deepcopy(RICH_VISIT)
        section = rng.choice(["labs", "imatinib", "skin", "fever"])
        key = rng.choice(sorted(visit[section]))
        visit[section][key] = rng.choice([float("nan"), "400", -1, [1], {"x": 1}, 10**30])
        path = tmp_path / f"mutated-{index}.yaml"
        path.write_text(yaml.safe_dump(visit))
        run = subprocess.run(
            [str(GIST_TOX), "grade", str(path)], capture_output=True, text=True, timeout=60
        )
        assert run.returncode in (0, 2), run.stderr
        assert "Traceback" not in run.stderr and "internal error" not in run.stderr
        if run.returncode == 2:
            assert run.stderr.startswith(f"gist-tox: {path}") and refusal_lines(run.stderr)
