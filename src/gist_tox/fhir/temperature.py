"""A day's body temperatures -> the visit's ``fever`` section: the highest reading, and how
long the temperature is *established* to have stayed at or above 38.0 C.

How the duration is derived (and why it is never guessed upward):

* Only readings with a time of day count; if any reading at or above 38.0 C has no time
  (a date only), the duration is unknown.
* Readings are put in time order.  A *run* is a sequence of consecutive readings that are all
  at or above 38.0 C.  A run establishes that the temperature was at or above 38.0 C from its
  first reading to its last (nothing is assumed before the first or after the last: the fever
  may have started earlier or lasted longer, but that is not known).
* The duration is the longest run's span, from its first reading to its last.  A run of a
  single reading spans nothing: when no run has two readings, the duration is unknown, and
  the grader says so ("duration of fever unknown") rather than reading it as zero.  When no
  reading reaches 38.0 C the duration is unknown too (readings hours apart cannot show that
  the temperature never reached it in between).
* The span is rounded down (never up) to a whole second and to at most six decimals of an
  hour.

So the figure is a lower bound: a clinician who knows the fever lasted longer gives
``fever.hours_at_or_above_38`` in the QuestionnaireResponse (used when it is at least what the
readings establish).
"""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_FLOOR, Decimal
from fractions import Fraction
from typing import NamedTuple

from gist_tox.units import temperature_to_celsius

FEVER_CELSIUS = Fraction(38)
"""The visit format's own definition of ``fever.hours_at_or_above_38`` (not a CTCAE cell)."""


class Reading(NamedTuple):
    """One body temperature reading as written, with its time when known."""

    when: dt.datetime | None
    value: float | int
    unit: str
    origin: str

    @property
    def celsius(self) -> Fraction:
        return temperature_to_celsius(self.value, self.unit)


def highest(readings: list[Reading]) -> Reading:
    """The highest reading (compared exactly in degrees C); the first of equal ones."""
    best = readings[0]
    for reading in readings[1:]:
        if reading.celsius > best.celsius:
            best = reading
    return best


def hours_at_or_above(readings: list[Reading]) -> Fraction | None:
    """Hours the readings establish at or above 38.0 C (see the module docstring), or ``None``
    when they establish no duration."""
    if any(r.when is None and r.celsius >= FEVER_CELSIUS for r in readings):
        return None
    timed = sorted((r for r in readings if r.when is not None), key=lambda r: r.when)  # type: ignore[arg-type,return-value]
    longest: Fraction | None = None
    start: dt.datetime | None = None
    for reading in timed:
        assert reading.when is not None
        if reading.celsius >= FEVER_CELSIUS:
            if start is None:
                start = reading.when
            elif reading.when > start:
                span = Fraction(int((reading.when - start).total_seconds()), 3600)
                longest = span if longest is None else max(longest, span)
        else:
            start = None
    return longest


def as_hours(hours: Fraction) -> float | int:
    """``hours`` as a number for the visit: exact when it is a short decimal, else rounded
    down to six decimals (never up)."""
    if hours.denominator == 1:
        return int(hours)
    shown = (Decimal(hours.numerator) / Decimal(hours.denominator)).quantize(
        Decimal("0.000001"), rounding=ROUND_FLOOR
    )
    return float(shown)
