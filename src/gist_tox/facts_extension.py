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

Spec = tuple[str, str, str, str, tuple[str, ...]]
"""A field's kind, label, unit, reason when missing and enum values (``facts.FieldInfo``)."""

_FLUID = ("limb_edema", "periorbital_edema", "face_edema", "pleural_effusion")
_LIMB, _EYE, _FACE, _PLEURA = (f"{s.replace('_', ' ')} not assessed" for s in _FLUID)
_HB = "hemoglobin not measured"
_ADL = ("none", "instrumental", "self_care")
_APPEARANCE = ("close_inspection", "readily_apparent", "gross")
_MEASURE = ("none", "volume", "circumference")
_SWELLING = ("localized", "moderate", "severe")
_INTERVENTION = ("none", "diuretics", "thoracentesis", "other_medical")
_INTERVENTION_OPERATIVE = ("chest_tube", "pleurodesis", "other_operative")
_EYE_SIGNS = ("pitting", "indurated", "topical_intervention_indicated", "visual_disturbance")
_EYE_ACTIONS = ("diuretics_indicated", "operative_intervention_indicated")
_PLEURA_SIGNS = ("symptomatic", "respiratory_distress", "hypoxia")


def _yes_no(prefix: str, names: tuple[str, ...], absent: str) -> dict[str, Spec]:
    """Yes/no findings, each labelled with its name in words."""
    return {f"{prefix}.{n}": ("bool", n.replace("_", " "), "", absent, ()) for n in names}


def _fields() -> dict[str, Spec]:
    """Every field of the extension, in the catalogue's order (``rules check`` lists them)."""
    out: dict[str, Spec] = {}
    for key, label in LIVER_TESTS:
        absent, x = f"{label} not measured", f"labs.{key}"
        out[f"{x}.x_uln"] = ("number", f"{label} / ULN", "x ULN", absent, ())
        out[f"{x}.x_baseline"] = ("number", f"{label} / baseline", "x baseline", absent, ())
        out[f"{x}.baseline_x_uln"] = ("number", f"{label} baseline / ULN", "x ULN", absent, ())
        out[f"{x}.baseline_normal"] = ("bool", f"{label} baseline <= ULN", "", absent, ())
    for section, absent in zip(_FLUID, (_LIMB, _EYE, _FACE, _PLEURA), strict=True):
        out[f"fluid.{section}.present"] = ("bool", section.replace("_", " "), "", absent, ())
    limb, eye, face, pleura = (f"fluid.{s}" for s in _FLUID)
    gap = "inter-limb discrepancy not measured"
    out[f"{limb}.appearance"] = ("enum", "limb edema appearance", "", _LIMB, _APPEARANCE)
    out[f"{limb}.discrepancy_percent"] = ("number", "inter-limb discrepancy", "%", gap, ())
    out[f"{limb}.discrepancy_measure"] = ("enum", "discrepancy measured by", "", _LIMB, _MEASURE)
    out[f"{limb}.adl_limitation"] = ("enum", "ADL limitation", "", _LIMB, _ADL)
    out.update(_yes_no(eye, (*_EYE_SIGNS, *OCULAR, *_EYE_ACTIONS), _EYE))
    out[f"{face}.swelling"] = ("enum", "facial swelling", "", _FACE, _SWELLING)
    out[f"{face}.adl_limitation"] = ("enum", "ADL limitation", "", _FACE, _ADL)
    out.update(_yes_no(pleura, _PLEURA_SIGNS, _PLEURA))
    interventions = (*_INTERVENTION, *_INTERVENTION_OPERATIVE)
    out[f"{pleura}.intervention"] = ("enum", "intervention indicated", "", _PLEURA, interventions)
    hb, no_lln = "labs.hemoglobin", "grade 0 or 1: no lab LLN (labs.hemoglobin.lln)"
    out[f"{hb}.unit"] = ("enum", "hemoglobin unit", "", _HB, tuple(HEMOGLOBIN_UNITS))
    out[f"{hb}.lln"] = ("number", "hemoglobin LLN", "", no_lln, ())
    transfusion = "consequences.red_cell_transfusion_indicated"
    out[transfusion] = ("bool", "red cell transfusion indicated", "", "", ())
    out["weight.gain_percent"] = ("number", "weight change from baseline", "%", "weight absent", ())
    for unit, key in HEMOGLOBIN_UNITS.items():
        out[f"labs.hemoglobin.{key}"] = ("number", "hemoglobin", unit, _HB, ())
    return out


EXTENSION_FIELDS: dict[str, Spec] = _fields()


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
        # D9: shown in the grade's inputs (a yes/no input carries no note, so the multiple does)
        values[f"labs.{key}.baseline_normal"] = True
        notes[f"labs.{key}.x_uln"] += "; baseline not given: graded as if normal"
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
            for name in (*_EYE_SIGNS, *_EYE_ACTIONS):
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
