"""`gist-tox schema`: JSON Schemas from the pydantic models, kept in schemas/ and referenced by
the rule, case and example files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import EXAMPLES, REPO, RULES, invoke, make_visit, result_of
from gist_tox.cli.schema import SchemaName, render, schema_of
from gist_tox.result_schema import validate_result

SCHEMAS = REPO / "schemas"


@pytest.mark.parametrize(
    "name", [n.value for n in SchemaName if n is not SchemaName.questionnaire]
)  # the questionnaire is a FHIR resource made from the rules, not a committed JSON Schema
def test_committed_schema_is_up_to_date(name: str) -> None:
    path = SCHEMAS / f"{name}.schema.json"
    assert path.is_file(), f"missing {path}; run: gist-tox schema --write schemas"
    assert path.read_text(encoding="utf-8") == render(name), (
        f"{path} is stale; run: gist-tox schema --write schemas"
    )


@pytest.mark.parametrize(
    "name", [n.value for n in SchemaName if n is not SchemaName.questionnaire]
)  # the questionnaire: tests/test_fhir_writer.py
def test_cli_prints_the_schema(name: str) -> None:
    out = invoke(["schema", name])
    assert out.exit_code == 0, out.output
    data = json.loads(out.stdout)
    assert data["$schema"].startswith("https://json-schema.org/")
    assert name in data["title"]


def test_no_name_is_a_usage_error() -> None:
    out = invoke(["schema"])
    assert out.exit_code == 2 and "name a schema" in out.stderr
    assert invoke(["schema", "nonsense"]).exit_code == 2


def test_write_all(tmp_path: Path) -> None:
    out = invoke(["schema", "--write", str(tmp_path)])
    assert out.exit_code == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        f"{n.value}.schema.json" for n in SchemaName if n is not SchemaName.questionnaire
    )


def test_rules_schema_knows_every_kind() -> None:
    text = json.dumps(schema_of("rules"))
    for kind in ("ctcae_term", "reference_ranges", "config"):
        assert f'"{kind}"' in text
    if (RULES / "dosing").is_dir() and any((RULES / "dosing").glob("*.yaml")):
        assert '"dosing"' in text


def test_visit_schema_refuses_unknown_fields() -> None:
    assert schema_of("visit")["additionalProperties"] is False


def _schema_line(path: Path) -> str:
    return path.read_text(encoding="utf-8").splitlines()[0]


@pytest.mark.parametrize("path", sorted(RULES.rglob("*.yaml")), ids=lambda p: p.name)
def test_rule_files_name_the_rules_schema(path: Path) -> None:
    first = _schema_line(path)
    assert first.startswith("# yaml-language-server: $schema=")
    target = (path.parent / first.split("$schema=", 1)[1]).resolve()
    assert target == (SCHEMAS / "rules.schema.json").resolve()


@pytest.mark.parametrize("path", sorted((REPO / "cases").rglob("*.yaml")), ids=lambda p: p.name)
def test_case_files_name_the_cases_schema(path: Path) -> None:
    first = _schema_line(path)
    target = (path.parent / first.split("$schema=", 1)[1]).resolve()
    assert target == (SCHEMAS / "cases.schema.json").resolve()


@pytest.mark.parametrize("path", sorted(EXAMPLES.rglob("*.yaml")), ids=lambda p: p.name)
def test_example_files_name_an_existing_schema(path: Path) -> None:
    first = _schema_line(path)
    assert first.startswith("# yaml-language-server: $schema="), path
    target = path.parent / first.split("$schema=", 1)[1]
    assert target.resolve().is_file()


def test_results_follow_the_result_schema() -> None:
    import yaml

    visit = yaml.safe_load((EXAMPLES / "hwang-2010-worst-visit.yaml").read_text())
    result = result_of(json.loads(json.dumps(visit, default=str)))
    parsed = validate_result(result)
    assert parsed.grades["febrile_neutropenia"].grade == 4


def test_patient_factors_follow_the_result_schema() -> None:
    visit = make_visit(
        labs={
            "anc": {"value": 3.0, "unit": "10^9/L"},
            "platelets": {"value": 200, "unit": "10^9/L"},
        },
        comedications=["rifampin", "aspirin"],
    )
    factors = validate_result(result_of(visit)).patient_factors
    assert factors is not None and factors.cyp3a4_inducer_dose_mg == 600
    assert [(c.id, c.class_) for c in factors.comedications] == [
        ("rifampicin", "strong_cyp3a4_inducer"),
        (None, None),
    ]
