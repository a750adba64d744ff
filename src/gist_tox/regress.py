"""``gist-tox rules diff``: what a change to the rules does to real visits.

Every visit is graded and dosed with the OLD and with the NEW rule set, through the same
pipeline as ``grade``; each visit whose grades or recommendation differ is listed, before ->
after.  This is what a drug and therapeutics committee reads before approving a rule change.
A visit refused by one rule set and not the other is a change too; a visit refused by both in
the same way is reported as unreadable, not as a change.  Visit files are found exactly as
``batch`` finds them (:func:`gist_tox.batch.discover`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gist_tox.errors import InputError

RECOMMENDATION_KEYS = ("action", "dose_mg", "resume_dose_mg", "resume_when", "alternatives")
"""The parts of a recommendation a clinician acts on; a change in any is a change."""


@dataclass
class Change:
    """One thing that differs for a visit: ``what`` (a term id or ``recommendation.<key>``)."""

    what: str
    before: Any
    after: Any

    def as_json(self) -> dict[str, Any]:
        return {"what": self.what, "before": self.before, "after": self.after}


@dataclass
class VisitDiff:
    source: str
    changes: list[Change] = field(default_factory=list)
    error: str | None = None
    """Set when both rule sets refuse the visit the same way."""

    def as_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "source": self.source,
            "changes": [c.as_json() for c in self.changes],
        }
        if self.error:
            out["error"] = self.error
        return out


@dataclass
class DiffReport:
    old: str
    new: str
    visits: list[VisitDiff]

    @property
    def changed(self) -> list[VisitDiff]:
        return [v for v in self.visits if v.changes]

    @property
    def unreadable(self) -> list[VisitDiff]:
        return [v for v in self.visits if v.error]

    def as_json(self) -> dict[str, Any]:
        return {
            "format": "gist-tox/rules-diff@1",
            "old": self.old,
            "new": self.new,
            "visits": len(self.visits),
            "changed": len(self.changed),
            "unreadable": len(self.unreadable),
            "changes": [v.as_json() for v in self.changed],
            "errors": [v.as_json() for v in self.unreadable],
        }


def _compared(result: dict[str, Any]) -> dict[str, Any]:
    """The parts of a result that are compared: each grade and what the clinician acts on."""
    out: dict[str, Any] = {}
    for term, graded in result["grades"].items():
        out[term] = (
            graded["grade"]
            if graded["grade"] is not None
            else (f"not gradable ({graded.get('not_gradable')})")
        )
    rec = result.get("recommendation") or {}
    for key in RECOMMENDATION_KEYS:
        if key in rec:
            out[f"recommendation.{key}"] = rec[key]
    return out


def _is_patient(source: str) -> bool:
    """A patient timeline (``gist-tox/patient@1`` lists ``visits``): replayed, not graded."""
    from gist_tox.documents import read_document

    try:
        data = read_document(source).data
    except InputError:
        return False
    return isinstance(data, dict) and "visits" in data


def _outcomes(source: str, rulesets: Any, payload: Any = None) -> dict[str, dict[str, Any] | str]:
    """Per visit of the file (one, or each visit of a patient timeline, ``file:visits[i]``):
    the compared parts of its result, or the error text when the file is refused.  A timeline
    is replayed with each rule set, so a changed dose step shows at every later visit."""
    from gist_tox.pipeline import evaluate_file

    try:
        if payload is not None:  # one patient of a FHIR Bulk Data export
            from gist_tox.fhir.load import evaluate_resources

            resources, day = payload
            return {
                source: _compared(evaluate_resources(resources, day, source, rulesets).as_json())
            }
        if _is_patient(source):
            from gist_tox.timeline import load_patient, replay

            results = [e.as_json() for e in replay(load_patient(source), rulesets, source)]
            return {
                f"{source}:visits[{i}] ({r['date']})": _compared(r) for i, r in enumerate(results)
            }
        return {source: _compared(evaluate_file(source, rulesets).as_json())}
    except InputError as exc:
        return {source: exc.one_line()}


def diff_visits(old: Path, new: Path, visits: list[str], ctcae: str | None = None) -> DiffReport:
    """Grade and dose every visit under ``visits`` with both rule sets and compare.

    A rule set that is invalid raises :class:`~gist_tox.errors.RulesError` (it never grades).
    """
    from gist_tox.batch import discover
    from gist_tox.pipeline import RuleSets
    from gist_tox.ruleset.loader import load_ruleset, resolve_version

    for root in (old, new):  # fail early, naming the folder, when a rule set is broken
        load_ruleset(root, resolve_version(root, ctcae))
    before_sets, after_sets = RuleSets(old, ctcae), RuleSets(new, ctcae)
    report = DiffReport(str(old), str(new), [])
    for found in discover(visits):
        if found.error is not None:
            report.visits.append(VisitDiff(found.path, error=found.error.one_line()))
            continue
        befores = _outcomes(found.path, before_sets, found.payload)
        afters = _outcomes(found.path, after_sets, found.payload)
        for name in dict.fromkeys([*befores, *afters]):
            report.visits.append(_compare(name, befores.get(name, "—"), afters.get(name, "—")))
    return report


def _compare(name: str, before: dict[str, Any] | str, after: dict[str, Any] | str) -> VisitDiff:
    item = VisitDiff(name)
    if isinstance(before, str) and isinstance(after, str):
        if before == after:
            item.error = before
        else:
            item.changes.append(Change("refused", before, after))
    elif isinstance(before, str) or isinstance(after, str):
        item.changes.append(
            Change(
                "refused",
                before if isinstance(before, str) else None,
                after if isinstance(after, str) else None,
            )
        )
    else:
        for key in dict.fromkeys([*before, *after]):
            if before.get(key, "—") != after.get(key, "—"):
                item.changes.append(Change(key, before.get(key, "—"), after.get(key, "—")))
    return item
