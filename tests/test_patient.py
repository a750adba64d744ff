"""The patient timeline file: strict, in date order, and publishable as a JSON Schema."""

from __future__ import annotations

import json
from typing import Any

import pytest

from conftest import EXAMPLES
from gist_tox.errors import InputError
from gist_tox.patient import Patient
from gist_tox.timeline import load_patient


def raw(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "patient": {"id": "P-1", "age": 60},
        "treatment": {
            "indication": "gist-metastatic",
            "start": "2024-01-01",
            "starting_dose_mg": 400,
        },
        "visits": [
            {"date": "2024-01-15", "labs": {"anc": {"value": 2, "unit": "10^9/L"}}},
            {"date": "2024-02-01", "disease_status": "stable"},
        ],
    }
    data.update(changes)
    return data


def load(data: dict[str, Any]) -> Patient:
    return load_patient("p.json", text=json.dumps(data))


def test_published_example_loads() -> None:
    patient = load_patient(str(EXAMPLES / "hwang-2010" / "patient.yaml"))
    assert patient.patient.id == "HWANG-2010"
    assert patient.treatment.starting_dose_mg == 400 and len(patient.visits) == 11


def test_a_minimal_patient_loads_with_defaults() -> None:
    patient = load(raw())
    assert patient.visits[1].labs is None and patient.ctcae_version is None


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        (raw(visits=[{"date": "2024-02-01"}, {"date": "2024-01-15"}]), "", "date order"),
        (raw(visits=[{"date": "2024-02-01"}, {"date": "2024-02-01"}]), "", "one per date"),
        (raw(visits=[{"date": "2023-12-31"}]), "", "before treatment.start"),
        (raw(visits=[]), "visits", "at least 1"),
        (raw(visits=[{"date": "2024-01-15", "history": []}]), "visits[0].history", "unknown field"),
        (
            raw(visits=[{"date": "2024-01-15", "current_dose_mg": 400}]),
            "visits[0].current_dose_mg",
            "unknown field",
        ),
        (
            raw(treatment={"indication": "gist-metastatic", "start": "2024-01-01"}),
            "treatment.starting_dose_mg",
            "required",
        ),
        (
            raw(treatment={"indication": "cml", "start": "2024-01-01", "starting_dose_mg": 400}),
            "treatment.indication",
            "expected one of",
        ),
        (
            raw(visits=[{"date": "2024-01-15", "labs": {"anc": {"value": 1, "unit": "g/L"}}}]),
            "visits[0].labs.anc.unit",
            "g/L",
        ),
        (raw(pateint={"id": "x"}), "pateint", "did you mean 'patient'"),
    ],
)
def test_bad_patient_files_are_one_clear_error(
    data: dict[str, Any], field: str, message: str
) -> None:
    with pytest.raises(InputError) as info:
        load(data)
    line = info.value.one_line()
    assert line.startswith("p.json") and message in line
    if field:
        assert info.value.field == field


def test_patient_model_publishes_a_json_schema() -> None:
    schema = Patient.model_json_schema()
    assert set(schema["required"]) == {"patient", "treatment", "visits"}
    assert schema["additionalProperties"] is False
    visit = schema["$defs"]["TimelineVisit"]
    assert "history" not in visit["properties"] and visit["additionalProperties"] is False
