"""The visit model: the one internal form of a clinic visit (contract ``gist-tox/visit@1``).

Every input format becomes a :class:`Visit`.  The model is strict: unknown fields are refused (a
typo must never be silently ignored), numbers must be finite and plausible, text is never coerced
into numbers, and enums list what they allow.  What the contract lets a writer omit gets its
documented default here; what it does not is ``None`` and later makes a term "not gradable".
"""

from __future__ import annotations

import datetime as dt
import re
from fractions import Fraction
from functools import lru_cache
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationInfo,
    WithJsonSchema,
    field_validator,
    model_validator,
)

from gist_tox.errors import echo
from gist_tox.units import (
    COUNT_UNIT_FACTORS,
    COUNT_UNIT_SPELLINGS,
    PLAUSIBLE_CELSIUS,
    PLAUSIBLE_MAX_COUNT,
    PLAUSIBLE_MIN_LLN,
    TEMPERATURE_UNIT_SPELLINGS,
    CountUnit,
    TemperatureUnit,
    count_to_canonical,
    count_unit,
    exact,
    spelling_pattern,
    temperature_to_celsius,
    temperature_unit,
)
from gist_tox.visit_sections import (
    BilirubinTest,
    Comedication,
    Fluid,
    Hemoglobin,
    LiverTest,
    OtherEvent,
    Renal,
    TermId,
    Weight,
)

_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


FIRST_DATE = dt.date(1998, 1, 1)
LAST_DATE = dt.date(2099, 12, 31)
"""The dates a visit or an episode on imatinib can have: imatinib was first given to patients
in 1998, and a date after 2099 is a typo (``2204`` for ``2024``), as is year 1 or 9999."""


def _iso_date(value: Any) -> Any:
    """Accept a YAML date or an ISO 8601 ``YYYY-MM-DD`` string between :data:`FIRST_DATE` and
    :data:`LAST_DATE`; never a number or a datetime."""
    if isinstance(value, dt.datetime):
        raise ValueError("expected a date (YYYY-MM-DD), not a date and time")
    if isinstance(value, str):
        if not _ISO_DATE.match(value):
            raise ValueError(f"expected an ISO 8601 date YYYY-MM-DD, got {echo(value)}")
        try:
            value = dt.date.fromisoformat(value)
        except ValueError as exc:
            raise ValueError(f"impossible date {value!r} ({exc})") from None
    if isinstance(value, dt.date):
        if not FIRST_DATE <= value <= LAST_DATE:
            raise ValueError(
                f"the date {value.isoformat()} is out of range; expected {FIRST_DATE.isoformat()}"
                f" to {LAST_DATE.isoformat()} (imatinib was first given in 1998)"
            )
        return value
    shown = (
        "null"
        if value is None
        else repr(value)
        if isinstance(value, int | float)
        else (f"a {type(value).__name__}")
    )
    raise ValueError(f"expected an ISO 8601 date YYYY-MM-DD, got {shown}")


def _version_text(value: Any) -> Any:
    """``ctcae_version: 5.0`` unquoted is a YAML float; read it as the text the writer meant."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float) and value in (5, 6):
        return f"{float(value):.1f}"
    return value


def _count_unit(value: Any) -> Any:
    """A count unit as labs write it (``x10^9/L``, ``K/uL``, UCUM's ``10*9/L``) read as the
    format's own spelling with the same factor; anything else is left for the model to refuse."""
    return (count_unit(value) or value) if isinstance(value, str) else value


def _temperature_unit(value: Any) -> Any:
    """``Cel`` and ``[degF]`` (UCUM) read as ``C`` and ``F``; anything else is left to refuse."""
    return (temperature_unit(value) or value) if isinstance(value, str) else value


def _unit_schema(spellings: dict[str, str], kind: Literal["count", "temperature"]) -> Any:
    """The JSON Schema of a unit field: every spelling for completion, and the pattern that
    also accepts the case variants the tool accepts (``units.count_unit``)."""
    return WithJsonSchema(
        {
            "anyOf": [
                {"type": "string", "enum": list(spellings)},
                {"type": "string", "pattern": spelling_pattern(kind)},
            ],
            "description": "The unit, as the README's 'Units' lists its spellings.",
        }
    )


IsoDate = Annotated[dt.date, BeforeValidator(_iso_date)]
CountUnitField = Annotated[
    CountUnit, BeforeValidator(_count_unit), _unit_schema(COUNT_UNIT_SPELLINGS, "count")
]
TemperatureUnitField = Annotated[
    TemperatureUnit,
    BeforeValidator(_temperature_unit),
    _unit_schema(TEMPERATURE_UNIT_SPELLINGS, "temperature"),
]
CtcaeVersion = Annotated[Literal["5.0", "6.0"], BeforeValidator(_version_text)]
Percent = Annotated[float, Field(ge=0, le=100, allow_inf_nan=False)]
NonNegative = Annotated[float, Field(ge=0, allow_inf_nan=False)]
DoseMg = Annotated[int, Field(ge=0, le=2000)]
Category = Literal["hematologic", "skin", "hepatic", "fluid", "other_nonhematologic", "other"]
DiseaseStatus = Literal["responding", "stable", "progression", "unknown"]
Morphology = Literal["maculopapular", "exfoliative", "erythroderma", "target_lesions", "bullous"]


@lru_cache(maxsize=64)
def _count_bounds(field: str, unit: str) -> tuple[float | Fraction, float | Fraction | None]:
    """The largest plausible ``field`` count (``anc``, ``platelets``, ``wbc``) and the smallest
    plausible lower limit of normal (None: no such bound) in ``unit``.

    Remembered by the two names rather than by the bounds themselves: hashing a Fraction (for
    a cache keyed by it) computes a modular inverse, which cost more than the look-up saved."""
    low = PLAUSIBLE_MIN_LLN.get(field)
    most = _in_unit(PLAUSIBLE_MAX_COUNT[field], unit)
    return most, None if low is None else _in_unit(low, unit)


def _in_unit(bound: Fraction, unit: str) -> float | Fraction:
    """A bound in 10^9/L expressed in ``unit``: as a float when the float is exactly it.

    Why: every visit's counts are checked against these bounds, and a float compared with a
    bound that is exactly a float gives what comparing its exact value (``units.exact``, the
    shortest decimal that reads back as that float) would give: that decimal lies nearer to the
    float than to any other float, so never on the other side of the bound.  No Fraction is
    made per visit then."""
    value = bound / COUNT_UNIT_FACTORS[unit]
    as_float = float(value)
    return as_float if Fraction(as_float) == value else value


def _written(number: float, bound: float | Fraction) -> float | Fraction:
    """``number`` as compared with ``bound``: itself against a float bound, else exactly as
    written."""
    return number if isinstance(bound, float) else exact(number)


class _Strict(BaseModel):
    # defer_build: importing the models builds no validator; gist_tox.validators builds Visit's
    # once and keeps it across runs (validate with gist_tox.validators.validate).
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True, defer_build=True)


_INVISIBLE_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp", "Zs"})
"""Control, format (zero-width, direction marks, soft hyphen), unassigned and private-use
characters, and every space but the plain one: none of them shows as itself."""

_INVISIBLE_LETTERS = frozenset("\u034f\u115f\u1160\u3164\uffa0\u2800")
"""Blank letters and marks that print as nothing (Hangul fillers, the combining grapheme
joiner, the blank braille pattern)."""


def _visible_id(value: str) -> str:
    """A patient id must be exactly what it looks like: ``HWANG\u200b-2010`` shows as
    ``HWANG-2010`` but would be another patient to ``--latest`` and to the worklist."""
    import unicodedata

    if value.isascii() and value.isprintable():
        return value
    for position, char in enumerate(value, 1):
        category = unicodedata.category(char)
        if char == " " or (
            category not in _INVISIBLE_CATEGORIES
            and char not in _INVISIBLE_LETTERS
            and not ("\ufe00" <= char <= "\ufe0f" or "\U000e0100" <= char <= "\U000e01ef")
        ):
            continue
        name = unicodedata.name(char, "unnamed")
        raise ValueError(
            f"contains U+{ord(char):04X} ({name}) at character {position}, which does not show"
            " as itself; expected visible characters only (ids that look alike must be alike)"
        )
    return value


class Patient(_Strict):
    id: Annotated[str, Field(min_length=1, max_length=100, pattern=r"^\S(.*\S)?$")]
    age: Annotated[float, Field(ge=0, le=130, allow_inf_nan=False)] | None = None

    @field_validator("id")
    @classmethod
    def _visible(cls, value: str) -> str:
        return _visible_id(value)


class Imatinib(_Strict):
    indication: Literal["gist-unresectable", "gist-metastatic", "gist-adjuvant"] | None = None
    starting_dose_mg: Annotated[int, Field(ge=1, le=2000)]
    current_dose_mg: DoseMg
    on_hold_for: Category | list[Category] | None = None
    disease_status: DiseaseStatus | None = None

    @property
    def hold_categories(self) -> tuple[str, ...]:
        if self.on_hold_for is None:
            return ()
        if isinstance(self.on_hold_for, str):
            return (self.on_hold_for,)
        return tuple(dict.fromkeys(self.on_hold_for))


class CountLab(_Strict):
    """A cell count with its unit, and the lab's lower limit of normal in the same unit."""

    value: NonNegative
    unit: CountUnitField
    lln: NonNegative | None = None


class Labs(_Strict):
    anc: CountLab | None = None
    platelets: CountLab | None = None
    wbc: CountLab | None = None
    neutrophils_percent: Percent | None = None
    bands_percent: Percent | None = None
    alt: LiverTest | None = None
    ast: LiverTest | None = None
    bilirubin: BilirubinTest | None = None
    hemoglobin: Hemoglobin | None = None

    @field_validator("anc", "platelets", "wbc")
    @classmethod
    def _plausible_count(cls, lab: CountLab | None, info: ValidationInfo) -> CountLab | None:
        """A count beyond what blood can hold is a typing or unit error, not a finding."""
        if lab is None:
            return lab
        field = str(info.field_name)
        most, least = _count_bounds(field, lab.unit)
        for name, number in (("value", lab.value), ("lln", lab.lln)):
            if number is not None and _written(number, most) > most:
                raise ValueError(
                    f"{name} {number:g} {lab.unit} is implausible (above"
                    f" {PLAUSIBLE_MAX_COUNT[field]} x10^9/L); check the value and its unit"
                )
        if lab.lln == 0:
            raise ValueError("lln 0 is not a lower limit of normal; give the lab's LLN or omit it")
        if lab.lln is not None and least is not None and _written(lab.lln, least) < least:
            raise ValueError(
                f"lln {lab.lln:g} {lab.unit} is implausible as a lower limit of normal (below"
                f" {float(PLAUSIBLE_MIN_LLN[field]):g} x10^9/L); give the LLN in the value's unit"
            )
        return lab

    @model_validator(mode="after")
    def _plausible(self) -> Labs:
        if (self.neutrophils_percent or 0) + (self.bands_percent or 0) > 100:
            raise ValueError(
                f"neutrophils_percent {self.neutrophils_percent or 0:g} + bands_percent"
                f" {self.bands_percent or 0:g} exceed 100"
            )
        if self.bands_percent is not None and self.neutrophils_percent is None:
            raise ValueError("bands_percent given without neutrophils_percent")
        return self


class Temperature(_Strict):
    value: Annotated[float, Field(allow_inf_nan=False)]
    unit: TemperatureUnitField

    @model_validator(mode="after")
    def _plausible(self) -> Temperature:
        low, high = PLAUSIBLE_CELSIUS
        if not low <= temperature_to_celsius(self.value, self.unit) <= high:
            raise ValueError(
                f"temperature {self.value:g} {self.unit} is implausible (expected {low}-{high} C)"
            )
        return self


class Fever(_Strict):
    max_temperature: Temperature | None = None
    hours_at_or_above_38: Annotated[float, Field(ge=0, le=24 * 365, allow_inf_nan=False)] | None = (
        None
    )


class Consequences(_Strict):
    life_threatening: bool | list[str] = False
    transfusion_indicated: bool = False
    red_cell_transfusion_indicated: bool = False
    died: bool | str | list[str] = False


NORMAL_SKIN_EXAM = "skin: {bsa_percent: 0}"
"""The one spelling of a skin exam that found nothing: no morphology, no area affected.  Every
skin term is then grade 0 ("skin examined, no rash"), which is also what ends a skin hold."""


def _no_morphology_word(value: Any) -> Any:
    """``morphology: none`` (or ``normal``) is refused with the spelling of a normal exam, rather
    than only a list of morphologies: a writer who means "no rash" learns how to say it."""
    if isinstance(value, str) and value.strip().lower() in {"none", "normal", "no", "no rash"}:
        raise ValueError(
            f"{value!r} is not a morphology; a skin exam that found nothing is written"
            f" `{NORMAL_SKIN_EXAM}` (no morphology)"
        )
    return value


class Skin(_Strict):
    """The skin exam.  One that found nothing is ``skin: {bsa_percent: 0}`` (no morphology):
    every skin term is then grade 0."""

    morphology: Annotated[Morphology | None, BeforeValidator(_no_morphology_word)] = None
    bsa_percent: Percent | None = None
    symptoms: Literal["none", "mild", "moderate", "severe"] = "none"
    adl_limitation: Literal["none", "instrumental", "self_care"] = "none"
    detachment_bsa_percent: Percent = 0
    mucosal_involvement: bool = False
    tenderness: bool = False
    intervention: Literal["none", "topical", "oral", "iv"] = "none"
    fluid_electrolyte_abnormalities: bool = False
    icu_or_burn_unit: bool = False
    clinician_grade: Annotated[int, Field(ge=0, le=5)] | None = None

    @model_validator(mode="after")
    def _bsa_or_grade(self) -> Skin:
        if self.bsa_percent is None and self.clinician_grade is None:
            raise ValueError(
                "bsa_percent is required unless clinician_grade is given (a skin exam that"
                f" found nothing: `{NORMAL_SKIN_EXAM}`)"
            )
        return self


class HistoryEntry(_Strict):
    date: IsoDate
    category: Category
    term: TermId
    grade: Annotated[int, Field(ge=1, le=5)]
    dose_mg: DoseMg


class Findings(_Strict):
    """What was observed at a visit: the sections a visit file and each visit of a patient
    timeline (:class:`gist_tox.patient.TimelineVisit`) share.  (A base class puts its fields
    after those of the bases named after it: a visit's sections keep their order, in the JSON
    Schema and in messages.)"""

    labs: Labs | None = None
    fever: Fever | None = None
    consequences: Consequences | None = None
    skin: Skin | None = None
    weight: Weight | None = None
    fluid: Fluid | None = None
    renal: Renal | None = None
    hepatic_impairment: Literal["none", "mild", "moderate", "severe"] | None = None
    comedications: list[Comedication] | None = None
    other_events: list[OtherEvent] | None = None


class _Header(_Strict):
    format: Literal["gist-tox/visit@1"] | None = None
    ctcae_version: CtcaeVersion | None = None
    patient: Patient
    date: IsoDate
    imatinib: Imatinib


class Visit(Findings, _Header):
    """One clinic visit of one patient on imatinib."""

    history: list[HistoryEntry] = Field(default_factory=list)


def anc_from_differential(labs: Labs) -> tuple[Any, str] | None:
    """ANC derived from WBC x (neutrophils% + bands%), exactly, with a text saying how."""
    if labs.wbc is None or labs.neutrophils_percent is None:
        return None
    wbc = count_to_canonical(labs.wbc.value, labs.wbc.unit)
    percent = exact(labs.neutrophils_percent) + exact(labs.bands_percent or 0)
    bands = f" + bands {labs.bands_percent:g}%" if labs.bands_percent is not None else ""
    how = (
        f"WBC {labs.wbc.value:g} {labs.wbc.unit} x (neutrophils"
        f" {labs.neutrophils_percent:g}%{bands})"
    )
    return wbc * percent / 100, how
