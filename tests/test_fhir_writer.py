"""FHIR out: ``--format fhir`` writes resources an EHR can store, and reads them back
(gist_tox.fhir.writer)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from fhir.resources.R4B import get_fhir_model_class

from conftest import EXAMPLES, invoke
from fhir_twin import observed, order
from gist_tox.fhir import codes
from gist_tox.fhir.writer import bundle
from gist_tox.pipeline import RuleSets, evaluate_file
from gist_tox.timeline import load_patient, replay
from test_fhir_reader import YAML_EXAMPLES, _decided

_RULES = RuleSets()


def _resources(written: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [e["resource"] for e in written["entry"] if e["resource"]["resourceType"] == kind]


@pytest.mark.parametrize("path", YAML_EXAMPLES, ids=lambda p: str(p.relative_to(EXAMPLES)))
def test_every_resource_written_is_valid_fhir_and_says_what_the_result_says(path: Path) -> None:
    evaluation = evaluate_file(str(path), _RULES)
    written = bundle([evaluation.as_json()])
    assert written["type"] == "collection"
    urls = {e["fullUrl"] for e in written["entry"]}
    for entry in written["entry"]:
        resource = entry["resource"]
        get_fhir_model_class(resource["resourceType"]).model_validate(resource)
    result = evaluation.as_json()
    graded = {k: g["grade"] for k, g in result["grades"].items() if (g["grade"] or 0) >= 1}
    listed = {e["term_id"]: e for e in result["other_events"]}
    episodes = {e["term"]: e["grade"] for e in (result["next_visit"] or {}).get("history", [])}
    for term_id, event in listed.items():
        if event["grade"] >= 1:
            graded[term_id] = episodes.get(term_id, event["grade"])
    for term_id, grade in episodes.items():
        graded.setdefault(term_id, grade)
    meddra_codes = {k: g["meddra_code"] for k, g in result["grades"].items()}
    meddra_codes.update({k: e["meddra_code"] for k, e in listed.items()})
    events = _resources(written, "AdverseEvent")
    found = {}
    for event in events:
        grade = next(x for x in event["extension"] if x["url"] == codes.CTCAE_GRADE_EXTENSION)
        term = next(c for c in event["event"]["coding"] if c["system"] == codes.TERM_SYSTEM)
        meddra = next(c for c in event["event"]["coding"] if c["system"] == codes.MEDDRA)
        found[term["code"]] = int(grade["valueCodeableConcept"]["coding"][0]["code"])
        assert meddra["code"] == meddra_codes[term["code"]]
        assert meddra["version"] == result["rules"]["ctcae_version"]
        assert event["meta"]["profile"] == [codes.CTCAE_PROFILE]
        assert event["subject"]["reference"] == f"Patient/{result['patient_id']}"
        assert event["date"] == result["date"]
        assert event["suspectEntity"][0]["instance"]["reference"] in urls
    assert found == graded
    (proposal,) = _resources(written, "MedicationRequest")
    rec = result["recommendation"]
    assert proposal["intent"] == "proposal"
    assert proposal["extension"][0]["valueCoding"]["code"] == rec["action"]
    if rec["action"] in ("hold", "discontinue"):
        assert proposal["doNotPerform"] is True and "dosageInstruction" not in proposal
    else:
        dose = proposal["dosageInstruction"][0]["doseAndRate"][0]["doseQuantity"]["value"]
        assert dose == rec["dose_mg"]
    assert len(proposal["note"]) >= 1 + len(rec["reasons"])
    assert {r["reference"] for r in proposal.get("supportingInformation", [])} == {
        u for u in urls if any(e["id"] in u for e in events)
    }
    issues = _resources(written, "DetectedIssue")
    assert [i["detail"] for i in issues] == [
        *(r["text"] for r in rec["review"]),
        *result["warnings"],
    ]


def test_grade_format_fhir_prints_the_bundle(tmp_path: Path) -> None:
    out = tmp_path / "out.json"
    result = invoke(
        [
            "grade",
            str(EXAMPLES / "fhir" / "hwang-2010-worst-visit.json"),
            "-f",
            "fhir",
            "-o",
            str(out),
        ]
    )
    assert result.exit_code == 0, result.output
    written = json.loads(out.read_text())
    assert written["resourceType"] == "Bundle"
    (proposal,) = _resources(written, "MedicationRequest")
    resume = next(x for x in proposal["extension"] if x["url"] == codes.RESUME_EXTENSION)
    assert {x["url"] for x in resume["extension"]} == {"when", "dose"}
    assert [c["code"] for c in proposal["reasonCode"][0]["coding"]] == ["hematologic", "skin"]


def _accepted(proposal: dict[str, Any], day: str, pid: str) -> dict[str, Any]:
    """What the EHR holds once a clinician accepts gist-tox's proposal: an order."""
    action = proposal["extension"][0]["valueCoding"]["code"]
    if proposal.get("doNotPerform"):
        held = order(f"order-{day}", pid, day, None, "on-hold")
        held["statusReason"] = proposal["reasonCode"][0]
        return held
    dose = proposal["dosageInstruction"][0]["doseAndRate"][0]["doseQuantity"]["value"]
    assert action in ("continue", "reduce", "resume", "escalate")
    return order(f"order-{day}", pid, day, dose)


def test_what_gist_tox_writes_it_reads_back_as_the_next_visits_history(tmp_path: Path) -> None:
    """Visit by visit, the Bundle of what was observed plus what gist-tox wrote before (its
    AdverseEvents, its proposals accepted as orders) grades and doses as the timeline does."""
    path = EXAMPLES / "hwang-2010" / "patient.yaml"
    patient = load_patient(str(path))
    timeline = [e.as_json() for e in replay(patient, _RULES, str(path))]
    raw = yaml.safe_load(path.read_text())
    pid = raw["patient"]["id"]
    ehr: list[dict[str, Any]] = [
        order(
            "imatinib-start",
            pid,
            str(raw["treatment"]["start"]),
            raw["treatment"]["starting_dose_mg"],
        )
    ]
    for index, seen in enumerate(raw["visits"]):
        day = str(seen["date"])
        visit = {
            "patient": raw["patient"],
            "date": day,
            "imatinib": {
                "indication": raw["treatment"]["indication"],
                "disease_status": seen.get("disease_status"),
            },
            **{k: v for k, v in seen.items() if k in ("labs", "fever", "consequences", "skin")},
        }
        resources = [*observed(visit), *ehr]
        source = tmp_path / f"visit-{index}.json"
        source.write_text(
            json.dumps(
                {
                    "resourceType": "Bundle",
                    "type": "collection",
                    "entry": [{"resource": r} for r in resources],
                }
            )
        )
        evaluation = evaluate_file(str(source), _RULES)
        assert _decided(evaluation.as_json()) == _decided(timeline[index]), day
        written = bundle([evaluation.as_json()])
        ehr.extend(_resources(written, "AdverseEvent"))
        (proposal,) = _resources(written, "MedicationRequest")
        ehr.append(_accepted(proposal, day, pid))
    assert any(e["resourceType"] == "AdverseEvent" for e in ehr)


def test_timeline_format_fhir_writes_every_visit() -> None:
    result = invoke(["timeline", str(EXAMPLES / "hwang-2010" / "patient.yaml"), "-f", "fhir"])
    assert result.exit_code == 0, result.output
    written = json.loads(result.stdout)
    proposals = _resources(written, "MedicationRequest")
    assert len(proposals) == 11
    assert len(_resources(written, "Medication")) == 1


def test_the_shipped_questionnaire_names_visit_fields_and_is_valid_fhir() -> None:
    result = invoke(["schema", "questionnaire"])
    assert result.exit_code == 0, result.output
    written = json.loads(result.stdout)
    get_fhir_model_class("Questionnaire").model_validate(written)
    links = {item["linkId"] for item in written["item"]}
    assert {"skin.bsa_percent", "imatinib.indication", "consequences.life_threatening"} <= links
    morphology = next(i for i in written["item"] if i["linkId"] == "skin.morphology")
    assert "exfoliative" in {o["valueCoding"]["code"] for o in morphology["answerOption"]}
    by_link = {i["linkId"]: i for i in written["item"]}
    intervention = by_link["fluid.pleural_effusion.intervention"]["answerOption"]
    assert "chest_tube" in {o["valueCoding"]["code"] for o in intervention}
    assert [o["valueCoding"]["code"] for o in by_link["hepatic_impairment"]["answerOption"]] == [
        "none",
        "mild",
        "moderate",
        "severe",
    ]
    events = by_link["other_events"]
    assert events["type"] == "group" and events["repeats"] is True
    assert [i["linkId"] for i in events["item"]] == [
        "other_events.term",
        "other_events.grade",
        "other_events.specify",
    ]


def test_batch_format_fhir_writes_one_bundle_per_visit_and_failures_as_outcomes(
    tmp_path: Path,
) -> None:
    (tmp_path / "good.yaml").write_text((EXAMPLES / "hwang-2010-worst-visit.yaml").read_text())
    (tmp_path / "bad.yaml").write_text("patient: {id: X}\n")
    result = invoke(["batch", str(tmp_path), "-f", "fhir", "-j", "1"])
    assert result.exit_code == 2
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["resourceType"] for r in lines] == ["OperationOutcome", "Bundle"]
    for line in lines:
        get_fhir_model_class(line["resourceType"]).model_validate(line)
    assert "bad.yaml" in lines[0]["issue"][0]["diagnostics"]


WORKED = {
    c["id"].split("-")[0]: c["visit"]
    for c in yaml.safe_load(
        (EXAMPLES.parent / "cases" / "dosing" / "extension-a-worked-examples.yaml").read_text()
    )["cases"]
    if "visit" in c
}
OTHER_ENDS = {
    **WORKED["W11"],
    "date": "2025-05-26",
    "imatinib": {
        "indication": "gist-metastatic",
        "starting_dose_mg": 400,
        "current_dose_mg": 0,
        "on_hold_for": "other_nonhematologic",
    },
    "other_events": [{"term": "diarrhea", "grade": 1}],
    "history": [
        {
            "date": "2025-05-05",
            "category": "other_nonhematologic",
            "term": "diarrhea",
            "grade": 3,
            "dose_mg": 400,
        }
    ],
}
"""W11's patient three weeks later, the diarrhoea down to grade 1 (the contract's W2 and W9
are the hepatic and fluid holds' next visits)."""


@pytest.mark.parametrize(
    ("first", "then"),
    [(WORKED["W1"], WORKED["W2"]), (WORKED["W8"], WORKED["W9"]), (WORKED["W11"], OTHER_ENDS)],
    ids=["hepatic", "fluid", "other_nonhematologic"],
)
def test_a_hold_of_extension_a_written_as_fhir_reads_back_as_the_next_visits_history(
    first: dict[str, Any], then: dict[str, Any], tmp_path: Path
) -> None:
    """The hold's visit is graded from FHIR, gist-tox's Bundle (its AdverseEvents, its
    proposal accepted as an on-hold order) joins the record, and the next visit, read from
    FHIR, decides as its YAML twin that states the history and the hold."""
    pid = first["patient"]["id"]
    start = order("imatinib-start", pid, "2025-01-01", first["imatinib"]["starting_dose_mg"])
    visit = {k: v for k, v in first.items() if k != "history"}
    record = {("MedicationRequest", "imatinib-start"): start}

    def graded(seen: dict[str, Any], name: str) -> dict[str, Any]:
        record.update({(r["resourceType"], r["id"]): r for r in observed(seen)})
        path = tmp_path / name
        path.write_text(
            json.dumps(
                {
                    "resourceType": "Bundle",
                    "type": "collection",
                    "entry": [{"resource": r} for r in record.values()],
                },
                default=str,
            )
        )
        return evaluate_file(str(path), _RULES).as_json()

    held = graded(visit, "first.json")
    assert held["recommendation"]["action"] == "hold"
    written = bundle([held])
    category = then["history"][0]["category"]
    assert any(
        {"url": "category", "valueCode": category} in x.get("extension", [])
        for e in _resources(written, "AdverseEvent")
        for x in e["extension"]
    )
    record.update({(r["resourceType"], r["id"]): r for r in _resources(written, "AdverseEvent")})
    (proposal,) = _resources(written, "MedicationRequest")
    accepted = _accepted(proposal, str(first["date"]), pid)
    record[("MedicationRequest", accepted["id"])] = accepted
    later = graded({k: v for k, v in then.items() if k != "history"}, "then.json")
    twin = tmp_path / "then.yaml"
    twin.write_text(yaml.safe_dump(then))
    assert _decided(later) == _decided(evaluate_file(str(twin), _RULES).as_json())
    assert later["recommendation"]["action"] == "resume"
