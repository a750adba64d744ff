"""FHIR in: the medicines taken besides imatinib on the visit's day -> ``comedications``
(gist_tox.fhir.comedications)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from fhir_twin import bundle_of
from gist_tox.pipeline import RuleSets, evaluate_file

_RULES = RuleSets()
VISIT = {
    "patient": {"id": "W-TB"},
    "date": "2025-05-05",
    "imatinib": {"indication": "gist-metastatic", "starting_dose_mg": 400, "current_dose_mg": 400},
    "labs": {
        "anc": {"value": 3.0, "unit": "10^9/L", "lln": 1.8},
        "platelets": {"value": 200, "unit": "10^9/L", "lln": 150},
    },
}


def _statement(sid: str, concept: dict[str, Any], **fields: Any) -> dict[str, Any]:
    return {
        "resourceType": "MedicationStatement",
        "id": sid,
        "status": "active",
        "medicationCodeableConcept": concept,
        "subject": {"reference": "Patient/W-TB"},
        "effectiveDateTime": "2025-04-01",
        **fields,
    }


def test_active_medicines_but_imatinib_are_named_as_the_record_names_them(
    tmp_path: Path,
) -> None:
    rxnorm = "http://www.nlm.nih.gov/research/umls/rxnorm"
    resources = [
        _statement("text", {"text": "rifampin 600 mg"}),
        _statement(
            "display", {"coding": [{"system": rxnorm, "code": "11289", "display": "warfarin"}]}
        ),
        _statement("code-only", {"coding": [{"system": rxnorm, "code": "10582"}]}),
        _statement("same-again", {"text": "Rifampin 600 mg"}),
        _statement("stopped", {"text": "phenytoin"}, status="stopped"),
        _statement(
            "ended",
            {"text": "carbamazepine"},
            effectivePeriod={"start": "2025-01-01", "end": "2025-05-04"},
            effectiveDateTime=None,
        ),
        _statement("later", {"text": "ketoconazole"}, effectiveDateTime="2025-05-06"),
        {
            "resourceType": "MedicationRequest",
            "id": "proposal",
            "status": "active",
            "intent": "proposal",
            "medicationCodeableConcept": {"text": "dexamethasone"},
            "subject": {"reference": "Patient/W-TB"},
            "authoredOn": "2025-04-01",
        },
        {
            "resourceType": "MedicationRequest",
            "id": "order",
            "status": "active",
            "intent": "order",
            "medicationCodeableConcept": {"text": "levothyroxine"},
            "subject": {"reference": "Patient/W-TB"},
        },
    ]
    bundle = bundle_of(VISIT)
    for resource in resources:
        bundle["entry"].append({"resource": {k: v for k, v in resource.items() if v is not None}})
    path = tmp_path / "visit.json"
    path.write_text(json.dumps(bundle))
    visit = evaluate_file(str(path), _RULES).visit
    # orders first, then statements; the twin's own imatinib order is not listed
    assert visit.comedications == ["levothyroxine", "rifampin 600 mg", "warfarin", "RxNorm 10582"]
