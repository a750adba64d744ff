"""The inputs a rule may read, normalised from a visit: the vocabulary shared by rules and visits.

:data:`FIELDS` is the catalogue of every field name a rule condition may use, with its kind,
label, unit and the reason given when it is missing.  ``rules check`` verifies rule files against
it; the grading engine reads values through :class:`Facts`.  Counts are exact fractions in
10^9/L and temperatures exact fractions in degrees C (see ``units``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from fractions import Fraction
from typing import Any, Literal

from gist_tox.facts_extension import EXTENSION_FIELDS, extension_facts
from gist_tox.ruleset.conditions import Record
from gist_tox.units import count_to_canonical, exact, show, temperature_to_celsius
from gist_tox.visit import Visit, anc_from_differential

Kind = Literal["number", "bool", "enum"]


class FieldInfo(Record):
    """A field of the catalogue: its kind, label, unit, the reason given when it is missing,
    the values of an enum, and ``per_term``: a consequence that belongs to one adverse event
    (life-threatening, death).  Read-only: the catalogue is shared by every visit."""

    __slots__ = ("kind", "label", "unit", "missing", "values", "per_term")  # noqa: RUF023
    kind: Kind
    label: str
    unit: str
    missing: str
    values: tuple[str, ...]
    per_term: bool

    def __init__(
        self,
        kind: Kind,
        label: str,
        unit: str = "",
        missing: str = "",
        values: tuple[str, ...] = (),
        per_term: bool = False,
    ) -> None:
        for name, value in (
            ("kind", kind),
            ("label", label),
            ("unit", unit),
            ("missing", missing),
            ("values", values),
            ("per_term", per_term),
        ):
            object.__setattr__(self, name, value)

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"FieldInfo is read-only; cannot set {name!r}")

    def _fields(self) -> tuple[Kind, str, str, str, tuple[str, ...], bool]:
        return self.kind, self.label, self.unit, self.missing, self.values, self.per_term

    def __hash__(self) -> int:  # type: ignore[override]  # read-only, so hashable
        return hash(self._fields())

    def __reduce__(self) -> tuple[type[FieldInfo], tuple[Any, ...]]:
        return FieldInfo, self._fields()  # pickled through __init__ (attributes are read-only)


_SKIN_MISSING = "skin findings absent (no skin section)"

FIELDS: dict[str, FieldInfo] = {
    "labs.anc": FieldInfo(
        "number",
        "ANC",
        "x10^9/L",
        "ANC missing (labs.anc, or labs.wbc with labs.neutrophils_percent)",
    ),
    "labs.anc.lln": FieldInfo("number", "ANC LLN", "x10^9/L", "no ANC lower limit of normal"),
    "labs.platelets": FieldInfo(
        "number", "platelets", "x10^9/L", "platelet count missing (labs.platelets)"
    ),
    "labs.platelets.lln": FieldInfo(
        "number", "platelet LLN", "x10^9/L", "no platelet lower limit of normal"
    ),
    "fever.max_temperature": FieldInfo(
        "number", "max temperature", "C", "temperature unknown (fever.max_temperature missing)"
    ),
    "fever.hours_at_or_above_38": FieldInfo(
        "number",
        "hours >= 38 C",
        "h",
        "duration of fever unknown (fever.hours_at_or_above_38 missing)",
    ),
    "consequences.life_threatening": FieldInfo(
        "bool", "life-threatening consequences", per_term=True
    ),
    "consequences.died": FieldInfo("bool", "death related to the adverse event", per_term=True),
    "consequences.transfusion_indicated": FieldInfo("bool", "platelet transfusion indicated"),
    "skin.morphology": FieldInfo(
        "enum",
        "morphology",
        missing="skin morphology missing (skin.morphology)",
        values=("maculopapular", "exfoliative", "erythroderma", "target_lesions", "bullous"),
    ),
    "skin.bsa_percent": FieldInfo(
        "number", "BSA", "%", "affected body surface area missing (skin.bsa_percent)"
    ),
    "skin.symptoms": FieldInfo("enum", "symptoms", values=("none", "mild", "moderate", "severe")),
    "skin.adl_limitation": FieldInfo(
        "enum", "ADL limitation", values=("none", "instrumental", "self_care")
    ),
    "skin.detachment_bsa_percent": FieldInfo("number", "skin detachment", "% BSA"),
    "skin.mucosal_involvement": FieldInfo("bool", "oral/genital erosions"),
    "skin.tenderness": FieldInfo("bool", "skin tenderness"),
    "skin.intervention": FieldInfo(
        "enum", "intervention", values=("none", "topical", "oral", "iv")
    ),
    "skin.fluid_electrolyte_abnormalities": FieldInfo("bool", "fluid/electrolyte abnormalities"),
    "skin.icu_or_burn_unit": FieldInfo("bool", "ICU or burn unit indicated"),
}

FIELDS.update(
    (name, FieldInfo(kind, label, unit, missing, values))  # type: ignore[arg-type]
    for name, (kind, label, unit, missing, values) in EXTENSION_FIELDS.items()
)


class Describer:
    """Renders a field's value for a basis text (implements ``conditions.Describe``)."""

    def label(self, name: str) -> str:
        info = FIELDS.get(name)
        return info.label if info else name

    def quantity(self, name: str, value: Any) -> str:
        info = FIELDS.get(name)
        if isinstance(value, bool):
            return "yes" if value else "no"
        if isinstance(value, Fraction | int | float):
            number = show(exact(value))
            unit = info.unit if info else ""
            if unit in ("%", "C"):
                return f"{number}{' ' if unit == 'C' else ''}{unit}"
            return f"{number} {unit}".strip()
        return str(value)


DESCRIBER = Describer()

PER_TERM_FIELDS = tuple(name for name, info in FIELDS.items() if info.per_term)
"""Consequences that belong to one adverse event: each term reads its own value (default no)."""


class Facts(Record):
    """The normalised inputs of one visit, with notes on where derived values came from.

    ``notes``: per field, how a value was obtained when it was not read directly (derived,
    default).  Built once per visit (:func:`build_facts`) and never modified afterwards: grading
    and dosing only read them."""

    __slots__ = ("values", "notes", "warnings")  # noqa: RUF023 - repr order

    def __init__(
        self,
        values: dict[str, Any],
        notes: dict[str, str] | None = None,
        warnings: list[str] | None = None,
    ) -> None:
        self.values = values
        self.notes: dict[str, str] = {} if notes is None else notes
        self.warnings: list[str] = [] if warnings is None else warnings

    def term_values(self) -> dict[str, Any]:
        """What every term's rule reads (an absent key is a missing input), for compiled
        conditions, while no consequence is attributed to a term: a copy of the values, each
        consequence that belongs to one event (``PER_TERM_FIELDS``) read as no."""
        shared = dict(self.values)
        for name in PER_TERM_FIELDS:
            shared[name] = False
        return shared

    def values_for(
        self, term_ids: Iterable[str], per_term: Mapping[str, Mapping[str, bool]] | None = None
    ) -> dict[str, dict[str, Any]]:
        """What each term's rule reads, as one mapping per term.  ``per_term``: consequences
        resolved to the term they belong to (field -> term id -> value); every other term reads
        them as no (:meth:`term_values`).

        The values are copied once for all terms; a term that a consequence is attributed to
        gets its own copy, so a death attributed to one term is never read by another.
        """
        shared = self.term_values()
        if not per_term:
            return dict.fromkeys(term_ids, shared)
        out: dict[str, dict[str, Any]] = {}
        for term_id in term_ids:
            own = [
                (name, per_term[name][term_id])
                for name in PER_TERM_FIELDS
                if term_id in per_term.get(name, ())
            ]
            out[term_id] = {**shared, **dict(own)} if own else shared
        return out


_PER_UL_UNITS = ("/uL", "/mm3", "cells/uL")
SUSPICIOUS_BELOW_PER_UL = {"anc": 20, "wbc": 20, "platelets": 1000}
"""A count per microlitre this small is far likelier a value in 10^9/L under the wrong unit than
a real count: it is graded as written, with a warning (data sanity, not a clinical threshold)."""


_SKIN_CHOICES = tuple(
    (name, f"skin.{name}") for name in ("morphology", "symptoms", "adl_limitation", "intervention")
)
_SKIN_YES_NO = tuple(
    (name, f"skin.{name}")
    for name in (
        "mucosal_involvement",
        "tenderness",
        "fluid_electrolyte_abnormalities",
        "icu_or_burn_unit",
    )
)
"""The skin section's fields read as they are, and those read as yes/no, with their facts."""


def build_facts(visit: Visit, default_lln: dict[str, tuple[Fraction, str]]) -> Facts:
    """Normalise ``visit`` into facts.  ``default_lln`` maps ``anc``/``platelets`` to the rules'
    default lower limit of normal (10^9/L) and its source."""
    values: dict[str, Any] = {}
    notes: dict[str, str] = {}
    warnings: list[str] = []
    labs = visit.labs
    if labs is not None:
        # Each field of a visit is read once: a pydantic model's attribute costs several plain
        # ones.  Without a WBC there is no differential (``anc_from_differential``).
        anc, platelets, wbc = labs.anc, labs.platelets, labs.wbc
        derived = None if wbc is None else anc_from_differential(labs)
        if anc is not None:
            measured = values["labs.anc"] = _count("labs.anc", anc.value, anc.unit, notes)
            if derived is not None and derived[0] != measured:
                warnings.append(
                    f"conflicting inputs: measured ANC {show(measured)} x10^9/L differs"
                    f" from {derived[1]} = {show(derived[0])} x10^9/L; the measured ANC is used"
                )
        elif derived is not None:
            values["labs.anc"] = derived[0]
            notes["labs.anc"] = f"derived: {derived[1]}"
        elif wbc is not None:
            notes["labs.anc"] = "WBC given without neutrophils_percent; ANC cannot be derived"
        if platelets is not None:
            values["labs.platelets"] = _count(
                "labs.platelets", platelets.value, platelets.unit, notes
            )
        for name, lab in (("anc", anc), ("platelets", platelets), ("wbc", wbc)):
            if (
                lab is not None
                and lab.unit in _PER_UL_UNITS
                and 0 < lab.value < SUSPICIOUS_BELOW_PER_UL[name]
            ):
                canonical = show(count_to_canonical(lab.value, lab.unit))
                warnings.append(
                    f"labs.{name} is {lab.value:g} {lab.unit}, i.e. {canonical} x10^9/L: check"
                    " the unit (a value this small reads like one in 10^9/L)"
                )
        for name, lab, field, lln_field in (
            ("anc", anc, "labs.anc", "labs.anc.lln"),
            ("platelets", platelets, "labs.platelets", "labs.platelets.lln"),
        ):
            if field not in values:
                continue
            if lab is not None and lab.lln is not None:
                values[lln_field] = count_to_canonical(lab.lln, lab.unit)
            elif name in default_lln:
                lln, source = default_lln[name]
                values[lln_field] = lln
                notes[lln_field] = f"no lab LLN: default {show(lln)} x10^9/L ({source})"
    fever = visit.fever
    if fever is not None:
        temp = fever.max_temperature
        if temp is not None:
            degrees, unit = temp.value, temp.unit
            values["fever.max_temperature"] = temperature_to_celsius(degrees, unit)
            if unit == "F":
                notes["fever.max_temperature"] = f"{degrees:g} F converted exactly"
        hours_given = fever.hours_at_or_above_38
        if hours_given is not None:
            values["fever.hours_at_or_above_38"] = exact(hours_given)
        temp_c = values.get("fever.max_temperature")
        hours = values.get("fever.hours_at_or_above_38")
        if temp_c is not None and hours and temp_c < 38:
            warnings.append(
                f"conflicting inputs: fever.hours_at_or_above_38 is {show(hours)} but the highest"
                f" temperature is {show(temp_c)} C (below 38 C)"
            )
    consequences = visit.consequences
    values["consequences.transfusion_indicated"] = bool(
        consequences and consequences.transfusion_indicated
    )
    skin = visit.skin
    if skin is not None:
        for name, field in _SKIN_CHOICES:
            value = getattr(skin, name)
            if value is not None:
                values[field] = value
        for name, field in _SKIN_YES_NO:
            values[field] = bool(getattr(skin, name))
        bsa = skin.bsa_percent
        if bsa is not None:
            values["skin.bsa_percent"] = exact(bsa)
        values["skin.detachment_bsa_percent"] = exact(skin.detachment_bsa_percent)
    extension_facts(visit, values, notes, warnings)
    return Facts(values=values, notes=notes, warnings=warnings)


def _count(field: str, value: float | int, unit: str, notes: dict[str, str]) -> Fraction:
    """A measured count in 10^9/L, with a note when it was converted."""
    if unit != "10^9/L":
        notes[field] = f"{value:g} {unit} converted exactly"
    return count_to_canonical(value, unit)


def missing_reason(name: str) -> str:
    info = FIELDS.get(name)
    if info is not None and info.missing:
        return info.missing
    if name.startswith("skin."):
        return _SKIN_MISSING
    return f"{name} missing"
