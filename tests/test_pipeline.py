"""Choosing the CTCAE version a visit is graded with (pipeline.RuleSets.for_visit): the
``--ctcae`` option, then the visit's pin, then the rules' configured default."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from conftest import (
    EXTENSION_V5,
    EXTENSION_V6,
    RULES,
    V5_TERMS,
    V6_TERMS,
    grade_json,
    invoke,
    make_visit,
    write_visit,
)

V5_TERMS_ALL = V5_TERMS | EXTENSION_V5
V6_TERMS_ALL = V6_TERMS | EXTENSION_V6
ANC_07 = {"anc": {"value": 0.7, "unit": "10^9/L"}}


@pytest.mark.parametrize(
    ("option", "pin", "expected"),
    [
        ([], None, "5.0"),
        (["--ctcae", "6.0"], None, "6.0"),
        (["--ctcae", "5.0"], None, "5.0"),
        ([], "6.0", "6.0"),
        ([], "5.0", "5.0"),
        (["--ctcae", "6.0"], "6.0", "6.0"),
    ],
)
def test_version_follows_option_then_pin_then_default(
    tmp_path: Path, option: list[str], pin: str | None, expected: str
) -> None:
    visit = make_visit(labs=ANC_07, ctcae_version=pin)
    result = grade_json([*option, str(write_visit(tmp_path, visit))])
    assert result["rules"]["ctcae_version"] == expected
    assert set(result["grades"]) == (V6_TERMS_ALL if expected == "6.0" else V5_TERMS_ALL)
    assert result["grades"]["neutrophil_count_decreased"]["grade"] == (
        2 if expected == "6.0" else 3
    )
    assert all(
        g["rule"] is None or g["rule"].startswith(f"ctcae-{expected}/")
        for g in result["grades"].values()
    )


@pytest.mark.parametrize(("option", "pin"), [("6.0", "5.0"), ("5.0", "6.0")])
def test_option_contradicting_the_pin_is_refused_naming_both(
    tmp_path: Path, option: str, pin: str
) -> None:
    path = write_visit(tmp_path, make_visit(labs=ANC_07, ctcae_version=pin))
    run = invoke(["grade", "--ctcae", option, str(path)])
    assert run.exit_code == 2
    assert run.stdout == ""
    line = run.stderr.strip()
    assert "\n" not in line and "Traceback" not in line
    assert f"v{pin}" in line and f"--ctcae {option}" in line and "ctcae_version" in line


def test_configured_default_switches_the_version(tmp_path: Path) -> None:
    rules = tmp_path / "rules"
    shutil.copytree(RULES, rules)
    config = rules / "config.yaml"
    config.write_text(
        config.read_text().replace('default_ctcae_version: "5.0"', 'default_ctcae_version: "6.0"')
    )
    path = write_visit(tmp_path, make_visit(labs=ANC_07))
    result = grade_json(["--rules", str(rules), str(path)])
    assert result["rules"]["ctcae_version"] == "6.0"
    assert set(result["grades"]) == V6_TERMS_ALL
    # the option and a pin still win over the configured default
    assert (
        grade_json(["--rules", str(rules), "--ctcae", "5.0", str(path)])["rules"]["ctcae_version"]
        == "5.0"
    )
    pinned = write_visit(tmp_path, make_visit(labs=ANC_07, ctcae_version="5.0"), "pinned.yaml")
    assert grade_json(["--rules", str(rules), str(pinned)])["rules"]["ctcae_version"] == "5.0"


def test_unquoted_pin_is_read_as_the_version(tmp_path: Path) -> None:
    path = tmp_path / "v.yaml"
    path.write_text(yaml.safe_dump(make_visit(labs=ANC_07)) + "ctcae_version: 6.0\n")
    assert grade_json([str(path)])["rules"]["ctcae_version"] == "6.0"
