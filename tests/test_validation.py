"""From pydantic's errors to one clear line (``gist_tox.validation``)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from conftest import make_visit
from gist_tox.documents import read_document
from gist_tox.errors import InputError
from gist_tox.validation import known_fields, validate
from gist_tox.visit import Visit


def problem(visit: dict[str, Any], name: str = "v.yaml") -> InputError:
    text = json.dumps(visit) if name.endswith(".json") else yaml.safe_dump(visit, sort_keys=False)
    with pytest.raises(InputError) as caught:
        validate(read_document(name, text=text), Visit)
    return caught.value


def test_a_valid_visit_validates() -> None:
    text = yaml.safe_dump(make_visit())
    assert validate(read_document("v.yaml", text=text), Visit).patient.id == "TEST-1"


@pytest.mark.parametrize(
    ("section", "wrong", "right"),
    [
        ({"labs": {"acn": {"value": 1, "unit": "10^9/L"}}}, "labs.acn", "anc"),
        ({"labs": {"platelet": {"value": 1, "unit": "10^9/L"}}}, "labs.platelet", "platelets"),
        ({"skin": {"bsa_percent": 1, "morphologie": "bullous"}}, "skin.morphologie", "morphology"),
        ({"fever": {"hours_above_38": 3}}, "fever.hours_above_38", "hours_at_or_above_38"),
        (
            {
                "history": [
                    {
                        "date": "2024-01-01",
                        "category": "skin",
                        "term": "erythroderma",
                        "grade": 3,
                        "dose_mg": 400,
                        "doze_mg": 1,
                    }
                ]
            },
            "history[0].doze_mg",
            "dose_mg",
        ),
    ],
)
def test_unknown_fields_suggest_the_closest_name(
    section: dict[str, Any], wrong: str, right: str
) -> None:
    error = problem(make_visit(**section))
    assert error.field == wrong
    assert f"did you mean {right!r}?" in error.message


def test_an_unknown_field_far_from_any_lists_the_known_ones() -> None:
    error = problem(make_visit(zzzz=1))
    assert "unknown field 'zzzz'" in error.message and "known fields: format" in error.message


def test_unknown_fields_are_reported_before_other_problems() -> None:
    error = problem(make_visit(labs={"anc": {"value": -1, "unit": "x"}}, labz=1))
    assert error.field == "labz" and "and 2 more problems" in error.message


def test_the_error_names_the_line_of_the_field() -> None:
    error = problem(make_visit(labs={"anc": {"value": 1, "unit": "g/L"}}))
    assert error.line is not None and error.field == "labs.anc.unit"
    assert error.one_line().startswith(f"v.yaml:{error.line}:")


def test_json_errors_have_lines_too() -> None:
    error = problem(make_visit(labs={"anc": {"value": 1, "unit": "g/L"}}), name="v.json")
    assert error.line == 1 and error.column is not None


def test_missing_required_fields() -> None:
    visit = make_visit()
    del visit["imatinib"]["current_dose_mg"]
    error = problem(visit)
    assert error.field == "imatinib.current_dose_mg"
    assert error.message == "required field is missing"


@pytest.mark.parametrize(
    ("section", "field", "words"),
    [
        (
            {"labs": {"anc": {"value": "0.4", "unit": "10^9/L"}}},
            "labs.anc.value",
            "'0.4' is not allowed; expected a number",
        ),
        (
            {"imatinib": {"current_dose_mg": 400.0}},
            "imatinib.current_dose_mg",
            "400.0 is not allowed; expected a whole number",
        ),
        (
            {"imatinib": {"current_dose_mg": True}},
            "imatinib.current_dose_mg",
            "true is not allowed; expected a whole number",
        ),
        (
            {"skin": {"bsa_percent": 10, "mucosal_involvement": "yes"}},
            "skin.mucosal_involvement",
            "'yes' is not allowed; expected true or false",
        ),
        ({"patient": {"id": 7}}, "patient.id", "7 is not allowed; expected text"),
        ({"labs": [1]}, "labs", "a list is not allowed; expected a mapping of fields"),
        ({"history": {"a": 1}}, "history", "a mapping is not allowed; expected a list"),
    ],
)
def test_wrong_types_say_what_was_expected(section: dict[str, Any], field: str, words: str) -> None:
    error = problem(make_visit(**section))
    assert error.field == field
    assert words in error.message


@pytest.mark.parametrize(
    ("section", "field", "words"),
    [
        (
            {"labs": {"anc": {"value": 1, "unit": "g/L"}}},
            "labs.anc.unit",
            "'10^9/L', '10^3/uL', '/uL', '/mm3' or 'cells/uL'",
        ),
        (
            {"fever": {"max_temperature": {"value": 39, "unit": "K"}}},
            "fever.max_temperature.unit",
            "'C' or 'F'",
        ),
        (
            {"skin": {"bsa_percent": 1, "adl_limitation": "all"}},
            "skin.adl_limitation",
            "'none', 'instrumental' or 'self_care'",
        ),
        (
            {"imatinib": {"disease_status": "worse"}},
            "imatinib.disease_status",
            "'responding', 'stable', 'progression' or 'unknown'",
        ),
    ],
)
def test_unknown_enum_values_list_the_allowed_ones(
    section: dict[str, Any], field: str, words: str
) -> None:
    error = problem(make_visit(**section))
    assert error.field == field and words in error.message


def test_union_fields_give_one_message_for_all_their_forms() -> None:
    error = problem(make_visit(imatinib={"current_dose_mg": 0, "on_hold_for": "blood"}))
    assert error.field == "imatinib.on_hold_for"
    assert "'other_nonhematologic' or 'other', or a list" in error.message
    assert "more problem" not in error.message


def test_a_bad_item_of_a_list_is_named_by_its_index() -> None:
    error = problem(make_visit(imatinib={"current_dose_mg": 0, "on_hold_for": ["skin", "x"]}))
    assert error.field == "imatinib.on_hold_for[1]" and "more problem" not in error.message


@pytest.mark.parametrize(
    ("section", "field", "words"),
    [
        (
            {"labs": {"anc": {"value": -0.1, "unit": "10^9/L"}}},
            "labs.anc.value",
            "expected at least 0",
        ),
        ({"skin": {"bsa_percent": 100.5}}, "skin.bsa_percent", "expected at most 100"),
        ({"imatinib": {"starting_dose_mg": 0}}, "imatinib.starting_dose_mg", "expected at least 1"),
        ({"patient": {"age": 131}}, "patient.age", "expected at most 130"),
    ],
)
def test_out_of_range_values_say_the_bound(section: dict[str, Any], field: str, words: str) -> None:
    error = problem(make_visit(**section))
    assert error.field == field and words in error.message


def test_patterns_are_explained_in_words() -> None:
    error = problem(make_visit(patient={"id": " T"}))
    assert "leading or trailing spaces" in error.message


def test_long_values_are_shortened() -> None:
    error = problem(make_visit(patient={"id": 1}, labs={"anc": {"value": 1, "unit": "u" * 500}}))
    assert len(error.one_line()) < 400


def test_known_fields_follow_nested_models_and_lists() -> None:
    assert "anc" in known_fields(Visit, ("labs",))
    assert "dose_mg" in known_fields(Visit, ("history", 0))
    assert known_fields(Visit, ("nothing",)) == []


def test_every_problem_of_a_file_is_listed_one_a_line_in_file_order(tmp_path: Path) -> None:
    """As ruff lists them: a file with four mistakes needs one run, not four."""
    from conftest import invoke

    path = tmp_path / "four.yaml"
    path.write_text(
        "patient: {id: T-1}\ndate: 2024-02-03\n"
        "imatinib: {starting_dose_mg: 400, current_dose_mg: -4}\n"
        "labs:\n  anc: {value: 1.2, unit: g/L}\n  acn: 3\n"
        "skin: {morphology: none, bsa_percent: 0}\n",
        encoding="utf-8",
    )
    out = invoke(["grade", str(path)])
    assert out.exit_code == 2 and out.stdout == ""
    lines = out.stderr.splitlines()
    assert len(lines) == 4
    assert lines[0].startswith(f"gist-tox: {path}:6:3: labs.acn: unknown field")
    assert lines[0].endswith("(and 3 more problems)")
    assert [line.split(": ")[1].rsplit(":", 2)[1:] for line in lines[1:]] == [
        ["3", "35"],
        ["5", "21"],
        ["7", "8"],
    ]
    assert "imatinib.current_dose_mg" in lines[1] and "labs.anc.unit" in lines[2]


def test_the_list_of_problems_is_capped() -> None:
    from gist_tox.cli.app import SHOWN_PROBLEMS
    from gist_tox.documents import read_document
    from gist_tox.validation import MAX_PROBLEMS, validate
    from gist_tox.visit import Visit

    history = "".join(f"  - {{date: 2024-01-0{i % 9 + 1}, bad{i}: 1}}\n" for i in range(80))
    text = "patient: {id: T-1}\ndate: 2024-02-03\nimatinib: {starting_dose_mg: 400}\n"
    document = read_document("many.yaml", text=text + "history:\n" + history)
    with pytest.raises(InputError) as caught:
        validate(document, Visit)
    assert len(caught.value.also) == MAX_PROBLEMS > SHOWN_PROBLEMS
