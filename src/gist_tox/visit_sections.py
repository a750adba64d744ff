"""The sections visit format extension A adds to ``gist-tox/visit@1``: liver tests, hemoglobin,
weight, fluid findings, renal function, co-medications and other CTCAE events.

Every section is optional, so a visit valid before the extension is read exactly as before.
Validation is as strict as the rest of the visit: an unknown unit or an implausible number is an
error naming the field, the value and what is accepted; a subsection that contradicts itself
(``present: false`` beside findings) is an error, never silently resolved.  Units: ``uln``,
``lln`` and ``baseline`` are in the value's own unit, so grading never converts; the factors
below serve only the plausibility check (exact, as the contract gives them).
"""

from __future__ import annotations

from fractions import Fraction
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from gist_tox.units import exact

TermId = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$")]
"""A CTCAE term id as the rules name it (``neutrophil_count_decreased``)."""

TransaminaseUnit = Literal["U/L", "IU/L", "ukat/L"]
BilirubinUnit = Literal["umol/L", "mg/dL"]
HemoglobinUnit = Literal["g/dL", "g/L", "mmol/L"]

TO_CANONICAL: dict[str, Fraction] = {
    "U/L": Fraction(1),
    "IU/L": Fraction(1),
    "ukat/L": Fraction(60),
    "umol/L": Fraction(1),
    "mg/dL": Fraction("17.1"),
    "g/dL": Fraction(1),
    "g/L": Fraction(1, 10),
    "mmol/L": 1 / Fraction("0.6206"),
}
"""Multiply by the factor for U/L, umol/L or g/dL (the contract's exact factors; display and
plausibility only, never grading)."""

PLAUSIBLE: dict[str, tuple[Fraction, Fraction, str]] = {
    "transaminase": (Fraction(0), Fraction(100_000), "U/L"),
    "bilirubin": (Fraction(0), Fraction(1500), "umol/L"),
    "hemoglobin": (Fraction(1), Fraction(25), "g/dL"),
}
LIMITS: dict[str, tuple[Fraction, Fraction]] = {
    "transaminase": (Fraction(5), Fraction(250)),
    "bilirubin": (Fraction(5), Fraction(100)),
    "hemoglobin": (Fraction(8), Fraction(18)),
}
"""Where a laboratory's limit of normal (``uln``, hemoglobin's ``lln``) can lie, in U/L,
umol/L and g/dL (``TO_CANONICAL``'s units), far wider
than any laboratory's.  Why: a limit written in another unit than the value (ALT 3.5 ukat/L
with ``uln: 40``, the U/L figure; bilirubin 3.0 mg/dL with ``uln: 21``, the umol/L figure)
made the multiple of the ULN a tenth or a sixtieth of the truth, a confident grade 0 and a
"continue" for a liver the label holds for.  Counts have the same check (``visit.py``)."""

NonNegative = Annotated[float, Field(ge=0, allow_inf_nan=False)]
Percent = Annotated[float, Field(ge=0, le=100, allow_inf_nan=False)]
Adl = Literal["none", "instrumental", "self_care"]
FluidGrade = Annotated[int, Field(ge=0, le=3)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True, defer_build=True)


def _check_range(kind: str, unit: str, named: dict[str, float | None], positive: set[str]) -> None:
    low, high, canonical = PLAUSIBLE[kind]
    factor = TO_CANONICAL[unit]
    for name, number in named.items():
        if number is None:
            continue
        value = exact(number) * factor
        if name in positive and value <= 0:
            raise ValueError(f"{name} {number:g} {unit} must be above 0")
        if not low <= value <= high:
            raise ValueError(
                f"{name} {number:g} {unit} is implausible (expected {low}-{high} {canonical}"
                f"{'' if unit == canonical else ' after conversion'}); check the value and unit"
            )
    _check_limit(kind, unit, named)


def _check_limit(kind: str, unit: str, named: dict[str, float | None]) -> None:
    """A limit of normal outside :data:`LIMITS` is refused, naming the value's unit."""
    low, high = LIMITS[kind]
    for name in ("uln", "lln"):
        number = named.get(name)
        if number is None or low <= exact(number) * TO_CANONICAL[unit] <= high:
            continue
        limit = "an upper" if name == "uln" else "a lower"
        factor = TO_CANONICAL[unit]  # the range said in the value's unit
        expected = f"{float(low / factor):.3g}-{float(high / factor):.3g} {unit}"
        raise ValueError(
            f"{name} {number:g} {unit} is implausible as {limit} limit of normal (expected"
            f" {expected}); give the {name.upper()} in the value's unit, {unit}"
        )


class LiverTest(_Strict):
    """ALT or AST: value, unit, the lab's ULN (required: the label's thresholds are multiples
    of it) and the pre-treatment baseline (optional)."""

    value: NonNegative
    unit: TransaminaseUnit
    uln: NonNegative
    baseline: NonNegative | None = None

    @model_validator(mode="after")
    def _plausible(self) -> LiverTest:
        named = {"value": self.value, "uln": self.uln, "baseline": self.baseline}
        _check_range("transaminase", self.unit, named, {"uln"})
        return self


class BilirubinTest(_Strict):
    """Total bilirubin: value, unit, ULN (required), baseline (optional)."""

    value: NonNegative
    unit: BilirubinUnit
    uln: NonNegative
    baseline: NonNegative | None = None

    @model_validator(mode="after")
    def _plausible(self) -> BilirubinTest:
        named = {"value": self.value, "uln": self.uln, "baseline": self.baseline}
        _check_range("bilirubin", self.unit, named, {"uln"})
        return self


class Hemoglobin(_Strict):
    """Hemoglobin in the unit the lab reported, with the lab's LLN when given (no default)."""

    value: NonNegative
    unit: HemoglobinUnit
    lln: NonNegative | None = None

    @model_validator(mode="after")
    def _plausible(self) -> Hemoglobin:
        _check_range("hemoglobin", self.unit, {"value": self.value, "lln": self.lln}, {"lln"})
        return self


class Weight(_Strict):
    value_kg: Annotated[float, Field(ge=10, le=500, allow_inf_nan=False)]
    baseline_kg: Annotated[float, Field(ge=10, le=500, allow_inf_nan=False)]


def _only_grade_0_when_absent(model: BaseModel) -> None:
    """``present: false`` is "assessed, no finding": any other finding contradicts it."""
    others = model.model_fields_set - {"present", "clinician_grade"}
    grade = getattr(model, "clinician_grade", None)
    if others or grade not in (None, 0):
        extra = sorted(others) + ([f"clinician_grade {grade}"] if grade not in (None, 0) else [])
        raise ValueError(
            f"present is false but {', '.join(extra)} given: a finding that is absent has no"
            " other findings (remove them, or set present: true)"
        )


class LimbEdema(_Strict):
    present: bool
    appearance: Literal["close_inspection", "readily_apparent", "gross"] | None = None
    discrepancy_percent: Percent | None = None
    discrepancy_measure: Literal["volume", "circumference"] | None = None
    adl_limitation: Adl = "none"
    clinician_grade: FluidGrade | None = None

    @model_validator(mode="after")
    def _consistent(self) -> LimbEdema:
        if not self.present:
            _only_grade_0_when_absent(self)
            return self
        if self.appearance is None:
            raise ValueError(
                "appearance is required when present is true: close_inspection,"
                " readily_apparent or gross"
            )
        if (self.discrepancy_percent is None) != (self.discrepancy_measure is None):
            raise ValueError(
                "discrepancy_percent and discrepancy_measure (volume or circumference) come"
                " together"
            )
        return self


OcularFinding = Literal[
    "increased_intraocular_pressure", "glaucoma", "retinal_hemorrhage", "optic_neuritis"
]


class PeriorbitalEdema(_Strict):
    present: bool
    pitting: bool = False
    indurated: bool = False
    topical_intervention_indicated: bool = False
    visual_disturbance: bool = False
    ocular_findings: list[OcularFinding] = Field(default_factory=list)
    diuretics_indicated: bool = False
    operative_intervention_indicated: bool = False
    clinician_grade: FluidGrade | None = None

    @model_validator(mode="after")
    def _consistent(self) -> PeriorbitalEdema:
        if not self.present:
            _only_grade_0_when_absent(self)
        if len(set(self.ocular_findings)) != len(self.ocular_findings):
            raise ValueError("ocular_findings lists a finding more than once")
        return self


class FaceEdema(_Strict):
    present: bool
    swelling: Literal["localized", "moderate", "severe"] | None = None
    adl_limitation: Adl = "none"
    clinician_grade: FluidGrade | None = None

    @model_validator(mode="after")
    def _consistent(self) -> FaceEdema:
        if not self.present:
            _only_grade_0_when_absent(self)
        elif self.swelling is None:
            raise ValueError(
                "swelling is required when present is true: localized, moderate or severe"
            )
        return self


class PleuralEffusion(_Strict):
    present: bool
    symptomatic: bool | None = None
    intervention: Literal[
        "none",
        "diuretics",
        "thoracentesis",
        "other_medical",
        "chest_tube",
        "pleurodesis",
        "other_operative",
    ] = "none"
    respiratory_distress: bool = False
    hypoxia: bool = False
    clinician_grade: FluidGrade | None = None

    @model_validator(mode="after")
    def _consistent(self) -> PleuralEffusion:
        if not self.present:
            _only_grade_0_when_absent(self)
        elif self.symptomatic is False and (self.respiratory_distress or self.hypoxia):
            raise ValueError(
                "symptomatic is false but respiratory_distress or hypoxia is true: either"
                " makes the effusion symptomatic"
            )
        return self

    @property
    def is_symptomatic(self) -> bool:
        """An omitted ``symptomatic`` is true with respiratory distress or hypoxia."""
        if self.symptomatic is not None:
            return self.symptomatic
        return self.respiratory_distress or self.hypoxia


class Fluid(_Strict):
    """Fluid findings; a subsection present means that finding was assessed."""

    limb_edema: LimbEdema | None = None
    periorbital_edema: PeriorbitalEdema | None = None
    face_edema: FaceEdema | None = None
    pleural_effusion: PleuralEffusion | None = None


class Renal(_Strict):
    creatinine_clearance_ml_min: (
        Annotated[float, Field(ge=0, le=300, allow_inf_nan=False)] | None
    ) = None
    dialysis: bool = False

    @model_validator(mode="after")
    def _clearance_or_dialysis(self) -> Renal:
        if self.creatinine_clearance_ml_min is None and not self.dialysis:
            raise ValueError(
                "creatinine_clearance_ml_min (mL/min, 0-300) is required unless dialysis is true"
            )
        return self


class OtherEvent(_Strict):
    """A CTCAE term the tool does not compute, graded by the clinician (checked against NCI's
    term list of the visit's CTCAE version when the version is known)."""

    term: TermId
    grade: Annotated[int, Field(ge=0, le=4)]
    specify: Annotated[str, Field(min_length=1, max_length=200)] | None = None


Comedication = Annotated[str, Field(min_length=1, max_length=100)]
