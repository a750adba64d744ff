"""Visit format extension A's measurements in FHIR: liver tests with the laboratory's ULN and a
pre-treatment baseline, hemoglobin with its LLN, body weight with a baseline weight, and
creatinine clearance.

Why a module of its own: these Observations are read like the blood counts (status, effective
day, ``valueQuantity`` with a UCUM unit, two different values on one day refused) but carry
more: the ULN is required (the label's and CTCAE's liver thresholds are multiples of it, and no
default can stand for it), and the contract's baseline is "the last value before the first
imatinib dose", which FHIR has no element for.  The rule used (the README says the same): a
baseline answered in the gist-tox QuestionnaireResponse (``labs.alt.baseline``,
``weight.baseline_kg``, ...) is taken as given; otherwise it is the Observation of the same
measurement on the latest day before the day of the earliest imatinib order or statement in the
record (the order the starting dose is read from), two different values on that day refused.
A same-day value is never a baseline (it may have been taken after the first dose).

Units: a limit or a baseline in another unit than the day's value is converted only where the
conversion is exact by definition (U/L, IU/L and ukat/L; g/dL and g/L); bilirubin mg/dL <->
umol/L and hemoglobin mmol/L use rounded factors, which the contract forbids for grading, so
such a limit or baseline is refused, naming it.  These days are never visit days: a visit is
still the day of a blood count.
"""

from __future__ import annotations

import datetime as dt
from fractions import Fraction
from typing import Any, NamedTuple

from gist_tox.fhir import codes
from gist_tox.fhir.resources import Resource, agreed, number
from gist_tox.units import exact
from gist_tox.visit_sections import TO_CANONICAL

FACTORS: dict[str, Fraction] = {**TO_CANONICAL, "kg": Fraction(1), "mL/min": Fraction(1)}
"""The visit format's factors (display and plausibility only), so that the same value written in
two units is recognised as one; weight and CrCL have one unit each."""
EXACT_GROUPS = (frozenset({"U/L", "IU/L", "ukat/L"}), frozenset({"g/dL", "g/L"}))
"""Units converted into one another for a limit or a baseline: 1 ukat/L = 60 U/L and
1 g/dL = 10 g/L are exact by definition."""
NAMES = {
    "alt": "ALT",
    "ast": "AST",
    "bilirubin": "total bilirubin",
    "hemoglobin": "hemoglobin",
    "weight": "body weight",
    "creatinine_clearance": "creatinine clearance",
}


class Limit(NamedTuple):
    value: int | float
    unit: str
    element: str


class Measure(NamedTuple):
    """One Observation's value, unit and reference limit (``high`` for a liver test, ``low``
    for hemoglobin)."""

    resource: Resource
    value: int | float
    unit: str
    limit: Limit | None

    def canonical(self) -> Fraction:
        return exact(self.value) * FACTORS[self.unit]


def convert(
    resource: Resource, element: str, value: int | float, unit: str, to: str
) -> int | float:
    """``value`` in ``unit`` as a number in ``to``, exactly; refused where no exact conversion
    exists."""
    if unit == to:
        return value
    if not any(unit in group and to in group for group in EXACT_GROUPS):
        raise resource.error(
            element,
            f"{value} {unit} cannot be used with a value in {to}: {unit} converts to {to} only"
            f" by a rounded factor, which is never used to grade; give it in {to}",
        )
    converted = exact(value) * FACTORS[unit] / FACTORS[to]
    as_float = float(converted)
    if exact(as_float) != converted:
        raise resource.error(
            element,
            f"{value} {unit} has no exact value in {to}; give it in {to}",
        )
    return int(converted) if converted.denominator == 1 else as_float


RANGE_MEANING = "http://terminology.hl7.org/CodeSystem/referencerange-meaning"


def _normal(ranged: Any) -> bool:
    """Whether a reference range is the normal range: untyped, or typed ``normal``.  A range
    coded with another meaning (``therapeutic``, ``recommended``, ...) is no limit of normal."""
    codings = (
        [c for c in (ranged.type.coding or []) if c.system == RANGE_MEANING] if ranged.type else []
    )
    return not codings or any(c.code == "normal" for c in codings)


def limit(resource: Resource, obs: Any, side: str, unit: str, allowed: dict[str, str]) -> Any:
    """``referenceRange[].low`` or ``.high``: the one limit of normal the Observation gives (in
    its own unit), ``None`` when it gives none; several different ones (ranges by sex or age,
    say) are refused (which one applies to this patient would be a guess)."""
    from gist_tox.fhir.reader import ucum

    found: list[Limit] = []
    for index, ranged in enumerate(obs.referenceRange or []):
        quantity = getattr(ranged, side)
        if quantity is None or quantity.value is None or not _normal(ranged):
            continue
        element = f"referenceRange[{index}].{side}"
        own = (
            unit
            if quantity.code is None and quantity.unit is None
            else ucum(resource, element, quantity, allowed)
        )
        found.append(Limit(number(quantity.value), own, element))
    if len({exact(f.value) * FACTORS[f.unit] for f in found}) > 1:
        raise resource.error(
            "referenceRange",
            f"{len(found)} different reference ranges ({side}); expected the one that applies"
            " to this patient",
        )
    return found[0] if found else None


def _same_limit(first: Measure, other: Measure) -> bool:
    a, b = first.limit, other.limit
    return (
        a is None
        or b is None
        or exact(a.value) * FACTORS[a.unit] == exact(b.value) * FACTORS[b.unit]
    )


class Measurements:
    """Extension A's measurements of one patient, by day."""

    def __init__(self) -> None:
        self.by_day: dict[dt.date, dict[str, list[Measure]]] = {}

    def add(
        self, kind: str, day: dt.date, resource: Resource, obs: Any, value: int | float, unit: str
    ) -> None:
        allowed = codes.UCUM_MORE_UNITS[kind]
        side = "high" if kind in codes.LIVER_LABS else "low" if kind == "hemoglobin" else None
        found = limit(resource, obs, side, unit, allowed) if side else None
        self.by_day.setdefault(day, {}).setdefault(kind, []).append(
            Measure(resource, value, unit, found)
        )

    def sections(
        self, day: dt.date, start: dt.date | None, answered: set[str], origins: dict[str, str]
    ) -> dict[str, Any]:
        """The day's ``labs`` additions, ``weight`` and ``renal`` (each only when measured).
        ``start``: the day of the earliest imatinib order (baselines lie before it);
        ``answered``: the linkIds the day's QuestionnaireResponse answers (an answered
        baseline is not looked for)."""
        out: dict[str, Any] = {}
        if start is not None and start > day:
            start = day  # a visit before treatment: its baseline is never after it
        for kind, entries in self.by_day.get(day, {}).items():
            first = agreed(kind, entries, "referenceRange", _same_limit)
            where = f"{first.resource.label} valueQuantity"
            if kind == "creatinine_clearance":
                out["renal"] = {"creatinine_clearance_ml_min": first.value}
                origins["renal.creatinine_clearance_ml_min"] = where
                continue
            if kind == "weight":
                field = "weight.baseline_kg"
                baseline = None
                if field not in answered:
                    baseline = self._baseline(kind, start, "kg", field, origins)
                    if baseline is None:
                        continue  # no baseline weight: weight gain cannot be read (README)
                out["weight"] = {"value_kg": first.value}
                origins["weight.value_kg"] = where
                if baseline is not None:
                    out["weight"]["baseline_kg"] = baseline
                continue
            lab: dict[str, Any] = {"value": first.value, "unit": first.unit}
            origins[f"labs.{kind}"] = where
            given = next((e for e in entries if e.limit is not None), None)
            if kind in codes.LIVER_LABS:
                if given is None:
                    raise first.resource.error(
                        "referenceRange.high",
                        f"no upper limit of normal for {NAMES[kind]}: the laboratory's ULN is"
                        " required (the label's and CTCAE's thresholds are multiples of it);"
                        " give referenceRange.high",
                    )
                field = f"labs.{kind}.baseline"
                if field not in answered:
                    baseline = self._baseline(kind, start, first.unit, field, origins)
                    if baseline is not None:
                        lab["baseline"] = baseline
            if given is not None and given.limit is not None:
                name = "uln" if kind in codes.LIVER_LABS else "lln"
                lab[name] = convert(
                    given.resource,
                    given.limit.element,
                    given.limit.value,
                    given.limit.unit,
                    lab["unit"],
                )
                origins[f"labs.{kind}.{name}"] = f"{given.resource.label} {given.limit.element}"
            out.setdefault("labs", {})[kind] = lab
        return out

    def _baseline(
        self, kind: str, start: dt.date | None, unit: str, field: str, origins: dict[str, str]
    ) -> int | float | None:
        """The value on the latest day before ``start`` with this measurement, in ``unit``."""
        if start is None:
            return None
        days = [d for d, kinds in self.by_day.items() if d < start and kind in kinds]
        if not days:
            return None
        first = agreed(kind, self.by_day[max(days)][kind], "referenceRange", _same_limit)
        value = convert(first.resource, "valueQuantity", first.value, first.unit, unit)
        origins[field] = (
            f"{first.resource.label} valueQuantity (the latest before imatinib started,"
            f" {start.isoformat()})"
        )
        return value
