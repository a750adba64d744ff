"""Visit format extension A's sections: what is refused, naming field, value and accepted."""

from __future__ import annotations

from typing import Any

import pytest

from conftest import make_visit, result_of
from gist_tox.errors import InputError


def refused(**sections: Any) -> str:
    with pytest.raises(InputError) as info:
        result_of(make_visit(**sections))
    return str(info.value)


@pytest.mark.parametrize(
    ("sections", "expected"),
    [
        ({"labs": {"alt": {"value": 50, "unit": "U/L"}}}, "labs.alt.uln"),
        ({"labs": {"alt": {"value": 50, "unit": "mg/dL", "uln": 40}}}, "'mg/dL'"),
        ({"labs": {"bilirubin": {"value": 2000, "unit": "umol/L", "uln": 21}}}, "implausible"),
        ({"labs": {"bilirubin": {"value": 100, "unit": "mg/dL", "uln": 1.2}}}, "after conversion"),
        ({"labs": {"hemoglobin": {"value": 0.5, "unit": "g/dL"}}}, "implausible"),
        ({"labs": {"alt": {"value": 50, "unit": "U/L", "uln": 0}}}, "uln 0 U/L must be above 0"),
        # a limit of normal written in another unit than the value (the U/L or umol/L figure)
        (
            {"labs": {"alt": {"value": 3.5, "unit": "ukat/L", "uln": 40}}},
            "uln 40 ukat/L is implausible as an upper limit of normal (expected 0.0833-4.17"
            " ukat/L); give the ULN in the value's unit, ukat/L",
        ),
        ({"labs": {"ast": {"value": 210, "unit": "U/L", "uln": 0.67}}}, "expected 5-250 U/L"),
        ({"labs": {"bilirubin": {"value": 3, "unit": "mg/dL", "uln": 21}}}, "uln 21 mg/dL is"),
        ({"labs": {"bilirubin": {"value": 51, "unit": "umol/L", "uln": 1.2}}}, "uln 1.2 umol/L"),
        ({"labs": {"hemoglobin": {"value": 90, "unit": "g/L", "lln": 13}}}, "as a lower limit"),
        ({"weight": {"value_kg": 80}}, "weight.baseline_kg"),
        ({"fluid": {"limb_edema": {"present": True}}}, "appearance is required"),
        (
            {"fluid": {"limb_edema": {"present": False, "appearance": "gross"}}},
            "present is false but appearance given",
        ),
        (
            {
                "fluid": {
                    "limb_edema": {
                        "present": True,
                        "appearance": "gross",
                        "discrepancy_percent": 12,
                    }
                }
            },
            "come together",
        ),
        (
            {
                "fluid": {
                    "pleural_effusion": {"present": True, "symptomatic": False, "hypoxia": True}
                }
            },
            "symptomatic is false",
        ),
        (
            {
                "fluid": {
                    "periorbital_edema": {
                        "present": True,
                        "ocular_findings": ["glaucoma", "glaucoma"],
                    }
                }
            },
            "more than once",
        ),
        (
            {
                "fluid": {
                    "face_edema": {"present": True, "swelling": "severe", "clinician_grade": 4}
                }
            },
            "clinician_grade",
        ),
        ({"renal": {"dialysis": False}}, "creatinine_clearance_ml_min"),
        ({"hepatic_impairment": "slight"}, "'slight'"),
    ],
)
def test_refused(sections: dict[str, Any], expected: str) -> None:
    assert expected in refused(**sections)


def test_omitted_symptomatic_is_true_with_hypoxia_and_distress() -> None:
    fluid = {"pleural_effusion": {"present": True, "respiratory_distress": True, "hypoxia": True}}
    assert result_of(make_visit(fluid=fluid))["grades"]["pleural_effusion"]["grade"] == 3


def test_absent_present_false_is_grade_0_with_clinician_grade_0_allowed() -> None:
    fluid = {"face_edema": {"present": False, "clinician_grade": 0}}
    got = result_of(make_visit(fluid=fluid))["grades"]["edema_face"]
    assert (got["grade"], got["basis"]) == (0, "assessed, no face edema")


def test_fluid_clinician_grade_is_compared_with_the_computed_grade() -> None:
    fluid = {"face_edema": {"present": True, "swelling": "localized", "clinician_grade": 2}}
    result = result_of(make_visit(fluid=fluid))
    assert result["grades"]["edema_face"]["grade"] == 1
    assert any("fluid.face_edema.clinician_grade 2 differs" in w for w in result["warnings"])
