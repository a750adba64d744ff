"""FHIR in, visit format extension A's measurements (gist_tox.fhir.measurements): liver tests
with the laboratory's ULN and a pre-treatment baseline, hemoglobin, weight, creatinine
clearance; ambiguity is refused as for the blood counts."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from conftest import invoke, refusal_lines
from fhir_twin import bundle_of, observation
from gist_tox.pipeline import RuleSets, evaluate_file

_RULES = RuleSets()
DAY = "2025-03-03T09:00:00Z"
W1 = {
    "patient": {"id": "W-LIVER"},
    "date": "2025-03-03",
    "imatinib": {"indication": "gist-metastatic", "starting_dose_mg": 400, "current_dose_mg": 400},
    "labs": {
        "anc": {"value": 3.0, "unit": "10^9/L", "lln": 1.8},
        "platelets": {"value": 200, "unit": "10^9/L", "lln": 150},
        "alt": {"value": 212, "unit": "U/L", "uln": 40},
        "bilirubin": {"value": 15, "unit": "umol/L", "uln": 21},
    },
}
START = "2025-01-02"
"""The day of the twin's imatinib order (60 days before W1's visit)."""


def _bundle(*extra: dict[str, Any], **changes: Any) -> dict[str, Any]:
    visit = copy.deepcopy(W1)
    visit.update(changes)
    bundle = bundle_of(visit)
    bundle["entry"].extend({"resource": r} for r in extra)
    return bundle


def _visit(tmp_path: Path, bundle: dict[str, Any]) -> Any:
    path = tmp_path / "visit.json"
    path.write_text(json.dumps(bundle, default=str))
    return evaluate_file(str(path), _RULES)


def _refusal(tmp_path: Path, bundle: dict[str, Any]) -> str:
    path = tmp_path / "visit.json"
    path.write_text(json.dumps(bundle, default=str))
    result = invoke(["grade", str(path)])
    assert result.exit_code == 2, result.output
    return str(refusal_lines(result.stderr)[0])


def _alt(oid: str, when: str, value: Any, unit: str = "U/L", high: Any = 40) -> dict[str, Any]:
    return observation(oid, "W-LIVER", "1743-4", when, value, unit, None, high)


def test_the_baseline_is_the_latest_value_before_the_first_imatinib_order(
    tmp_path: Path,
) -> None:
    bundle = _bundle(
        _alt("older", "2024-11-02T09:00:00Z", 90),
        _alt("latest-before", "2024-12-30T09:00:00Z", 22),
        _alt("on-the-start-day", f"{START}T07:00:00Z", 35),  # maybe after the first dose
        _alt("during", "2025-02-03T09:00:00Z", 60),
    )
    evaluation = _visit(tmp_path, bundle)
    alt = evaluation.visit.labs.alt
    assert (alt.value, alt.unit, alt.uln, alt.baseline) == (212, "U/L", 40, 22)
    assert evaluation.as_json()["grades"]["alanine_aminotransferase_increased"]["grade"] == 3


def test_without_a_value_before_treatment_the_baseline_is_absent(tmp_path: Path) -> None:
    evaluation = _visit(tmp_path, _bundle(_alt("during", "2025-02-03T09:00:00Z", 60)))
    assert evaluation.visit.labs.alt.baseline is None
    assert any("baseline" in w for w in evaluation.as_json()["warnings"])


def test_a_baseline_answered_in_the_questionnaire_is_taken_as_given(tmp_path: Path) -> None:
    bundle = _bundle(_alt("latest-before", "2024-12-30T09:00:00Z", 22))
    answers = next(
        e["resource"]["item"]
        for e in bundle["entry"]
        if e["resource"]["resourceType"] == "QuestionnaireResponse"
    )
    answers.append({"linkId": "labs.alt.baseline", "answer": [{"valueDecimal": 30}]})
    assert _visit(tmp_path, bundle).visit.labs.alt.baseline == 30


def test_a_limit_or_baseline_in_another_unit_is_converted_only_when_exact_by_definition(
    tmp_path: Path,
) -> None:
    bundle = _bundle(_alt("latest-before", "2024-12-30T09:00:00Z", 0.5, "ukat/L"))
    assert _visit(tmp_path, bundle).visit.labs.alt.baseline == 30  # 1 ukat/L = 60 U/L
    bilirubin = observation(
        "bili-before", "W-LIVER", "1975-2", "2024-12-30T09:00:00Z", 0.5, "mg/dL"
    )
    line = _refusal(tmp_path, _bundle(bilirubin))
    assert "Observation/bili-before valueQuantity" in line and "rounded factor" in line


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        (_alt("alt-2", "2025-03-03T15:00:00Z", 150), ["conflicting alt", "Observation/alt-2"]),
        (_alt("alt-2", "2025-03-03T15:00:00Z", 212, high=35), ["conflicting alt reference"]),
        (_alt("alt-2", "2025-03-03T15:00:00Z", 212, "mg/dL"), ["'mg/dL' is not allowed"]),
        (_alt("alt-2", "2025-03-03T15:00:00Z", 212, high=None), []),  # the other gives the ULN
    ],
    ids=["two-values", "two-ulns", "unknown-unit", "one-without-uln"],
)
def test_ambiguity_on_the_visit_day_is_refused_naming_the_resource(
    tmp_path: Path, extra: dict[str, Any], expected: list[str]
) -> None:
    if not expected:
        assert _visit(tmp_path, _bundle(extra)).visit.labs.alt.uln == 40
        return
    line = _refusal(tmp_path, _bundle(extra))
    assert "visit.json" in line and all(e in line for e in expected), line


def test_a_liver_test_without_the_laboratorys_uln_is_refused(tmp_path: Path) -> None:
    bundle = _bundle()
    alt = next(e["resource"] for e in bundle["entry"] if e["resource"]["id"] == "alt-2025-03-03")
    del alt["referenceRange"]
    line = _refusal(tmp_path, bundle)
    assert "Observation/alt-2025-03-03 referenceRange.high" in line and "ULN" in line


def test_a_missing_unit_is_refused(tmp_path: Path) -> None:
    bundle = _bundle()
    alt = next(e["resource"] for e in bundle["entry"] if e["resource"]["id"] == "alt-2025-03-03")
    del alt["valueQuantity"]["code"], alt["valueQuantity"]["unit"]
    line = _refusal(tmp_path, bundle)
    assert "Observation/alt-2025-03-03 valueQuantity.code" in line and "no code" in line


def test_egfr_is_not_read_as_a_creatinine_clearance(tmp_path: Path) -> None:
    egfr = observation("egfr", "W-LIVER", "62238-1", DAY, 30, "mL/min/{1.73_m2}")
    evaluation = _visit(tmp_path, _bundle(egfr))
    assert evaluation.visit.renal is None
    crcl = observation("crcl", "W-LIVER", "35591-7", DAY, 30, "mL/min")
    evaluation = _visit(tmp_path, _bundle(crcl))
    assert evaluation.as_json()["patient_factors"]["renal"]["band"] == "moderate"


def test_a_weight_without_a_weight_before_treatment_leaves_weight_absent(
    tmp_path: Path,
) -> None:
    weight = observation("weight", "W-LIVER", "29463-7", DAY, 81.5, "kg")
    evaluation = _visit(tmp_path, _bundle(weight))
    assert evaluation.visit.weight is None
    before = observation("weight-0", "W-LIVER", "3141-9", "2024-12-01", 74.0, "kg")
    evaluation = _visit(tmp_path, _bundle(weight, before))
    assert evaluation.as_json()["grades"]["weight_gain"]["grade"] == 2  # +10.14%


def test_liver_tests_do_not_make_a_day_a_visit_day(tmp_path: Path) -> None:
    later = _alt("later", "2025-03-10T09:00:00Z", 500)
    evaluation = _visit(tmp_path, _bundle(later))
    assert str(evaluation.visit.date) == "2025-03-03" and evaluation.visit.labs.alt.value == 212


def _ranges(*ranges: dict[str, Any]) -> dict[str, Any]:
    bundle = _bundle()
    alt = next(e["resource"] for e in bundle["entry"] if e["resource"]["id"] == "alt-2025-03-03")
    alt["referenceRange"] = list(ranges)
    return bundle


def _range(high: int, meaning: str | None = None, **more: Any) -> dict[str, Any]:
    out: dict[str, Any] = {
        "high": {"value": high, "system": "http://unitsofmeasure.org", "code": "U/L"}
    }
    if meaning:
        system = "http://terminology.hl7.org/CodeSystem/referencerange-meaning"
        out["type"] = {"coding": [{"system": system, "code": meaning}]}
    return {**out, **more}


def test_the_uln_is_the_normal_ranges_and_two_that_may_apply_are_refused(tmp_path: Path) -> None:
    bundle = _ranges(_range(100, "therapeutic"), _range(40, "normal"))
    assert _visit(tmp_path, bundle).visit.labs.alt.uln == 40
    by_sex = [
        _range(45, appliesTo=[{"text": "male"}]),
        _range(35, appliesTo=[{"text": "female"}]),
    ]
    line = _refusal(tmp_path, _ranges(*by_sex))
    assert "Observation/alt-2025-03-03 referenceRange" in line and "2 different" in line


def test_a_visit_before_treatment_takes_no_baseline_from_after_it(tmp_path: Path) -> None:
    bundle = _bundle(_alt("between", "2025-03-20T09:00:00Z", 22))
    start = next(e["resource"] for e in bundle["entry"] if e["resource"]["id"] == "imatinib-start")
    start["authoredOn"] = "2025-04-01"
    start_dose = {"linkId": "imatinib.starting_dose_mg", "answer": [{"valueInteger": 400}]}
    current = {"linkId": "imatinib.current_dose_mg", "answer": [{"valueInteger": 400}]}
    answers = next(
        e["resource"]["item"]
        for e in bundle["entry"]
        if e["resource"]["resourceType"] == "QuestionnaireResponse"
    )
    answers.extend([start_dose, current])
    assert _visit(tmp_path, bundle).visit.labs.alt.baseline is None
