"""Contradictions inside a valid visit are warnings in the result, never silence."""

from __future__ import annotations

import json
from typing import Any

from conftest import invoke, make_visit, result_of

LADDER = "800 -> 600 -> 400 -> 300 -> 200 -> 100"


def warnings_of(**sections: Any) -> list[str]:
    return list(result_of(make_visit(**sections))["warnings"])


def has(warnings: list[str], *words: str) -> bool:
    return any(all(w in text for w in words) for text in warnings)


def episode(**extra: Any) -> dict[str, Any]:
    return {
        "date": "2024-01-10",
        "category": "hematologic",
        "term": "febrile_neutropenia",
        "grade": 3,
        "dose_mg": 400,
        **extra,
    }


def test_a_consistent_visit_has_no_contradiction_warnings() -> None:
    warnings = warnings_of(
        labs={
            "anc": {"value": 2.0, "unit": "10^9/L"},
            "platelets": {"value": 200, "unit": "10^9/L"},
        },
        history=[episode()],
    )
    assert not has(warnings, "contradict") and not has(warnings, "is after the visit")
    assert not has(warnings, "not a dose of the ladder") and not has(warnings, "conflicting")


def test_dose_0_without_on_hold_for_warns() -> None:
    assert has(
        warnings_of(imatinib={"current_dose_mg": 0}),
        "current_dose_mg is 0",
        "on_hold_for is not given",
    )
    assert not has(
        warnings_of(imatinib={"current_dose_mg": 0, "on_hold_for": "other"}),
        "on_hold_for is not given",
    )


def test_on_hold_for_with_a_dose_warns() -> None:
    assert has(warnings_of(imatinib={"on_hold_for": "skin"}), "on_hold_for is skin", "not on hold")


def test_history_after_the_visit_warns_and_the_visit_day_does_not() -> None:
    assert has(
        warnings_of(history=[episode(date="2024-03-02")]),
        "history[0].date 2024-03-02 is after the visit date 2024-03-01",
    )
    assert not has(warnings_of(history=[episode(date="2024-03-01")]), "is after the visit")


def test_history_out_of_order_warns() -> None:
    warnings = warnings_of(history=[episode(date="2024-02-01"), episode(date="2024-01-01")])
    assert has(warnings, "history[1] is dated before the entry above it")


def test_history_category_that_contradicts_the_term_warns() -> None:
    assert has(
        warnings_of(history=[episode(category="skin")]),
        "history[0].category is skin",
        "febrile_neutropenia is a hematologic term",
    )


def test_doses_off_the_ladder_warn_and_doses_on_it_do_not() -> None:
    warnings = warnings_of(
        imatinib={"starting_dose_mg": 400, "current_dose_mg": 350}, history=[episode(dose_mg=450)]
    )
    assert has(warnings, "imatinib.current_dose_mg 350 mg is not a dose of the ladder", LADDER)
    assert has(warnings, "history[0].dose_mg 450 mg is not a dose of the ladder")
    for dose in (800, 600, 400, 300, 200, 100):
        assert not has(warnings_of(imatinib={"current_dose_mg": dose}), "not a dose of the ladder")


def test_a_hold_at_0_mg_is_not_off_the_ladder() -> None:
    warnings = warnings_of(
        imatinib={"current_dose_mg": 0, "on_hold_for": "hematologic"}, history=[episode()]
    )
    assert not has(warnings, "not a dose of the ladder")


def test_detachment_larger_than_the_affected_area_warns() -> None:
    skin = {"morphology": "bullous", "bsa_percent": 5, "detachment_bsa_percent": 12}
    assert has(warnings_of(skin=skin), "detachment_bsa_percent 12 is larger than", "bsa_percent 5")
    skin["detachment_bsa_percent"] = 5
    assert not has(warnings_of(skin=skin), "is larger than")


def test_measured_anc_that_contradicts_the_differential_warns() -> None:
    labs = {
        "anc": {"value": 0.4, "unit": "10^9/L"},
        "wbc": {"value": 2, "unit": "10^9/L"},
        "neutrophils_percent": 50,
    }
    assert has(
        warnings_of(labs=labs), "conflicting inputs: measured ANC 0.4", "the measured ANC is used"
    )
    labs["neutrophils_percent"] = 20
    assert not has(warnings_of(labs=labs), "conflicting")


def test_warnings_reach_the_cli_output(tmp_path: Any) -> None:
    path = tmp_path / "v.json"
    path.write_text(json.dumps(make_visit(imatinib={"current_dose_mg": 0})))
    result = invoke(["grade", "--format", "json", str(path)])
    assert result.exit_code == 0
    assert has(json.loads(result.stdout)["warnings"], "on_hold_for is not given")
    table = invoke(["grade", str(path)])
    assert table.exit_code == 0 and "on_hold_for is not given" in " ".join(table.stdout.split())
