"""The imatinib dose recommendation beyond its rule branches: the contract's shape, the numbers
read from the rule file, a broken dosing file refused, and the same hematologic decision under
both CTCAE versions.  Every rule branch, both sides of every threshold, is a golden case
(cases/dosing/)."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from conftest import RULES, invoke, make_visit, result_of
from gist_tox.dosing.engine import _squeeze
from gist_tox.errors import RulesError
from gist_tox.ruleset.cases import deep_merge
from gist_tox.ruleset.loader import load_ruleset


def labs(anc: float | None = 3.0, plt: float | None = 200) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if anc is not None:
        out["anc"] = {"value": anc, "unit": "10^9/L", "lln": 1.8}
    if plt is not None:
        out["platelets"] = {"value": plt, "unit": "10^9/L", "lln": 150}
    return out


def episode(
    category: str, dose: int, grade: int = 3, term: str | None = None, date: str = "2024-01-01"
) -> dict[str, Any]:
    term = (
        term
        or {
            "hematologic": "neutrophil_count_decreased",
            "skin": "rash_maculo_papular",
            "other": "febrile_neutropenia",
        }[category]
    )
    return {"date": date, "category": category, "term": term, "grade": grade, "dose_mg": dose}


def drug(dose: int = 400, hold: Any = None, **extra: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"current_dose_mg": dose, **extra}
    if hold is not None:
        out["on_hold_for"] = hold
    return out


def full(ctcae: str | None = None, **sections: Any) -> dict[str, Any]:
    sections.setdefault("labs", labs())
    return result_of(make_visit(**sections), ctcae)


def rec(**sections: Any) -> dict[str, Any]:
    return full(**sections)["recommendation"]  # type: ignore[no-any-return]


# ------------------------------------------------------------------ contract shape


def test_recommendation_has_exactly_the_contract_keys_and_cited_reasons() -> None:
    r = rec()
    assert set(r) == {
        "action",
        "dose_mg",
        "resume_when",
        "resume_dose_mg",
        "max_dose_mg",
        "caps",
        "alternatives",
        "reasons",
        "review",
    }
    assert r["action"] == "continue" and r["dose_mg"] == 400
    assert r["resume_when"] is None and r["resume_dose_mg"] is None and r["alternatives"] == []
    assert r["max_dose_mg"] is None and r["caps"] == []
    assert r["reasons"] == [
        {
            "rule": "dosing/imatinib-gist/continue",
            "source": "Gleevec USPI section 2 (GIST dosing)",
            "text": "No dose-limiting finding at this visit: continue imatinib 400 mg/day.",
        }
    ]


# ------------------------------------------------------------------ rules as data


def _copy_rules(tmp_path: Path) -> Path:
    target = tmp_path / "rules"
    shutil.copytree(RULES, target)
    return target


def test_numbers_come_from_the_rule_file(tmp_path: Path) -> None:
    rules = _copy_rules(tmp_path)
    path = rules / "dosing" / "imatinib-gist.yaml"
    path.write_text(path.read_text().replace("hold_below: {anc: 1.0,", "hold_below: {anc: 0.5,"))
    visit = make_visit(labs=labs(0.8))
    assert result_of(visit, rules=rules)["recommendation"]["action"] == "continue"
    assert result_of(visit)["recommendation"]["action"] == "hold"


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        (
            "ladder_mg: [800, 600, 400, 300, 200, 100]",
            "ladder_mg: [800, 400, 600]",
            "strictly decreasing",
        ),
        ("  continue:\n", "  contineu:\n", "missing continue"),
        ("regimen: 400 mg twice daily", "regimen: 400 mg twice daily\n  typo: 1", "unknown field"),
        (
            "continue imatinib {dose} mg/day",
            "continue imatinib {dosage} mg/day",
            "unknown placeholder",
        ),
        (
            "{term} grade <= {resume_grade} (listed in other_events)",
            "{term} grade <= {resume_at} (listed in other_events)",
            "unknown placeholder {resume_at}",
        ),
        ("    - skin.icu_or_burn_unit\n", "    - skin.icu_burn_unit\n", "not a yes/no finding"),
        ("  counts-not-measured:\n", "  counts-unmeasured:\n", "review: missing"),
        ("  overruled-dose:\n", "  overruled-doses:\n", "notes: missing"),
    ],
)
def test_a_broken_dosing_file_is_refused_naming_file_and_problem(
    tmp_path: Path, old: str, new: str, message: str
) -> None:
    rules = _copy_rules(tmp_path)
    path = rules / "dosing" / "imatinib-gist.yaml"
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new))
    with pytest.raises(RulesError) as info:
        load_ruleset(rules)
    assert "imatinib-gist.yaml" in info.value.one_line() and message in info.value.one_line()


def test_grade_table_shows_the_recommendation_panel_with_reasons() -> None:
    from conftest import EXAMPLES

    run = invoke(["grade", "-v", str(EXAMPLES / "hwang-2010-worst-visit.yaml")])
    assert run.exit_code == 0, run.output
    assert "HOLD" in run.stdout and "dosing/imatinib-gist/skin-hold" in run.stdout
    assert run.stdout.index("recommendation") < run.stdout.index("Febrile neutropenia")


def test_a_hold_without_a_reason_is_kept_for_the_clinician() -> None:
    result = full(imatinib=drug(0), history=[episode("hematologic", 400)])
    r = result["recommendation"]
    assert r["action"] == "hold" and "clinician" in r["resume_when"]
    assert any("unknown reason" in w for w in result["warnings"])


# --------------------------------------------------------------------------------------------
# Hematologic dosing reads counts: the same recommendation under both CTCAE versions, at the
# counts where the two versions grade differently.


def _anc(value: float) -> dict[str, Any]:
    return {"anc": {"value": value, "unit": "10^9/L"}}


def _plt(value: float) -> dict[str, Any]:
    return {"platelets": {"value": value, "unit": "10^9/L"}}


HEME_VISITS = [
    {"labs": {**_anc(0.7), **_plt(200)}},
    {"labs": {**_anc(0.3), **_plt(24)}},
    {"labs": {**_anc(1.2), **_plt(60)}},
    {"labs": {**_anc(2.0), **_plt(40)}},
    {"labs": {**_anc(0.999), **_plt(49.9)}},
    {"labs": {**_anc(1.0), **_plt(50)}},
    {"labs": {**_anc(3.0), **_plt(9)}},
    {
        "labs": {**_anc(0.8), **_plt(150)},
        "fever": {"max_temperature": {"value": 39, "unit": "C"}, "hours_at_or_above_38": 3},
    },
    {
        "labs": {**_anc(1.6), **_plt(80)},
        "imatinib": {"current_dose_mg": 0, "on_hold_for": "hematologic"},
        "history": [
            {
                "date": "2024-02-01",
                "category": "hematologic",
                "term": "platelet_count_decreased",
                "grade": 3,
                "dose_mg": 400,
            }
        ],
    },
    {
        "labs": {**_anc(1.6), **_plt(80)},
        "imatinib": {"current_dose_mg": 0, "on_hold_for": "hematologic"},
        "history": [
            {
                "date": "2024-02-01",
                "category": "hematologic",
                "term": "thrombocytopenia",
                "grade": 3,
                "dose_mg": 400,
            }
        ],
    },
]


@pytest.mark.parametrize("sections", HEME_VISITS)
def test_hematologic_recommendation_is_the_same_under_both_versions(
    sections: dict[str, Any],
) -> None:
    visit = deep_merge(make_visit(), sections)
    v5, v6 = result_of(visit, "5.0"), result_of(visit, "6.0")
    assert "recommendation" in v5 and "recommendation" in v6, "results carry no recommendation"
    strip = ("reasons",)
    same5 = {k: v for k, v in v5["recommendation"].items() if k not in strip}
    same6 = {k: v for k, v in v6["recommendation"].items() if k not in strip}
    assert same5 == same6
    assert [(r["rule"], r["text"]) for r in v5["recommendation"]["reasons"]] == [
        (r["rule"], r["text"]) for r in v6["recommendation"]["reasons"]
    ]


@given(st.text(alphabet=st.sampled_from("a .\t\n\r\x0b\x0c\x1c\x85\xa0\u2003\u2028\u3000-")))
def test_a_reason_text_has_single_spaces_whatever_its_values_bring(text: str) -> None:
    # _squeeze returns a text it judges already single-spaced unchanged: that judgement must
    # agree with splitting and joining it, for every kind of whitespace str.split knows
    assert _squeeze(text) == " ".join(text.split())
