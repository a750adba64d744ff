"""The FHIR entry into the pipeline: a parsed Bundle document -> the visit of one day."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from gist_tox.documents import Document
from gist_tox.fhir.reader import PatientRecord, bundle_resources, read_visit
from gist_tox.fhir.resources import Resource

if TYPE_CHECKING:
    from gist_tox.pipeline import Evaluation, RuleSets


def visit_from_document(document: Document, day: dt.date | None) -> tuple[Any, Document]:
    """The visit of ``day`` (default: the latest day with a blood count) in a Bundle."""
    return visit_from_resources(
        bundle_resources(document.data, document.source), document.source, day
    )


def visit_from_resources(
    resources: list[Resource], source: str, day: dt.date | None
) -> tuple[Any, Document]:
    record = PatientRecord(resources, source)
    visit = read_visit(record, record.choose(day))
    return visit, Document(source, {})


def evaluate_resources(
    resources: list[Resource], day: str | None, source: str, rulesets: RuleSets
) -> Evaluation:
    """Grade one patient of a Bulk Data export (``day``: one day, or the latest)."""
    from gist_tox.pipeline import evaluate

    asked = dt.date.fromisoformat(day) if day else None
    visit, document = visit_from_resources(resources, source, asked)
    return evaluate(visit, rulesets.for_visit(visit, source), source, document)
