"""Facts of visit format extension A: liver tests, hemoglobin, weight and fluid findings.

The rule files choose between CTCAE's baseline alternatives; this module only states the
measurements they compare, exactly (a ratio of two exact decimals is an exact fraction, never a
rounded float): each liver test as a multiple of its ULN and of its baseline, and whether the
baseline was normal.  A section that is absent gives no fact, so its terms are "absent" (not
gradable, input missing); a subsection present with ``present: true`` gives every finding, an
omitted yes/no as no, as the contract says.
"""

from __future__ import annotations

from typing import Any

from gist_tox.units import exact
from gist_tox.visit import Visit

LIVER_TESTS = (("alt", "ALT"), ("ast", "AST"), ("bilirubin", "bilirubin"))
HEMOGLOBIN_UNITS = {"g/dL": "g_dl", "g/L": "g_l", "mmol/L": "mmol_l"}
OCULAR = ("increased_intraocular_pressure", "glaucoma", "retinal_hemorrhage", "optic_neuritis")

# field -> (kind, label, unit, missing reason, enum values)
Spec = tuple[str, str, str, str, tuple[str, ...]]


def _liver_fields() -> dict[str, Spec]:
    out: dict[str, Spec] = {}
    for key, label in LIVER_TESTS:
        absent = f"{label} not measured"
        out[f"labs.{key}.x_uln"] = ("number", f"{label} / ULN", "x ULN", absent, ())
        out[f"labs.{key}.x_baseline"] = (
            "number",
            f"{label} / baseline",
            "x baseline",
            absent,
            (),
        )
        out[f"labs.{key}.baseline_x_uln"] = (
            "number",
            f"{label} baseline / ULN",
            "x ULN",
            absent,
            (),
        )
        out[f"labs.{key}.baseline_normal"] = (
            "bool",
            f"{label} baseline <= ULN",
            "",
            absent,
            (),
        )
    return out


_FLUID_ABSENT = {
    "limb_edema": "limb edema not assessed",
    "periorbital_edema": "periorbital edema not assessed",
    "face_edema": "face edema not assessed",
    "pleural_effusion": "pleural effusion not assessed",
}
_ADL = ("none", "instrumental", "self_care")


def _fluid_fields() -> dict[str, Spec]:
    out: dict[str, Spec] = {}
    for section, absent in _FLUID_ABSENT.items():
        out[f"fluid.{section}.present"] = ("bool", section.replace("_", " "), "", absent, ())
    limb = "fluid.limb_edema"
    out[f"{limb}.appearance"] = (
        "enum",
        "limb edema appearance",
        "",
        _FLUID_ABSENT["limb_edema"],
        ("close_inspection", "readily_apparent", "gross"),
    )
    out[f"{limb}.discrepancy_percent"] = (
        "number",
        "inter-limb discrepancy",
        "%",
        "inter-limb discrepancy not measured",
        (),
    )
    out[f"{limb}.discrepancy_measure"] = (
        "enum",
        "discrepancy measured by",
        "",
        _FLUID_ABSENT["limb_edema"],
        ("none", "volume", "circumference"),
    )
    out[f"{limb}.adl_limitation"] = (
        "enum",
        "ADL limitation",
        "",
        _FLUID_ABSENT["limb_edema"],
        _ADL,
    )
    eye = "fluid.periorbital_edema"
    for name in (
        "pitting",
        "indurated",
        "topical_intervention_indicated",
        "visual_disturbance",
        *OCULAR,
        "diuretics_indicated",
        "operative_intervention_indicated",
    ):
        out[f"{eye}.{name}"] = (
            "bool",
            name.replace("_", " "),
            "",
            _FLUID_ABSENT["periorbital_edema"],
            (),
        )
    face = "fluid.face_edema"
    out[f"{face}.swelling"] = (
        "enum",
        "facial swelling",
        "",
        _FLUID_ABSENT["face_edema"],
        ("localized", "moderate", "severe"),
    )
    out[f"{face}.adl_limitation"] = (
        "enum",
        "ADL limitation",
        "",
        _FLUID_ABSENT["face_edema"],
        _ADL,
    )
    pleura = "fluid.pleural_effusion"
    for name in ("symptomatic", "respiratory_distress", "hypoxia"):
        out[f"{pleura}.{name}"] = (
            "bool",
            name.replace("_", " "),
            "",
            _FLUID_ABSENT["pleural_effusion"],
            (),
        )
    out[f"{pleura}.intervention"] = (
        "enum",
        "intervention indicated",
        "",
        _FLUID_ABSENT["pleural_effusion"],
        (
            "none",
            "diuretics",
            "thoracentesis",
            "other_medical",
            "chest_tube",
            "pleurodesis",
            "other_operative",
        ),
    )
    return out


def _other_fields() -> dict[str, Spec]:
    hb = "hemoglobin not measured"
    out: dict[str, Spec] = {
        "labs.hemoglobin.unit": ("enum", "hemoglobin unit", "", hb, tuple(HEMOGLOBIN_UNITS)),
        "labs.hemoglobin.lln": (
            "number",
            "hemoglobin LLN",
            "",
            "grade 0 or 1: no lab LLN (labs.hemoglobin.lln)",
            (),
        ),
        "consequences.red_cell_transfusion_indicated": (
            "bool",
            "red cell transfusion indicated",
            "",
            "",
            (),
        ),
        "weight.gain_percent": ("number", "weight change from baseline", "%", "weight absent", ()),
    }
    for unit, key in HEMOGLOBIN_UNITS.items():
        out[f"labs.hemoglobin.{key}"] = ("number", "hemoglobin", unit, hb, ())
    return out


EXTENSION_FIELDS: dict[str, Spec] = {**_liver_fields(), **_fluid_fields(), **_other_fields()}


def extension_facts(
    visit: Visit, values: dict[str, Any], notes: dict[str, str], warnings: list[str]
) -> None:
    """Add the extension's facts of ``visit`` to ``values`` (and ``notes``, ``warnings``)."""
    consequences = visit.consequences
    values["consequences.red_cell_transfusion_indicated"] = bool(
        consequences and consequences.red_cell_transfusion_indicated
    )
    labs = visit.labs
    if labs is not None:
        for key, label in LIVER_TESTS:
            test = getattr(labs, key)
            if test is not None:
                _liver(key, label, test, values, notes, warnings)
        if labs.hemoglobin is not None:
            hb = labs.hemoglobin
            values["labs.hemoglobin.unit"] = hb.unit
            values[f"labs.hemoglobin.{HEMOGLOBIN_UNITS[hb.unit]}"] = exact(hb.value)
            if hb.lln is not None:
                values["labs.hemoglobin.lln"] = exact(hb.lln)
    if visit.weight is not None:
        now, before = exact(visit.weight.value_kg), exact(visit.weight.baseline_kg)
        values["weight.gain_percent"] = (now - before) / before * 100
        notes["weight.gain_percent"] = (
            f"{visit.weight.value_kg:g} kg vs baseline {visit.weight.baseline_kg:g} kg"
        )
    if visit.fluid is not None:
        _fluid(visit, values)


def _liver(
    key: str,
    label: str,
    test: Any,
    values: dict[str, Any],
    notes: dict[str, str],
    warnings: list[str],
) -> None:
    value, uln = exact(test.value), exact(test.uln)
    values[f"labs.{key}.x_uln"] = value / uln
    notes[f"labs.{key}.x_uln"] = f"{label} {test.value:g} {test.unit}, ULN {test.uln:g} {test.unit}"
    if test.baseline is None:
        values[f"labs.{key}.baseline_normal"] = True
        notes[f"labs.{key}.baseline_normal"] = "baseline not given: graded as if normal"
        if value > uln:
            warnings.append(
                f"labs.{key}: no baseline given; {label} {test.value:g} {test.unit} is above the"
                f" ULN and was graded as if the baseline were normal"
            )
        return
    baseline = exact(test.baseline)
    values[f"labs.{key}.baseline_normal"] = baseline <= uln
    values[f"labs.{key}.baseline_x_uln"] = baseline / uln
    notes[f"labs.{key}.baseline_x_uln"] = f"baseline {test.baseline:g} {test.unit}"
    if baseline > 0:
        values[f"labs.{key}.x_baseline"] = value / baseline
        notes[f"labs.{key}.x_baseline"] = f"{label} {test.value:g} / baseline {test.baseline:g}"


def _fluid(visit: Visit, values: dict[str, Any]) -> None:
    fluid = visit.fluid
    assert fluid is not None
    limb = fluid.limb_edema
    if limb is not None:
        values["fluid.limb_edema.present"] = limb.present
        if limb.present:
            values["fluid.limb_edema.appearance"] = limb.appearance
            values["fluid.limb_edema.adl_limitation"] = limb.adl_limitation
            values["fluid.limb_edema.discrepancy_measure"] = limb.discrepancy_measure or "none"
            if limb.discrepancy_percent is not None:
                values["fluid.limb_edema.discrepancy_percent"] = exact(limb.discrepancy_percent)
    eye = fluid.periorbital_edema
    if eye is not None:
        values["fluid.periorbital_edema.present"] = eye.present
        if eye.present:
            for name in (
                "pitting",
                "indurated",
                "topical_intervention_indicated",
                "visual_disturbance",
                "diuretics_indicated",
                "operative_intervention_indicated",
            ):
                values[f"fluid.periorbital_edema.{name}"] = getattr(eye, name)
            for name in OCULAR:
                values[f"fluid.periorbital_edema.{name}"] = name in eye.ocular_findings
    face = fluid.face_edema
    if face is not None:
        values["fluid.face_edema.present"] = face.present
        if face.present:
            values["fluid.face_edema.swelling"] = face.swelling
            values["fluid.face_edema.adl_limitation"] = face.adl_limitation
    pleura = fluid.pleural_effusion
    if pleura is not None:
        values["fluid.pleural_effusion.present"] = pleura.present
        if pleura.present:
            values["fluid.pleural_effusion.symptomatic"] = pleura.is_symptomatic
            values["fluid.pleural_effusion.respiratory_distress"] = pleura.respiratory_distress
            values["fluid.pleural_effusion.hypoxia"] = pleura.hypoxia
            values["fluid.pleural_effusion.intervention"] = pleura.intervention
