"""One straight line from a file to a result: load -> choose rules -> grade -> recommend -> result.

Every command (grade, timeline, batch, rules test, rules diff) goes through :func:`evaluate`, so
each gives exactly the grades and recommendation ``grade`` gives.
"""

from __future__ import annotations

import datetime as dt
import difflib
from pathlib import Path
from typing import Any

from gist_tox.consistency import visit_warnings
from gist_tox.documents import Document, read_document
from gist_tox.errors import InputError
from gist_tox.facts import build_facts
from gist_tox.grading import Grading, grade_visit
from gist_tox.other_events import OtherEvent, check_other_events, death_candidates, died
from gist_tox.ruleset.loader import RuleSet, load_ruleset, shipped_rules_dir
from gist_tox.validation import validate
from gist_tox.visit import Visit

RESULT_FORMAT = "gist-tox/result@1"


class RuleSets:
    """The rule sets of one rules folder, loaded per CTCAE version on first use."""

    def __init__(self, root: Path | None = None, ctcae: str | None = None) -> None:
        self.root = shipped_rules_dir() if root is None else root
        self.requested = ctcae
        self._loaded: dict[str | None, RuleSet] = {}

    def get(self, version: str | None) -> RuleSet:
        """The rule set for ``version``; ``None`` means the rule set's configured default."""
        if version not in self._loaded:
            ruleset = load_ruleset(self.root, version)
            self._loaded[version] = ruleset
            self._loaded.setdefault(ruleset.ctcae_version, ruleset)
        return self._loaded[version]

    @property
    def default_version(self) -> str:
        return self.get(None).ctcae_version

    def for_visit(self, visit: Visit, source: str) -> RuleSet:
        """``--ctcae`` wins over the configured default; a visit's pin wins over the default;
        an explicit ``--ctcae`` that contradicts a pin refuses the visit."""
        pin = visit.ctcae_version
        if self.requested is not None:
            if pin is not None and pin != self.requested:
                raise InputError(
                    source,
                    f"the visit is pinned to CTCAE v{pin} but --ctcae {self.requested} was asked"
                    " for; remove one of them",
                    field="ctcae_version",
                    code="visit.version_conflict",
                )
            return self.get(self.requested)
        return self.get(pin)


class Evaluation:
    """Everything known about one graded visit; :meth:`as_json` is ``gist-tox/result@1``.

    A plain class rather than a dataclass, as are the other records on ``grade``'s path:
    creating a dataclass costs about a millisecond at every start-up."""

    __slots__ = (
        "grading",
        "other_events",
        "recommendation",
        "ruleset",
        "source",
        "visit",
        "warnings",
    )

    def __init__(
        self,
        source: str,
        visit: Visit,
        ruleset: RuleSet,
        grading: Grading,
        recommendation: Any = None,
        warnings: list[str] | None = None,
        other_events: list[OtherEvent] | None = None,
    ) -> None:
        self.source = source
        self.other_events: list[OtherEvent] = [] if other_events is None else other_events
        self.visit = visit
        self.ruleset = ruleset
        self.grading = grading
        self.recommendation = recommendation
        self.warnings: list[str] = [] if warnings is None else warnings

    def as_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "format": RESULT_FORMAT,
            "source": self.source,
            "patient_id": self.visit.patient.id,
            "date": self.visit.date.isoformat(),
            "rules": {
                "ctcae_version": self.ruleset.ctcae_version,
                "dosing": self.ruleset.config.dosing,
                "name": self.ruleset.config.name,
                "digest": self.ruleset.digest,
            },
            "grades": {k: v.as_json() for k, v in self.grading.grades.items()},
            "other_events": [e.as_json() for e in self.other_events],
            "patient_factors": getattr(self.recommendation, "patient_factors", None)
            or {
                "renal": None,
                "hepatic_impairment": None,
                "comedications": [],
                "cyp3a4_inducer_dose_mg": None,
            },
        }
        if self.recommendation is not None:
            out["recommendation"] = self.recommendation.as_json()
            out["next_visit"] = self.next_visit()
        out["warnings"] = list(self.warnings)
        return out

    def next_visit(self) -> dict[str, Any]:
        """What the next visit's file holds once the recommendation is followed (as ``timeline``
        derives it): the dose, what a hold is for, and the dose-limiting episodes this visit
        adds to ``history``.  In the result, so that a program (or the FHIR writer, a renderer
        of results) can carry them forward without re-deriving them."""
        rec = self.recommendation
        held = rec.action in ("hold", "discontinue")
        day = self.visit.date.isoformat()
        return {
            "current_dose_mg": rec.dose_mg,
            "on_hold_for": (list(rec.hold_for) or ["other"]) if held else [],
            "history": [e.as_history(day) for e in rec.new_episodes],
        }


def load_visit(
    source: str, *, text: str | None = None, date: dt.date | None = None
) -> tuple[Visit, Document]:
    """Read and validate a visit file (``-`` for stdin); raise :class:`InputError` if it is bad.

    A FHIR Bundle (``"resourceType": "Bundle"``) is read by :mod:`gist_tox.fhir` into the same
    visit; ``date`` picks its day (default: the latest with a blood count)."""
    document = read_document(source, text=text)
    if "resourceType" in document.data:
        from gist_tox.fhir.load import visit_from_document

        return visit_from_document(document, date)
    if date is not None:
        raise InputError(
            document.source,
            f"--date {date.isoformat()} picks a day of a FHIR Bundle; a visit file holds one day",
            code="usage",
        )
    if document.data.get("format") == "gist-tox/patient@1" or "visits" in document.data:
        raise document.error(
            ("format",) if "format" in document.data else ("visits",),
            "this is a patient timeline (gist-tox/patient@1), not a single visit; run"
            " `gist-tox timeline` on it",
            code="visit.format",
        )
    return validate(document, Visit), document


def evaluate(
    visit: Visit, ruleset: RuleSet, source: str, document: Document | None = None
) -> Evaluation:
    """Grade and dose one visit with one rule set (``document``, when given, places errors)."""
    known = ruleset.known_term_ids() if visit.history else set()  # it lists folders: skip if unused
    for index, entry in enumerate(visit.history):
        if entry.term not in known and not _nci_term(entry.term):
            close = difflib.get_close_matches(entry.term, known, n=1)
            hint = f"did you mean {close[0]!r}? " if close else ""
            message = (
                f"unknown term id {entry.term!r}; {hint}expected one of {', '.join(sorted(known))}"
            )
            if document is not None:
                raise document.error(("history", index, "term"), message, code="visit.term")
            raise InputError(source, message, field=f"history[{index}].term", code="visit.term")
    event_warnings: list[str] = []
    events: list[OtherEvent] = []
    if visit.other_events:
        events = check_other_events(
            visit, ruleset.ctcae_version, _computed(ruleset), source, document, event_warnings
        )
    facts = build_facts(visit, ruleset.default_lln())
    grading = grade_visit(
        visit, facts, ruleset.plans, source, {e.term_id for e in events}, death_candidates(events)
    )
    if grading.died_event is not None:  # `died: true` belongs to a clinician-graded event
        events = [died(e) if e.term_id == grading.died_event else e for e in events]
    warnings = [*visit_warnings(visit, ruleset), *grading.warnings, *event_warnings]
    recommendation = None
    if ruleset.dosing is not None:
        from gist_tox.comedications import match
        from gist_tox.dosing import recommend

        comedications = match(visit.comedications, ruleset.interactions, warnings)
        recommendation = recommend(visit, grading.grades, ruleset, facts, events, comedications)
        warnings.extend(getattr(recommendation, "warnings", []))
    return Evaluation(source, visit, ruleset, grading, recommendation, warnings, events)


def _nci_term(term_id: str) -> bool:
    """A term id of NCI's list of either CTCAE version (history may name any, extension A)."""
    from gist_tox.nci import VERSIONS, terms

    return any(term_id in terms(v) for v in VERSIONS)


def _computed(ruleset: RuleSet) -> dict[str, str]:
    """Every term id the rule set computes (aliases too), with the first input it reads."""
    out: dict[str, str] = {}
    for plan in ruleset.plans.values():
        term, first = plan.term, plan.reported[0][0]
        for name in (term.id, *term.aliases):
            out[name] = first
    return out


def evaluate_file(
    source: str, rulesets: RuleSets, *, text: str | None = None, date: dt.date | None = None
) -> Evaluation:
    visit, document = load_visit(source, text=text, date=date)
    return evaluate(visit, rulesets.for_visit(visit, document.source), document.source, document)
