"""The golden case runner: partial matching, errors, skips, visit files, JUnit XML."""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from conftest import EXAMPLES, RULES
from gist_tox.errors import InputError
from gist_tox.ruleset.cases import (
    Expect,
    Runner,
    collect,
    compare,
    match,
    rules_check_result,
    write_junit,
)

HEADER = """\
covers: ctcae-5.0/neutrophil_count_decreased
base:
  patient: {id: T}
  date: 2024-01-01
  imatinib: {starting_dose_mg: 400, current_dose_mg: 400}
cases:
"""


def run(tmp_path: Path, body: str, name: str = "c.yaml") -> list[tuple[str, str, list[str]]]:
    path = tmp_path / name
    path.write_text(HEADER + body)
    return [(r.nodeid, r.status, r.messages) for r in Runner(RULES).run_all(collect([tmp_path]))]


def test_passing_and_failing_case_show_expected_vs_actual(tmp_path: Path) -> None:
    out = run(
        tmp_path,
        """\
  - id: ok
    visit: {labs: {anc: {value: 0.499, unit: 10^9/L}}}
    expect: {grades: {neutrophil_count_decreased: 4}}
  - id: wrong
    visit: {labs: {anc: {value: 0.5, unit: 10^9/L}}}
    expect: {grades: {neutrophil_count_decreased: 4}}
""",
    )
    assert out[0][:2] == ("c.yaml::ok", "passed")
    assert out[1][:2] == ("c.yaml::wrong", "failed")
    assert "grades.neutrophil_count_decreased.grade: expected 4, got 3" in out[1][2][0]


def test_expect_error(tmp_path: Path) -> None:
    out = run(
        tmp_path,
        """\
  - id: refused
    visit: {labs: {anc: {value: 1, unit: g/L}}}
    expect_error: labs.anc.unit
  - id: not-refused
    visit: {labs: {anc: {value: 1, unit: 10^9/L}}}
    expect_error: labs.anc.unit
  - id: other-error
    visit: {labs: {anc: {value: 1, unit: g/L}}}
    expect_error: skin
""",
    )
    assert [s for _, s, _ in out] == ["passed", "failed", "failed"]
    assert "but it was graded" in out[1][2][0]


def test_unexpected_refusal_fails(tmp_path: Path) -> None:
    out = run(
        tmp_path,
        """\
  - id: bad
    visit: {labs: {anc: {value: 1, unit: g/L}}}
    expect: {grades: {}}
""",
    )
    assert out[0][1] == "failed" and "refused" in out[0][2][0]


def test_skip_is_reported(tmp_path: Path) -> None:
    out = run(
        tmp_path,
        """\
  - id: later
    skip: waiting for the lab
    expect: {grades: {}}
""",
    )
    assert out == [("c.yaml::later", "skipped", ["waiting for the lab"])]


def test_visit_file_relative_to_case_file(tmp_path: Path) -> None:
    example = EXAMPLES / "hwang-2010-worst-visit.yaml"
    out = run(
        tmp_path,
        f"""\
  - id: published
    visit_file: {example}
    expect: {{grades: {{febrile_neutropenia: 4}}}}
""",
    )
    assert out[0][1] == "passed", out


def test_bad_case_file_is_one_failing_case_with_line(tmp_path: Path) -> None:
    (tmp_path / "bad.yaml").write_text(HEADER + "  - id: x\n    expct: {}\n")
    out = [(r.nodeid, r.status, r.messages) for r in Runner(RULES).run_all(collect([tmp_path]))]
    assert out[0][0] == "bad.yaml::(file)" and out[0][1] == "failed"
    assert "bad.yaml:8" in out[0][2][0] and "expct" in out[0][2][0]


def test_duplicate_case_id(tmp_path: Path) -> None:
    out = run(
        tmp_path,
        """\
  - id: a
    expect: {grades: {}}
  - id: a
    expect: {grades: {}}
""",
    )
    assert out[1][1] == "failed" and "used twice" in out[1][2][0]


def test_missing_case_path() -> None:
    with pytest.raises(InputError):
        collect([Path("/no/such/cases")])


def test_unknown_term_expected(tmp_path: Path) -> None:
    out = run(
        tmp_path,
        """\
  - id: a
    expect: {grades: {thrombocytopenia: 0}}
""",
    )
    assert "do not grade thrombocytopenia" in out[0][2][0]


@pytest.mark.parametrize(
    ("expected", "actual", "ok"),
    [
        ({"grade": 3}, {"grade": 3, "basis": "x"}, True),
        ({"grade": 3}, {"grade": 3.0}, True),
        ({"grade": 1}, {"grade": True}, False),
        ({"grade": None}, {"grade": 0}, False),
        ({"not_gradable": "ANC"}, {"not_gradable": "ANC missing"}, True),
        ({"term": "ANC"}, {"term": "ANC missing"}, False),
        ({"alternatives": ["sunitinib"]}, {"alternatives": ["sunitinib"]}, True),
        ({"alternatives": ["sunitinib"]}, {"alternatives": ["sunitinib", "x"]}, False),
        (
            {"reasons": [{"rule": "b"}]},
            {"reasons": [{"rule": "a"}, {"rule": "b", "text": "t"}]},
            True,
        ),
        ({"reasons": [{"rule": "c"}]}, {"reasons": [{"rule": "a"}]}, False),
        ({"review": []}, {"review": []}, True),
        ({"review": []}, {"review": [{"code": "a", "text": "t"}]}, False),
        ({"review": [{"code": "b"}]}, {"review": [{"code": "a"}, {"code": "b"}]}, True),
        ({"review": [{"code": "b"}]}, {"review": [{"code": "a"}]}, False),
        ({"date": dt.date(2024, 1, 1)}, {"date": "2024-01-01"}, True),
        ({"inputs": {"a": {"value": 1}}}, {"inputs": {"a": {"value": 1, "unit": "x"}}}, True),
        ({"missing": 1}, {}, False),
    ],
)
def test_match_rules(expected: dict[str, object], actual: dict[str, object], ok: bool) -> None:
    assert (match(expected, actual, "x") == []) is ok


def test_warnings_match_as_substrings() -> None:
    expect = Expect(warnings=["dated after"])
    assert compare(expect, {"warnings": ["history[0].date is dated after the visit"]}) == []
    assert compare(expect, {"warnings": []}) != []


def test_other_events_patient_factors_and_next_visit_are_compared_partially() -> None:
    expect = Expect(
        other_events=[{"term_id": "diarrhea", "category": "other_nonhematologic"}],
        patient_factors={"renal": {"band": "mild"}},
        next_visit={"history": [{"term": "diarrhea", "grade": 3}]},
    )
    actual = {
        "other_events": [{"term_id": "diarrhea", "grade": 3, "category": "other_nonhematologic"}],
        "patient_factors": {"renal": {"band": "mild", "max_dose_mg": 600}, "comedications": []},
        "next_visit": {"history": [{"term": "diarrhea", "grade": 3, "dose_mg": 400}]},
    }
    assert compare(expect, actual) == []
    actual["patient_factors"] = {"renal": None}
    actual["next_visit"] = {"history": []}
    found = compare(expect, actual)
    assert [p.field for p in found] == ["patient_factors.renal", "next_visit.history"]


def test_recommendation_missing_is_a_failure() -> None:
    found = compare(Expect(recommendation={"action": "hold"}), {"grades": {}})
    assert found and found[0].field == "recommendation"


def test_junit_xml(tmp_path: Path) -> None:
    (tmp_path / "cases").mkdir()
    (tmp_path / "cases" / "c.yaml").write_text(
        HEADER
        + """\
  - id: ok
    visit: {labs: {anc: {value: 0.499, unit: 10^9/L}}}
    expect: {grades: {neutrophil_count_decreased: 4}}
  - id: bad
    visit: {labs: {anc: {value: 0.499, unit: 10^9/L}}}
    expect: {grades: {neutrophil_count_decreased: 3}}
  - id: skipped
    skip: why
    expect: {grades: {}}
"""
    )
    results = Runner(RULES).run_all(collect([tmp_path / "cases"]))
    write_junit(results, tmp_path / "out.xml")
    suite = ET.parse(tmp_path / "out.xml").getroot().find("testsuite")
    assert suite is not None
    assert (suite.get("tests"), suite.get("failures"), suite.get("skipped")) == ("3", "1", "1")
    bad = suite.findall("testcase")[1]
    assert bad.get("name") == "bad" and bad.find("failure") is not None


def test_rules_check_result() -> None:
    assert rules_check_result(RULES) is None
