"""The pharmacist's worklist, whatever shows it (the terminal table, the HTML report): which
visits need action, most urgent first with each patient's visits together, what to do for each,
and counts that reconcile with the files read.

Kept apart from the renderers so that the table and the report can never disagree on order,
wording or counts.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from dataclasses import dataclass, field

from gist_tox.batch import URGENCY, Outcome, Tally
from gist_tox.render.base import BatchReport


@dataclass
class Worklist:
    """Everything shown, gathered from a batch's outcomes (which it reads to the end)."""

    tally: Tally
    filters: tuple[str, ...]
    by_category: Counter[str] = field(default_factory=Counter)
    """Visits shown by :attr:`~gist_tox.batch.Outcome.category`; they add up to those shown."""
    rows: list[Outcome] = field(default_factory=list)
    """The visits that need action, in worklist order (:func:`order`)."""
    failed: list[Outcome] = field(default_factory=list)
    visits: list[Outcome] = field(default_factory=list)
    """Every visit shown, in path order (kept only when asked for: the HTML report's detail)."""

    @property
    def summary(self) -> str:
        """One sentence whose counts reconcile: read = graded + failed; shown <= graded; the
        counts by category add up to the visits shown."""
        tally = self.tally
        text = f"{tally.read} file(s) read: {tally.graded} visit(s) graded, {tally.failed} failed"
        if self.filters:
            text += f"; {tally.shown_visits} visit(s) shown after {' '.join(self.filters)}"
        return text + f"; {len(self.rows)} need action"


def collect(report: BatchReport, *, keep_all: bool = False) -> Worklist:
    """Read the report's outcomes to the end (so its tally is complete), keeping the visits
    that need action, the failed files and, with ``keep_all``, every visit."""
    worklist = Worklist(report.tally, report.filters)
    for outcome in report.outcomes:
        if not outcome.ok:
            worklist.failed.append(outcome)
            continue
        worklist.by_category[outcome.category] += 1
        light = outcome if keep_all else dataclasses.replace(outcome, text="")
        if outcome.needs_action:
            worklist.rows.append(light)
        if keep_all:
            worklist.visits.append(outcome)
    worklist.rows = order(worklist.rows)
    return worklist


def order(rows: list[Outcome]) -> list[Outcome]:
    """Most urgent first (:data:`~gist_tox.batch.URGENCY`), each patient's visits together:
    patients ordered by their most urgent visit, a patient's visits newest first."""
    groups: dict[str, list[Outcome]] = {}
    for row in rows:
        groups.setdefault(row.patient_id or "", []).append(row)
    for visits in groups.values():
        visits.sort(key=lambda o: (o.date or "", o.source), reverse=True)
    ranked = sorted(groups.items(), key=lambda item: (min(o.urgency for o in item[1]), item[0]))
    return [row for _, visits in ranked for row in visits]


def categories(worklist: Worklist) -> list[tuple[str, int]]:
    """Every category in worklist order with its count (zeros included, so none is missed)."""
    return [(name, worklist.by_category[name]) for name in URGENCY]


def dose_text(row: Outcome) -> str:
    return "–" if row.dose_mg is None else f"{row.dose_mg} mg"


def resume_text(row: Outcome) -> str:
    """How the visit goes on: the resume dose and condition of a hold, the alternatives."""
    parts: list[str] = []
    if row.action == "hold":
        dose = "?" if row.resume_dose_mg is None else f"{row.resume_dose_mg} mg/day"
        parts.append(f"resume at {dose}" + (f" when {row.resume_when}" if row.resume_when else ""))
    elif row.action == "discontinue":
        parts.append("imatinib stopped for good")
    if row.alternatives:
        parts.append(f"consider {', '.join(row.alternatives)}")
    return "; ".join(parts)


def worst_text(row: Outcome) -> str:
    if row.worst_grade is None:
        return "no term gradable"
    return f"grade {row.worst_grade} {row.worst_term or ''}".strip()


def short_rule(rule: str) -> str:
    """``dosing/imatinib-gist/skin-hold`` -> ``skin-hold`` (the full id is in JSON and CSV)."""
    return rule.rsplit("/", 1)[-1]
