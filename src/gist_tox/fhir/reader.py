"""One patient's FHIR resources -> the visit document a YAML visit file would hold.

What is read, and from where (the README's integrator section says the same):

* ``labs`` from Observations with status final, amended or corrected, by LOINC code
  (:data:`~gist_tox.fhir.codes.LAB_CODES`), units from ``valueQuantity.code`` (UCUM), the LLN
  from ``referenceRange.low``.  Two different values of one lab on the visit's day are refused,
  naming both resources: never averaged, never one picked.
* Visit format extension A's liver tests, hemoglobin, weight and creatinine clearance from
  Observations by LOINC code (:data:`~gist_tox.fhir.codes.MORE_LAB_CODES`), with the ULN,
  the LLN and the pre-treatment baselines (:mod:`gist_tox.fhir.measurements`).
* ``comedications`` from the active orders and statements of other medicines
  (:mod:`gist_tox.fhir.comedications`).
* ``fever`` from body temperature Observations of the day: the highest reading, and the hours
  the readings establish at or above 38.0 C (:mod:`gist_tox.fhir.temperature`).
* ``imatinib`` doses from MedicationRequest (an order, not a proposal) and MedicationStatement
  coded as imatinib: the current dose from the latest one on or before the visit (on hold,
  stopped or completed: 0), the starting dose from the earliest.
* What only the clinician knows from QuestionnaireResponses to the shipped Questionnaire
  authored on the visit's day (:mod:`gist_tox.fhir.questionnaire`), extension A's ``fluid``,
  ``renal.dialysis``, ``hepatic_impairment`` and ``other_events`` included.
* ``history`` from AdverseEvents before the visit that carry a CTCAE grade >= 1.

Which day: the latest with a blood count, unless one is asked for.  Resources of other types,
other LOINC codes and other days are ignored.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from fractions import Fraction
from typing import Any

from gist_tox.errors import InputError
from gist_tox.fhir import codes
from gist_tox.fhir.measurements import Measurements
from gist_tox.fhir.resources import Resource, agreed, day_of, number, reference_id
from gist_tox.fhir.temperature import Reading, as_hours, highest, hours_at_or_above
from gist_tox.units import COUNT_UNIT_FACTORS, count_to_canonical, exact

ORDER_INTENTS = frozenset(
    {"order", "original-order", "reflex-order", "filler-order", "instance-order", "plan"}
)
"""MedicationRequest intents that say what the patient takes (a ``proposal`` does not)."""
TAKING = frozenset({"active"})
NOT_TAKING = frozenset({"on-hold", "stopped", "completed"})
"""Order / statement statuses read as "taking now" and "not taking now" (dose 0); other
statuses (draft, cancelled, entered-in-error, unknown, not-taken, intended) are ignored."""
_PER_DAY = {"d": Fraction(1), "h": Fraction(24), "min": Fraction(24 * 60), "wk": Fraction(1, 7)}
_TIMING_CODES = {"QD": 1, "BID": 2, "TID": 3, "QID": 4}


def _fail(resource: Resource, element: str, message: str) -> InputError:
    return resource.error(element, message)


# --------------------------------------------------------------------------------------------
# Observations


class _Lab:
    __slots__ = ("lln", "origin", "resource", "unit", "value")

    def __init__(
        self,
        resource: Resource,
        value: int | float,
        unit: str | None,
        lln: int | float | None,
    ) -> None:
        self.resource = resource
        self.value = value
        self.unit = unit
        self.lln = lln
        self.origin = resource.label

    def canonical(self) -> Fraction:
        if self.unit is None:
            return exact(self.value)
        return count_to_canonical(self.value, self.unit)


def _loinc_codes(data: dict[str, Any]) -> list[str]:
    """LOINC codes of a raw Observation (before parsing: most Observations are not used)."""
    code = data.get("code")
    found: list[str] = []
    if isinstance(code, dict) and isinstance(code.get("coding"), list):
        for coding in code["coding"]:
            if isinstance(coding, dict) and coding.get("system") == codes.LOINC:
                found.append(str(coding.get("code")))
    return found


def observation_kind(data: dict[str, Any]) -> str | None:
    """``anc``, ``platelets``, ... , ``temperature`` or ``None`` for an Observation."""
    kinds = {
        codes.LAB_CODES.get(c)
        or codes.MORE_LAB_CODES.get(c)
        or ("temperature" if c in codes.TEMPERATURE_CODES else None)
        for c in _loinc_codes(data)
    } - {None}
    if len(kinds) > 1:
        raise Resource(data, "").error("code", "codes for different measurements")
    return kinds.pop() if kinds else None


def blood_count_day(data: dict[str, Any]) -> str | None:
    """The day (``YYYY-MM-DD``) of a raw Observation that is a blood count, else ``None``:
    a cheap look used to list visit dates without parsing every resource."""
    if data.get("resourceType") != "Observation" or data.get("status") not in (
        codes.OBSERVATION_STATUSES
    ):
        return None
    if not any(c in codes.LAB_CODES for c in _loinc_codes(data)):
        return None
    when = data.get("effectiveDateTime") or data.get("effectiveInstant")
    if when is None and isinstance(data.get("effectivePeriod"), dict):
        when = data["effectivePeriod"].get("start")
    if isinstance(when, str) and len(when) >= 10:
        return when[:10]
    return None


def _effective(resource: Resource, obs: Any) -> tuple[dt.date, dt.datetime | None]:
    when = obs.effectiveDateTime or obs.effectiveInstant
    element = "effectiveDateTime" if obs.effectiveDateTime else "effectiveInstant"
    if when is None and obs.effectivePeriod is not None:
        when, element = obs.effectivePeriod.start, "effectivePeriod.start"
    if when is None:
        raise _fail(resource, "effective[x]", "no effective date; expected the day it was taken")
    day = day_of(when)
    if day is None:
        raise _fail(resource, element, f"{when} is not a day; expected YYYY-MM-DD or a time")
    return day, when if isinstance(when, dt.datetime) else None


def _quantity(resource: Resource, obs: Any) -> Any | None:
    if obs.valueQuantity is None:
        for name in ("valueString", "valueCodeableConcept", "valueInteger", "valueRatio"):
            if getattr(obs, name, None) is not None:
                raise _fail(resource, name, "expected valueQuantity (a number with a UCUM unit)")
        return None  # no value (dataAbsentReason): the measurement is missing, not zero
    quantity = obs.valueQuantity
    if quantity.value is None:
        return None
    if quantity.comparator is not None:
        raise _fail(
            resource,
            "valueQuantity.comparator",
            f"a value reported as {quantity.comparator}{quantity.value} cannot be graded;"
            " expected the measured value",
        )
    return quantity


def ucum(resource: Resource, element: str, quantity: Any, allowed: dict[str, str]) -> str:
    """The visit's unit of a Quantity: its UCUM ``code``; without a code, its ``unit`` text
    read by the visit format's one spelling table (``gist_tox.units``)."""
    code = quantity.code
    if code is None and quantity.unit is not None:
        from gist_tox.units import count_unit, temperature_unit

        text = quantity.unit.strip()
        spelled = (
            text
            if text == "%" or text in allowed.values()
            else count_unit(quantity.unit) or temperature_unit(quantity.unit)
        )
        if spelled is not None and spelled in allowed.values():
            return spelled
    if quantity.system not in (None, codes.UCUM):
        raise _fail(resource, f"{element}.system", f"expected UCUM ({codes.UCUM})")
    if code not in allowed:
        shown = "no code" if code is None else repr(code)
        if code is None and quantity.unit is not None:
            shown = f"{quantity.unit!r} (unit text, no code)"
        raise _fail(
            resource,
            f"{element}.code",
            f"unit {shown} is not allowed; expected UCUM {', '.join(allowed)}",
        )
    return allowed[code]


def _lln(resource: Resource, obs: Any, unit: str) -> int | float | None:
    """``referenceRange.low`` in the value's unit (converted exactly, when it is in another)."""
    lows = [
        r.low for r in obs.referenceRange or [] if r.low is not None and r.low.value is not None
    ]
    if not lows:
        return None
    low = lows[0]
    low_unit = (
        unit
        if low.code is None and low.unit is None
        else ucum(resource, "referenceRange[0].low", low, codes.UCUM_COUNT_UNITS)
    )
    value = number(low.value)
    if low_unit == unit:
        return value
    converted = exact(value) * COUNT_UNIT_FACTORS[low_unit] / COUNT_UNIT_FACTORS[unit]
    as_float = float(converted)
    if exact(as_float) != converted:
        raise _fail(
            resource,
            "referenceRange[0].low",
            f"the LLN {value} {low_unit} has no exact value in the result's unit {unit};"
            " give it in the same unit",
        )
    return int(converted) if converted.denominator == 1 else as_float


class Observations:
    """The blood counts, temperatures and extension A's measurements (``more``) of one
    patient, by day."""

    def __init__(self, resources: Iterable[Resource]) -> None:
        self.labs: dict[dt.date, dict[str, list[_Lab]]] = {}
        self.temperatures: dict[dt.date, list[Reading]] = {}
        self.more = Measurements()
        for resource in resources:
            kind = observation_kind(resource.data)
            if kind is None:
                continue
            obs = resource.parse()
            if obs.status not in codes.OBSERVATION_STATUSES:
                continue
            quantity = _quantity(resource, obs)
            if quantity is None:
                continue
            day, when = _effective(resource, obs)
            value = number(quantity.value)
            if kind == "temperature":
                unit = ucum(resource, "valueQuantity", quantity, codes.UCUM_TEMPERATURE_UNITS)
                self.temperatures.setdefault(day, []).append(
                    Reading(when, value, unit, resource.label)
                )
            elif kind in codes.UCUM_MORE_UNITS:
                unit = ucum(resource, "valueQuantity", quantity, codes.UCUM_MORE_UNITS[kind])
                self.more.add(kind, day, resource, obs, value, unit)
            elif kind in codes.PERCENT_LABS:
                ucum(resource, "valueQuantity", quantity, {codes.UCUM_PERCENT: "%"})
                self.labs.setdefault(day, {}).setdefault(kind, []).append(
                    _Lab(resource, value, None, None)
                )
            else:
                unit = ucum(resource, "valueQuantity", quantity, codes.UCUM_COUNT_UNITS)
                self.labs.setdefault(day, {}).setdefault(kind, []).append(
                    _Lab(resource, value, unit, _lln(resource, obs, unit))
                )

    def days(self) -> list[dt.date]:
        """Days with a blood count, oldest first."""
        return sorted(self.labs)

    def labs_on(self, day: dt.date, origins: dict[str, str]) -> dict[str, Any] | None:
        found = self.labs.get(day)
        if not found:
            return None
        out: dict[str, Any] = {}
        for name, entries in found.items():
            first = agreed(name, entries, "referenceRange.low", _same_lln)
            origins[f"labs.{name}"] = f"{first.origin} valueQuantity"
            if first.unit is None:
                out[name] = first.value
                continue
            lab: dict[str, Any] = {"value": first.value, "unit": first.unit}
            lln = next((e for e in entries if e.lln is not None), None)
            if lln is not None:
                lab["lln"] = _in_unit(lln, first.unit)
                origins[f"labs.{name}.lln"] = f"{lln.origin} referenceRange.low"
            out[name] = lab
        return out

    def fever_on(self, day: dt.date, origins: dict[str, str]) -> dict[str, Any] | None:
        readings = self.temperatures.get(day)
        if not readings:
            return None
        top = highest(readings)
        origins["fever.max_temperature"] = f"{top.origin} valueQuantity"
        fever: dict[str, Any] = {"max_temperature": {"value": top.value, "unit": top.unit}}
        hours = hours_at_or_above(readings)
        if hours is not None:
            fever["hours_at_or_above_38"] = as_hours(hours)
            origins["fever.hours_at_or_above_38"] = "body temperature Observations"
        return fever


def _same_lln(first: _Lab, other: _Lab) -> bool:
    if None in (first.lln, other.lln, first.unit, other.unit):
        return True
    return count_to_canonical(other.lln, other.unit) == count_to_canonical(first.lln, first.unit)


def _in_unit(lab: _Lab, unit: str) -> int | float:
    assert lab.lln is not None and lab.unit is not None
    if lab.unit == unit:
        return lab.lln
    converted = count_to_canonical(lab.lln, lab.unit) / COUNT_UNIT_FACTORS[unit]
    return int(converted) if converted.denominator == 1 else float(converted)


# --------------------------------------------------------------------------------------------
# Imatinib


class _Order:
    __slots__ = ("day", "dose", "hold_for", "resource", "taking")

    def __init__(
        self,
        resource: Resource,
        day: dt.date,
        taking: bool,
        dose: int | None,
        hold_for: list[str],
    ) -> None:
        self.resource = resource
        self.day = day
        self.taking = taking
        self.dose = dose
        self.hold_for = hold_for


def medication_concept(model: Any, medications: dict[str, Any]) -> Any:
    """What an order or statement names: its own concept, or the Medication it references
    (by ``Medication/<id>`` or as written), or None."""
    concept = model.medicationCodeableConcept
    if concept is None and model.medicationReference is not None:
        concept = medications.get(
            f"Medication/{reference_id(model.medicationReference, 'Medication')}"
        ) or medications.get(str(model.medicationReference.reference))
    return concept


def is_imatinib(concept: Any) -> bool:
    if concept is None:
        return False
    for coding in concept.coding or []:
        if (coding.system, coding.code) in codes.IMATINIB_CODES:
            return True
        if coding.display and any(n in coding.display.lower() for n in codes.IMATINIB_NAMES):
            return True
    return bool(concept.text) and any(n in concept.text.lower() for n in codes.IMATINIB_NAMES)


def daily_dose(resource: Resource, dosages: list[Any], element: str) -> int | None:
    """mg per day from Dosage elements: dose x frequency per period (400 mg twice a day is
    800); concurrent dosages (no or equal ``sequence``) add up; a total that is not whole mg is
    refused."""
    if not dosages:
        return None
    if len({d.sequence for d in dosages}) > 1:
        raise _fail(
            resource,
            element,
            "dosages in sequence (a schedule); expected the dose taken now",
        )
    total = Fraction(0)
    for index, dosage in enumerate(dosages):
        where = f"{element}[{index}]"
        quantity = None
        for rate in dosage.doseAndRate or []:
            if rate.doseQuantity is not None:
                quantity = rate.doseQuantity
        if quantity is None or quantity.value is None:
            raise _fail(resource, f"{where}.doseAndRate", "no doseQuantity; expected a dose in mg")
        unit = quantity.code or quantity.unit
        scale = {"mg": Fraction(1), "g": Fraction(1000)}.get(str(unit))
        if scale is None:
            raise _fail(
                resource, f"{where}.doseAndRate.doseQuantity", f"unit {unit!r}; expected mg"
            )
        total += exact(number(quantity.value)) * scale * _per_day(resource, dosage, where)
    if total.denominator != 1:
        raise _fail(resource, element, f"{float(total):g} mg per day is not a whole mg dose")
    return int(total)


def _per_day(resource: Resource, dosage: Any, where: str) -> Fraction:
    timing = dosage.timing
    if timing is None:
        raise _fail(resource, f"{where}.timing", "no timing; expected how often the dose is taken")
    repeat = timing.repeat
    if repeat is not None and repeat.frequency is not None:
        if repeat.period is None or repeat.periodUnit not in _PER_DAY:
            raise _fail(resource, f"{where}.timing.repeat", "expected a period in min, h, d or wk")
        per_unit = _PER_DAY[repeat.periodUnit]
        return Fraction(int(repeat.frequency)) * per_unit / exact(number(repeat.period))
    code = timing.code
    for coding in code.coding if code is not None and code.coding else []:
        if coding.code in _TIMING_CODES:
            return Fraction(_TIMING_CODES[coding.code])
    raise _fail(
        resource, f"{where}.timing", "expected repeat.frequency and period, or QD/BID/TID/QID"
    )


def _hold_categories(statuses: Iterable[Any]) -> list[str]:
    found: list[str] = []
    for concept in statuses:
        for coding in concept.coding if concept is not None and concept.coding else []:
            if coding.system == codes.HOLD_CATEGORY_SYSTEM and coding.code:
                found.append(coding.code)
    return found


class Imatinib:
    """The imatinib orders and statements of one patient."""

    def __init__(self, resources: Iterable[Resource], medications: dict[str, Any]) -> None:
        self.orders: list[_Order] = []
        for resource in resources:
            model = resource.parse()
            concept = medication_concept(model, medications)
            if not is_imatinib(concept):
                continue
            if resource.type == "MedicationRequest":
                if model.intent not in ORDER_INTENTS:
                    continue
                when, element = model.authoredOn, "authoredOn"
                dosages, dosage_element = model.dosageInstruction or [], "dosageInstruction"
            else:
                when = model.effectiveDateTime or (
                    model.effectivePeriod.start if model.effectivePeriod else None
                )
                element = "effective[x]"
                if when is None:
                    when, element = model.dateAsserted, "dateAsserted"
                dosages, dosage_element = model.dosage or [], "dosage"
            if model.status not in TAKING | NOT_TAKING:
                continue
            if when is None:
                raise _fail(resource, element, "no date; expected when the order was made")
            day = day_of(when)
            if day is None:
                raise _fail(resource, element, f"{when} is not a day; expected YYYY-MM-DD")
            dose = daily_dose(resource, dosages, dosage_element)
            taking = model.status in TAKING
            if taking and dose is None:
                raise _fail(resource, dosage_element, "an active imatinib order without a dose")
            status = model.statusReason
            reasons = [
                *(status if isinstance(status, list) else [status]),
                *(model.reasonCode or []),
            ]
            self.orders.append(_Order(resource, day, taking, dose, _hold_categories(reasons)))
        self.orders.sort(key=lambda o: o.day)

    def on(self, day: dt.date) -> _Order | None:
        """The order in effect on ``day``: the latest made on or before it."""
        before = [o for o in self.orders if o.day <= day]
        if not before:
            return None
        latest = before[-1]
        for other in before[:-1]:
            if other.day == latest.day and (other.taking, other.dose) != (
                latest.taking,
                latest.dose,
            ):
                raise latest.resource.error(
                    None,
                    f"conflicting imatinib orders on {day.isoformat()}: {other.resource.label}"
                    f" and {latest.resource.label}; correct or remove one",
                    code="fhir.conflict",
                )
        return latest

    def section(self, day: dt.date, origins: dict[str, str]) -> dict[str, Any]:
        current = self.on(day)
        if current is None:
            return {}
        out: dict[str, Any] = {"current_dose_mg": current.dose if current.taking else 0}
        origins["imatinib.current_dose_mg"] = f"{current.resource.label} status/dosage"
        first = next((o for o in self.orders if o.day <= day and o.dose is not None), None)
        if first is not None:
            out["starting_dose_mg"] = first.dose
            origins["imatinib.starting_dose_mg"] = f"{first.resource.label} dosage"
        if not current.taking and current.hold_for:
            out["on_hold_for"] = current.hold_for
            origins["imatinib.on_hold_for"] = f"{current.resource.label} statusReason/reasonCode"
        return out


# --------------------------------------------------------------------------------------------
# One patient's resources -> one visit document

_PATIENT_ELEMENT = {"Patient": None, "QuestionnaireResponse": "subject", "AdverseEvent": "subject"}


class PatientRecord:
    """One patient's resources, sorted by type; ``days()`` lists the visit dates."""

    def __init__(self, resources: list[Resource], source: str) -> None:
        self.source = source
        self.by_type: dict[str, list[Resource]] = {}
        for resource in resources:
            self.by_type.setdefault(resource.type, []).append(resource)
        self.patient_id = self._patient_id()
        self.observations = Observations(self.by_type.get("Observation", []))
        medications: dict[str, Any] = {}
        for resource in self.by_type.get("Medication", []):
            code = resource.parse().code
            medications[f"Medication/{resource.data.get('id')}"] = code
            if resource.url:
                medications[resource.url] = code
        self.medications = medications
        self.imatinib = Imatinib(
            [
                *self.by_type.get("MedicationRequest", []),
                *self.by_type.get("MedicationStatement", []),
            ],
            medications,
        )

    def _patient_id(self) -> str:
        """The one patient every used resource is about; two patients are refused."""
        seen: dict[str, Resource] = {}
        for resource in self.by_type.get("Patient", []):
            rid = resource.data.get("id")
            if isinstance(rid, str) and rid:
                seen.setdefault(rid, resource)
        for kind in (
            "Observation",
            "MedicationRequest",
            "MedicationStatement",
            "QuestionnaireResponse",
            "AdverseEvent",
        ):
            for resource in self.by_type.get(kind, []):
                subject = resource.data.get("subject")
                rid = reference_id(
                    subject.get("reference") if isinstance(subject, dict) else None, "Patient"
                )
                if rid is not None:
                    seen.setdefault(rid, resource)
        if not seen:
            raise InputError(
                self.source, "no Patient, and no resource names its subject Patient", code="fhir"
            )
        if len(seen) > 1:
            (first, a), (second, b) = list(seen.items())[:2]
            raise b.error(
                "subject",
                f"resources of more than one patient ({first} in {a.label}, {second} here);"
                " a Bundle holds one patient's visit (use a Bulk Data export for many)",
            )
        return next(iter(seen))

    def days(self) -> list[dt.date]:
        return self.observations.days()

    def choose(self, asked: dt.date | None) -> dt.date:
        days = self.days()
        if asked is not None:
            if asked not in days:
                shown = ", ".join(d.isoformat() for d in days) or "none"
                raise InputError(
                    self.source,
                    f"--date {asked.isoformat()}: no blood count on that day"
                    f" (days with one: {shown})",
                    code="fhir.date",
                )
            return asked
        if not days:
            raise InputError(
                self.source,
                "no blood count (ANC, platelets, WBC or differential Observation with status"
                " final, amended or corrected); nothing to grade",
                code="fhir.date",
            )
        return days[-1]

    def visit(self, day: dt.date) -> tuple[dict[str, Any], dict[str, str]]:
        """The visit document of ``day`` and, per dotted field, the resource it came from."""
        from gist_tox.fhir import questionnaire
        from gist_tox.fhir.comedications import comedications
        from gist_tox.fhir.history import history

        origins: dict[str, str] = {}
        patient: dict[str, Any] = {"id": self.patient_id}
        for resource in self.by_type.get("Patient", []):
            born = resource.parse().birthDate
            if isinstance(born, dt.date) and not isinstance(born, dt.datetime):
                patient["age"] = (
                    day.year - born.year - ((day.month, day.day) < (born.month, born.day))
                )
                origins["patient.age"] = f"{resource.label} birthDate"
        data: dict[str, Any] = {"patient": patient, "date": day}
        data["imatinib"] = self.imatinib.section(day, origins)
        labs = self.observations.labs_on(day, origins)
        if labs is not None:
            data["labs"] = labs
        fever = self.observations.fever_on(day, origins)
        if fever is not None:
            data["fever"] = fever
        ours = [
            r
            for r in self.by_type.get("QuestionnaireResponse", [])
            if questionnaire.is_ours(r.data)
        ]
        answered = questionnaire.answers(ours, day)
        started = next((o.day for o in self.imatinib.orders if o.dose is not None), None)
        more = self.observations.more.sections(day, started, set(answered), origins)
        data.setdefault("labs", {}).update(more.pop("labs", {}))
        if not data["labs"]:
            del data["labs"]
        data.update(more)
        taken, where = comedications(
            [
                *self.by_type.get("MedicationRequest", []),
                *self.by_type.get("MedicationStatement", []),
            ],
            self.medications,
            day,
        )
        if taken:
            data["comedications"] = taken
            origins.update(where)
        for link_id, (value, origin) in answered.items():
            _answer(data, link_id, value, origin, origins)
        orders = {
            key: r
            for kind in ("MedicationRequest", "MedicationStatement")
            for r in self.by_type.get(kind, [])
            for key in (r.label, r.url)
            if key
        }
        entries, where = history(self.by_type.get("AdverseEvent", []), day, self.imatinib, orders)
        if entries:
            data["history"] = entries
            origins.update(where)
        return data, origins


def _answer(
    data: dict[str, Any], link_id: str, value: Any, origin: str, origins: dict[str, str]
) -> None:
    """Put a questionnaire answer at its field; where the resources already gave the field, the
    two must agree (hours of fever: the answer must be at least what the readings establish)."""
    *sections, name = link_id.split(".")
    target = data
    for section in sections:
        target = target.setdefault(section, {})
    if name in target and target[name] != value:
        known = target[name]
        if link_id == "fever.hours_at_or_above_38" and exact(value) >= exact(known):
            pass
        else:
            raise InputError(
                origin.split(" ")[0],
                f"{link_id}: {origin} answers {value!r} but {origins.get(link_id, 'the resources')}"
                f" give {known!r}; correct one of them",
                code="fhir.conflict",
            )
    target[name] = value
    origins[link_id] = f"{origin} item {link_id}"


def bundle_resources(data: dict[str, Any], source: str) -> list[Resource]:
    """The resources of a FHIR Bundle (``entry[].resource``), each knowing its file."""
    if data.get("resourceType") != "Bundle":
        raise InputError(
            source,
            f"a FHIR {data.get('resourceType')!r} resource; expected a Bundle of one patient's"
            " resources",
            field="resourceType",
            code="fhir",
        )
    entries = data.get("entry", [])
    if not isinstance(entries, list):
        raise InputError(source, "expected a list of entries", field="Bundle entry", code="fhir")
    out: list[Resource] = []
    for index, entry in enumerate(entries):
        resource = entry.get("resource") if isinstance(entry, dict) else None
        if not isinstance(resource, dict) or not isinstance(resource.get("resourceType"), str):
            raise InputError(
                source,
                "expected an object with a resource that names its resourceType",
                field=f"Bundle entry[{index}]",
                code="fhir",
            )
        url = entry.get("fullUrl")
        out.append(Resource(resource, source, url=url if isinstance(url, str) else None))
    return out


def read_visit(record: PatientRecord, day: dt.date) -> Any:
    """The validated :class:`~gist_tox.visit.Visit` of ``day``; a visit field the model refuses
    is reported at the resource it came from."""
    from pydantic import ValidationError

    from gist_tox import validators
    from gist_tox.documents import Document
    from gist_tox.validation import to_input_error
    from gist_tox.visit import Visit

    data, origins = record.visit(day)
    try:
        return validators.validate(Visit, data)
    except ValidationError as exc:
        error = to_input_error(Document(record.source, data), exc, Visit)
        field = error.field or ""
        origin = _origin(field, origins)
        if field.startswith("imatinib") and error.message == "required field is missing":
            raise InputError(
                record.source,
                f"{field} is unknown: no imatinib MedicationRequest (an order) or"
                " MedicationStatement on or before the visit gives it; add one, or answer"
                f" {field} in the gist-tox QuestionnaireResponse",
                code="fhir.imatinib",
            ) from None
        where = f"{origin} (visit field {field})" if origin else field
        raise InputError(record.source, error.message, field=where, code=error.code) from None


def _origin(field: str, origins: dict[str, str]) -> str | None:
    best = None
    for path, origin in origins.items():
        if (field == path or field.startswith(path + ".") or field.startswith(path + "[")) and (
            best is None or len(path) > len(best[0])
        ):
            best = (path, origin)
    return best[1] if best else None
