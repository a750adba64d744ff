"""FHIR in: a Bundle is read into the same visit a YAML file gives (gist_tox.fhir.reader)."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from conftest import EXAMPLES, REPO, invoke, refusal_lines
from fhir_twin import adverse_event, bundle_of, observation, observed, order
from gist_tox.pipeline import RuleSets, evaluate_file

YAML_EXAMPLES = sorted(
    p for p in EXAMPLES.rglob("*.yaml") if "visits" not in yaml.safe_load(p.read_text())
)
"""Every single-visit example, extension A's sections included."""
WORKED = REPO / "cases" / "dosing" / "extension-a-worked-examples.yaml"
WORKED_VISITS = [c for c in yaml.safe_load(WORKED.read_text())["cases"] if "visit" in c]
"""Visit format extension A's worked examples W1-W21, each a complete visit."""
_RULES = RuleSets()


def _decided(result: dict[str, Any]) -> dict[str, Any]:
    """What must be equal between twins: every grade and the recommendation."""
    return {
        "patient_id": result["patient_id"],
        "date": result["date"],
        "rules": result["rules"],
        "grades": result["grades"],
        "recommendation": result["recommendation"],
    }


def _write(tmp_path: Path, bundle: dict[str, Any], name: str = "visit.json") -> str:
    path = tmp_path / name
    path.write_text(json.dumps(bundle, default=str))
    return str(path)


@pytest.mark.parametrize("path", YAML_EXAMPLES, ids=lambda p: str(p.relative_to(EXAMPLES)))
def test_each_yaml_example_and_its_fhir_twin_grade_and_dose_the_same(
    path: Path, tmp_path: Path
) -> None:
    twin = _write(tmp_path, bundle_of(yaml.safe_load(path.read_text())))
    yaml_result = evaluate_file(str(path), _RULES).as_json()
    fhir_result = evaluate_file(twin, _RULES).as_json()
    assert _decided(fhir_result) == _decided(yaml_result)


@pytest.mark.parametrize("case", WORKED_VISITS, ids=lambda c: str(c["id"]))
def test_each_worked_example_of_extension_a_and_its_fhir_twin_give_the_same_result(
    case: dict[str, Any], tmp_path: Path
) -> None:
    """In process (no subprocess per case): the visit as YAML and as a Bundle."""
    source = tmp_path / "visit.yaml"
    source.write_text(yaml.safe_dump(case["visit"]))
    twin = _write(tmp_path, bundle_of(case["visit"]))
    yaml_evaluation, fhir_evaluation = (
        evaluate_file(str(source), _RULES),
        evaluate_file(twin, _RULES),
    )
    same: dict[str, bool | set[str]] = {
        "format": True,
        "imatinib": {"on_hold_for"},
    }  # "fluid" reads as ["fluid"]
    assert fhir_evaluation.visit.model_dump(exclude=same) == yaml_evaluation.visit.model_dump(
        exclude=same
    )
    yaml_result, fhir_result = yaml_evaluation.as_json(), fhir_evaluation.as_json()
    for key in ("other_events", "patient_factors", "warnings"):
        assert fhir_result[key] == yaml_result[key], key
    assert _decided(fhir_result) == _decided(yaml_result)


@pytest.mark.parametrize(
    ("bundle", "twin"),
    [
        ("fhir/hwang-2010-worst-visit.json", "hwang-2010-worst-visit.yaml"),
        ("fhir/hepatotoxicity-hold.json", "dosing/hepatotoxicity-hold.yaml"),
    ],
)
def test_each_shipped_bundle_grades_as_its_yaml_twin(bundle: str, twin: str) -> None:
    fhir = evaluate_file(str(EXAMPLES / bundle), _RULES)
    assert _decided(fhir.as_json()) == _decided(
        evaluate_file(str(EXAMPLES / twin), _RULES).as_json()
    )


def test_the_shipped_bundles_hours_of_fever_come_from_its_readings() -> None:
    fhir = evaluate_file(str(EXAMPLES / "fhir" / "hwang-2010-worst-visit.json"), _RULES)
    # the 20 hours of fever come from six readings, 00:30 to 20:30, all >= 38.0 C
    assert fhir.visit.fever is not None and fhir.visit.fever.hours_at_or_above_38 == 20


BASE = {
    "patient": {"id": "P1"},
    "date": "2024-03-01",
    "imatinib": {"indication": "gist-metastatic", "starting_dose_mg": 400, "current_dose_mg": 400},
    "labs": {
        "anc": {"value": 0.9, "unit": "10^9/L"},
        "platelets": {"value": 200, "unit": "10^9/L"},
    },
}


def _bundle(**changes: Any) -> dict[str, Any]:
    visit = copy.deepcopy(BASE)
    visit.update(changes)
    return bundle_of(visit)


def _add(bundle: dict[str, Any], *resources: dict[str, Any]) -> dict[str, Any]:
    bundle["entry"].extend({"resource": r} for r in resources)
    return bundle


def _response(bundle: dict[str, Any]) -> dict[str, Any]:
    """The bundle's QuestionnaireResponse (what only the clinician knows)."""
    entries = (e["resource"] for e in bundle["entry"])
    return next(r for r in entries if r["resourceType"] == "QuestionnaireResponse")


def _one_line_error(tmp_path: Path, bundle: dict[str, Any], *args: str) -> str:
    result = invoke(["grade", _write(tmp_path, bundle), *args])
    assert result.exit_code == 2, result.output
    lines = refusal_lines(result.stderr)
    return str(lines[0])


def test_two_different_values_of_one_lab_on_one_day_are_refused_naming_both(
    tmp_path: Path,
) -> None:
    bundle = _add(
        _bundle(),
        observation("anc-2", "P1", "26499-4", "2024-03-01T15:00:00Z", 950, "/uL"),
    )
    line = _one_line_error(tmp_path, bundle)
    assert (
        "visit.json" in line
        and "Observation/anc-2" in line
        and "Observation/anc-2024-03-01" in line
    )
    assert "conflicting anc" in line


def test_the_same_value_reported_twice_in_other_units_is_no_conflict(tmp_path: Path) -> None:
    bundle = _add(
        _bundle(), observation("anc-2", "P1", "753-4", "2024-03-01T15:00:00Z", 900, "/mm3")
    )
    result = evaluate_file(_write(tmp_path, bundle), _RULES).as_json()
    assert result["grades"]["neutrophil_count_decreased"]["grade"] == 3


def test_bad_fhir_is_one_line_naming_file_resource_and_element(tmp_path: Path) -> None:
    bundle = _bundle()
    bundle["entry"][1]["resource"]["valueQuantity"]["value"] = "lots"
    line = _one_line_error(tmp_path, bundle)
    assert "visit.json" in line and "Observation/anc-2024-03-01 valueQuantity.value" in line


def test_a_unit_that_is_not_a_count_is_refused_naming_the_element(tmp_path: Path) -> None:
    bundle = _bundle()
    bundle["entry"][1]["resource"]["valueQuantity"]["code"] = "g/dL"
    line = _one_line_error(tmp_path, bundle)
    assert "Observation/anc-2024-03-01 valueQuantity.code" in line and "'g/dL'" in line


def test_resources_it_does_not_use_are_ignored(tmp_path: Path) -> None:
    bundle = _add(
        _bundle(),
        {"resourceType": "Condition", "id": "c", "whatever": ["not", "checked"]},
        {"resourceType": "SomethingNew", "id": "x"},
        observation("glucose", "P1", "2345-7", "2024-03-01T09:00:00Z", "not a number", "mg/dL"),
    )
    result = evaluate_file(_write(tmp_path, bundle), _RULES).as_json()
    assert result["grades"]["neutrophil_count_decreased"]["grade"] == 3


def test_the_latest_day_with_a_blood_count_is_graded_unless_a_date_is_asked(
    tmp_path: Path,
) -> None:
    bundle = _add(
        _bundle(),
        observation("anc-old", "P1", "751-8", "2024-02-01T09:00:00Z", 0.4, "10*9/L"),
        observation("temp-later", "P1", "8310-5", "2024-03-05T09:00:00Z", 39, "Cel"),
    )
    path = _write(tmp_path, bundle)
    latest = json.loads(invoke(["grade", path, "--format", "json"]).stdout)
    assert latest["date"] == "2024-03-01"
    asked = json.loads(invoke(["grade", path, "--format", "json", "--date", "2024-02-01"]).stdout)
    assert asked["date"] == "2024-02-01"
    assert asked["grades"]["neutrophil_count_decreased"]["grade"] == 4
    assert asked["grades"]["platelet_count_decreased"]["grade"] is None  # other day's: ignored
    line = _one_line_error(tmp_path, bundle, "--date", "2024-03-05")
    assert "no blood count on that day" in line and "2024-02-01, 2024-03-01" in line


def test_date_is_refused_for_a_visit_file() -> None:
    result = invoke(
        ["grade", str(EXAMPLES / "hwang-2010-worst-visit.yaml"), "--date", "2009-06-02"]
    )
    assert result.exit_code == 2 and "FHIR Bundle" in result.stderr


def test_an_on_hold_order_is_a_dose_of_zero_for_its_reason(tmp_path: Path) -> None:
    bundle = _bundle()
    bundle = _add(bundle, order("held", "P1", "2024-02-20", None, "on-hold", "hematologic"))
    result = evaluate_file(_write(tmp_path, bundle), _RULES)
    assert result.visit.imatinib.current_dose_mg == 0
    assert result.visit.imatinib.hold_categories == ("hematologic",)


def test_a_dose_twice_a_day_is_the_daily_total(tmp_path: Path) -> None:
    bundle = _bundle()
    twice = order("bid", "P1", "2024-02-20", 400)
    twice["dosageInstruction"][0]["timing"]["repeat"]["frequency"] = 2
    result = evaluate_file(_write(tmp_path, _add(bundle, twice)), _RULES)
    assert (result.visit.imatinib.starting_dose_mg, result.visit.imatinib.current_dose_mg) == (
        400,
        800,
    )


def test_an_adverse_event_an_ehr_wrote_is_history_at_the_dose_then(tmp_path: Path) -> None:
    entry = {"date": "2024-02-10", "term": "febrile_neutropenia", "grade": 3}
    ehr = adverse_event("fn", "P1", {**entry, "category": "?", "dose_mg": 0}, extension=False)
    ehr["event"]["coding"] = [
        {"system": "http://terminology.hl7.org/CodeSystem/MDRAE", "code": "10016288"}
    ]
    result = evaluate_file(_write(tmp_path, _add(_bundle(), ehr)), _RULES)
    assert [e.model_dump() for e in result.visit.history] == [
        {
            "date": __import__("datetime").date(2024, 2, 10),
            "category": "hematologic",
            "term": "febrile_neutropenia",
            "grade": 3,
            "dose_mg": 400,
        }
    ]


@pytest.mark.parametrize(
    ("term", "grade", "category"),
    [
        ("diarrhea", 3, "other_nonhematologic"),
        ("diarrhea", 2, None),  # no episode: R3 holds from grade 3
        ("ascites", 3, "fluid"),
        ("hepatic_failure", 3, "hepatic"),
        ("lipase_increased", 3, None),  # Investigations: review, no hold
        ("lipase_increased", 4, "other_nonhematologic"),
        ("anemia", 3, None),  # anemia never holds imatinib
        ("alanine_aminotransferase_increased", 3, "hepatic"),
    ],
)
def test_an_ehrs_adverse_event_of_extension_a_is_history_in_the_category_dosing_gives_it(
    tmp_path: Path, term: str, grade: int, category: str | None
) -> None:
    entry = {"date": "2024-02-10", "term": term, "grade": grade}
    ehr = adverse_event("ae", "P1", {**entry, "category": "?", "dose_mg": 0}, extension=False)
    history = evaluate_file(_write(tmp_path, _add(_bundle(), ehr)), _RULES).visit.history
    assert [(e.term, e.category) for e in history] == ([(term, category)] if category else [])


def test_each_repetition_of_the_other_events_group_is_one_event(tmp_path: Path) -> None:
    events = [
        {"term": "diarrhea", "grade": 2},
        {"term": "gastrointestinal_disorders_other_specify", "grade": 2, "specify": "gastritis"},
    ]
    result = evaluate_file(_write(tmp_path, _bundle(other_events=events)), _RULES)
    assert [e.model_dump(exclude_none=True) for e in result.visit.other_events or []] == events
    bundle = _bundle(other_events=events[:1])
    qr = _response(bundle)
    group = next(i for i in qr["item"] if i["linkId"] == "other_events")
    group["item"].append({"linkId": "skin.tenderness", "answer": [{"valueBoolean": True}]})
    line = _one_line_error(tmp_path, bundle)
    assert "skin.tenderness is not an item of other_events" in line


def test_a_questionnaire_answer_must_agree_with_the_orders(tmp_path: Path) -> None:
    bundle = _bundle()
    qr = _response(bundle)
    qr["item"].append({"linkId": "imatinib.current_dose_mg", "answer": [{"valueInteger": 300}]})
    line = _one_line_error(tmp_path, bundle)
    assert "QuestionnaireResponse/clinician" in line and "imatinib.current_dose_mg" in line


def test_an_unknown_questionnaire_item_is_refused_with_a_hint(tmp_path: Path) -> None:
    bundle = _bundle()
    qr = _response(bundle)
    qr["item"].append({"linkId": "skin.bsa_percnt", "answer": [{"valueDecimal": 3}]})
    line = _one_line_error(tmp_path, bundle)
    assert "item[1].linkId" in line and "did you mean 'skin.bsa_percent'" in line


def test_an_implausible_value_is_reported_at_its_resource(tmp_path: Path) -> None:
    bundle = _add(_bundle(), observation("t", "P1", "8310-5", "2024-03-01T09:00:00Z", 50, "Cel"))
    line = _one_line_error(tmp_path, bundle)
    assert "Observation/t valueQuantity" in line and "implausible" in line


def test_grading_a_yaml_visit_does_not_import_fhir() -> None:
    code = (
        "import sys; from gist_tox.pipeline import RuleSets, evaluate_file;"
        f"evaluate_file({str(EXAMPLES / 'hwang-2010-worst-visit.yaml')!r}, RuleSets());"
        "print(sorted(m for m in sys.modules if m.startswith(('fhir', 'gist_tox.fhir'))))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"


def test_timeline_of_a_bundle_replays_every_day_as_the_yaml_timeline(tmp_path: Path) -> None:
    raw = yaml.safe_load((EXAMPLES / "hwang-2010" / "patient.yaml").read_text())
    pid = raw["patient"]["id"]
    resources = {("start",): order("imatinib-start", pid, str(raw["treatment"]["start"]), 400)}
    for seen in raw["visits"]:
        drug = {
            "indication": raw["treatment"]["indication"],
            "disease_status": seen.get("disease_status"),
        }
        visit = {"patient": raw["patient"], "date": str(seen["date"]), "imatinib": drug}
        visit.update({k: seen[k] for k in ("labs", "fever", "consequences", "skin") if k in seen})
        resources.update({(r["resourceType"], r["id"]): r for r in observed(visit)})
    path = _write(
        tmp_path,
        {
            "resourceType": "Bundle",
            "type": "collection",
            "entry": [{"resource": r} for r in resources.values()],
        },
    )

    def timeline(source: str) -> list[dict[str, Any]]:
        result = invoke(["timeline", source, "-f", "json"])
        assert result.exit_code == 0, result.output
        return [_decided(v) for v in json.loads(result.stdout)["visits"]]

    assert timeline(path) == timeline(str(EXAMPLES / "hwang-2010" / "patient.yaml"))


OBSERVED_A = ("labs", "fever", "consequences", "skin", "weight", "fluid", "renal", "other_events")


@pytest.mark.parametrize(("first", "then"), [("W1", "W2"), ("W8", "W9")], ids=["hepatic", "fluid"])
def test_timeline_of_a_bundle_with_extension_a_replays_as_the_yaml_timeline(
    tmp_path: Path, first: str, then: str
) -> None:
    """The hold of the first visit and its end at the second are derived by the replay, from
    a Bundle as from a patient file."""
    worked = {c["id"].split("-")[0]: c["visit"] for c in WORKED_VISITS}
    seen = [worked[first], worked[then]]
    pid = seen[0]["patient"]["id"]
    patient = {
        "format": "gist-tox/patient@1",
        "patient": {"id": pid},
        "treatment": {
            "indication": "gist-metastatic",
            "start": "2025-01-01",
            "starting_dose_mg": 400,
        },
        "visits": [{"date": v["date"], **{k: v[k] for k in OBSERVED_A if k in v}} for v in seen],
    }
    resources = {("start",): order("imatinib-start", pid, "2025-01-01", 400)}
    for visit in seen:
        drug = {"indication": "gist-metastatic"}
        day = {"patient": {"id": pid}, "date": visit["date"], "imatinib": drug}
        day.update({k: visit[k] for k in OBSERVED_A if k in visit})
        resources.update({(r["resourceType"], r["id"]): r for r in observed(day)})
    bundle = {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [{"resource": r} for r in resources.values()],
    }
    source = tmp_path / "patient.yaml"
    source.write_text(yaml.safe_dump(patient))

    def timeline(path: str) -> list[dict[str, Any]]:
        result = invoke(["timeline", path, "-f", "json"])
        assert result.exit_code == 0, result.output
        return [_decided(v) for v in json.loads(result.stdout)["visits"]]

    replayed = timeline(_write(tmp_path, bundle))
    assert replayed == timeline(str(source))
    assert [v["recommendation"]["action"] for v in replayed] == ["hold", "resume"]


def test_a_unit_given_as_text_only_is_read_by_the_one_spelling_table(tmp_path: Path) -> None:
    bundle = _bundle()
    quantity = bundle["entry"][1]["resource"]["valueQuantity"]
    del quantity["code"], quantity["system"]
    quantity["unit"], quantity["value"] = "x10^9/L", 0.9
    result = evaluate_file(_write(tmp_path, bundle), _RULES)
    assert result.visit.labs is not None and result.visit.labs.anc is not None
    assert (result.visit.labs.anc.value, result.visit.labs.anc.unit) == (0.9, "10^9/L")


def test_an_order_may_name_its_medication_by_the_bundle_entry_url(tmp_path: Path) -> None:
    bundle = _bundle()
    start = next(
        e["resource"]
        for e in bundle["entry"]
        if e["resource"]["resourceType"] == "MedicationRequest"
    )
    start["medicationReference"] = {"reference": "urn:uuid:0f6e2a47-8b1c-4c43-9d2e-0a1b2c3d4e5f"}
    del start["medicationCodeableConcept"]
    medication = {
        "resourceType": "Medication",
        "id": "m",
        "code": {"text": "Imatinib 400 mg tablet"},
    }
    bundle["entry"].append(
        {"fullUrl": "urn:uuid:0f6e2a47-8b1c-4c43-9d2e-0a1b2c3d4e5f", "resource": medication}
    )
    result = evaluate_file(_write(tmp_path, bundle), _RULES)
    assert result.visit.imatinib.current_dose_mg == 400
