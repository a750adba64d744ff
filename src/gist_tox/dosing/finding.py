"""What one dose rule says about a visit (:class:`Finding`) and the episode it records
(:class:`Episode`).

Why a module of its own: the engine and the rule families beside it (:mod:`.label`,
:mod:`.interactions`) all create findings; with the records here each imports them once, at
load, instead of importing from the engine inside every call (the engine imports the families).
"""

from __future__ import annotations

from typing import Any, NamedTuple


class Episode(NamedTuple):
    """A dose-limiting episode that starts at this visit (becomes a ``history`` entry)."""

    category: str
    term: str
    grade: int
    dose_mg: int

    def as_history(self, date: Any) -> dict[str, Any]:
        return {
            "date": date,
            "category": self.category,
            "term": self.term,
            "grade": self.grade,
            "dose_mg": self.dose_mg,
        }


class Finding:
    """What one rule says about this visit.

    The records of this module are plain classes (or named tuples), not dataclasses: creating
    a dataclass costs about a millisecond at every start-up of ``gist-tox grade``."""

    __slots__ = (
        "action",
        "alternatives",
        "category",
        "dose",
        "notes",
        "resume_dose",
        "resume_when",
        "rule",
        "values",
    )

    def __init__(
        self,
        rule: str,
        action: str,
        *,
        category: str | None = None,
        dose: int | None = None,
        resume_dose: int | None = None,
        resume_when: str | None = None,
        alternatives: list[str] | None = None,
        values: dict[str, Any] | None = None,
    ) -> None:
        self.rule = rule
        self.action = action
        """One of :data:`PRIORITY`, or ``advice``."""
        self.category = category
        self.dose = dose
        """The dose from today for reduce, resume, escalate and continue."""
        self.resume_dose = resume_dose
        """For a hold: the dose to resume at; ``None`` when it cannot be known (see warnings)."""
        self.resume_when = resume_when
        self.alternatives: list[str] = [] if alternatives is None else alternatives
        self.values: dict[str, Any] = {} if values is None else values
        self.notes: list[tuple[str, dict[str, Any]]] = []
        """(rule id, values) of texts added to this finding's reason: how it was overruled."""
