"""One visit graded under every CTCAE version, side by side (``grade --compare-ctcae``).

What a research coordinator needs when a study changes version: for each adverse event, its
grade under v5.0 and under v6.0, and which events grade differently.  A term renamed between
versions (``platelet_count_decreased`` -> ``thrombocytopenia``) is one row, paired through the
newer term's ``aliases``.  A term that exists in only one version is marked as differing when it
is not grade 0 there (grade 0 of a term the other version lacks says nothing new).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from gist_tox.errors import InputError
from gist_tox.pipeline import Evaluation, RuleSets, evaluate, load_visit
from gist_tox.ruleset.loader import VERSIONS

COMPARISON_FORMAT = "gist-tox/ctcae-comparison@1"
_CATEGORY_ORDER = {"hematologic": 0, "skin": 1, "other": 2}


@dataclass
class Row:
    """One adverse event across versions: its id, name and grade in each version that has it."""

    ids: dict[str, str] = field(default_factory=dict)
    names: dict[str, str] = field(default_factory=dict)
    grades: dict[str, int | None] = field(default_factory=dict)
    not_gradable: dict[str, str] = field(default_factory=dict)
    category: str = ""

    @property
    def id(self) -> str:
        return self.ids[max(self.ids)]

    @property
    def differs(self) -> bool:
        if len(self.ids) < len(VERSIONS):
            return any(g != 0 for g in self.grades.values())
        return len({g for g in self.grades.values()}) > 1

    def as_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "id": self.id,
            "in": [v for v in VERSIONS if v in self.ids],
            "term_ids": {v: self.ids[v] for v in VERSIONS if v in self.ids},
            "terms": {v: self.names[v] for v in VERSIONS if v in self.names},
            "grades": {v: self.grades.get(v) for v in VERSIONS},
            "differs": self.differs,
        }
        if self.not_gradable:
            out["not_gradable"] = self.not_gradable
        return out


def compare_file(source: str, rulesets: RuleSets, *, text: str | None = None) -> dict[str, Any]:
    """Grade the visit at ``source`` under every CTCAE version; the comparison as JSON data.

    The visit's own ``ctcae_version`` pin is reported, not applied: comparing is the point.
    """
    visit, _ = load_visit(source, text=text)
    evaluations: list[Evaluation] = []
    for version in VERSIONS:
        try:
            evaluations.append(evaluate(visit, rulesets.get(version), source))
        except InputError as exc:
            exc.problem.message = f"under CTCAE v{version}: {exc.problem.message}"
            raise InputError.of(exc.problem) from None
    results = [e.as_json() for e in evaluations]
    rows = _rows(evaluations)
    return {
        "format": COMPARISON_FORMAT,
        "source": source,
        "patient_id": visit.patient.id,
        "date": visit.date.isoformat(),
        "pinned": visit.ctcae_version,
        "versions": list(VERSIONS),
        "terms": [row.as_json() for row in rows],
        "differing": [row.id for row in rows if row.differs],
        "recommendations_differ": len({_decision(r) for r in results}) > 1,
        "results": results,
    }


def _decision(result: dict[str, Any]) -> str:
    rec = result.get("recommendation")
    if rec is None:
        return ""
    return repr(sorted((k, repr(v)) for k, v in rec.items() if k != "reasons"))


def _rows(evaluations: list[Evaluation]) -> list[Row]:
    rows: list[Row] = []
    by_id: dict[str, Row] = {}
    # Newest version first, so that its aliases can claim the older ids.
    for evaluation in sorted(evaluations, key=lambda e: e.ruleset.ctcae_version, reverse=True):
        version = evaluation.ruleset.ctcae_version
        for term in evaluation.ruleset.terms:
            row = by_id.get(term.id) or next((by_id[a] for a in term.aliases if a in by_id), None)
            if row is None or version in row.ids:
                row = Row()
                rows.append(row)
            for name in (term.id, *term.aliases):
                by_id.setdefault(name, row)
            graded = evaluation.grading.grades[term.id]
            row.ids[version] = term.id
            row.category = row.category or term.category
            row.names[version] = term.term
            row.grades[version] = graded.grade
            if graded.grade is None and graded.not_gradable:
                row.not_gradable[version] = graded.not_gradable
    rows.sort(key=lambda r: (_CATEGORY_ORDER.get(r.category, len(_CATEGORY_ORDER)), r.id))
    return rows
