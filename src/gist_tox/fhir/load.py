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
    lines: list[tuple[str, int, bytes]], day: str | None, source: str, rulesets: RuleSets
) -> Evaluation:
    """Grade one patient of a Bulk Data export, given as its lines (``day``: one day, or the
    latest)."""
    from gist_tox.fhir.export import resources
    from gist_tox.pipeline import evaluate

    asked = dt.date.fromisoformat(day) if day else None
    visit, document = visit_from_resources(resources(lines), source, asked)
    return evaluate(visit, rulesets.for_visit(visit, source), source, document)


OBSERVED = (
    "labs",
    "fever",
    "consequences",
    "skin",
    "weight",
    "fluid",
    "renal",
    "hepatic_impairment",
    "comedications",
    "other_events",
)
"""What a timeline visit holds: what was observed that day (dose, hold and history are derived
by the replay, so the Bundle's orders after the start and its AdverseEvents are not used)."""


def patient_from_document(document: Document) -> Any:
    """A Bundle as a patient timeline (``gist-tox/patient@1``): treatment from the earliest
    imatinib order and the indication answered in a QuestionnaireResponse, one visit per day
    with a blood count on or after the start."""
    from gist_tox.errors import InputError
    from gist_tox.patient import Patient
    from gist_tox.validation import validate

    record = PatientRecord(bundle_resources(document.data, document.source), document.source)
    first = next((o for o in record.imatinib.orders if o.dose is not None), None)
    if first is None:
        raise InputError(
            document.source,
            "no imatinib order with a dose; the timeline starts at the first one",
            code="fhir.imatinib",
        )
    visits: list[dict[str, Any]] = []
    data: dict[str, Any] = {}
    indication = None
    for day in record.days():
        if day < first.day:
            continue
        seen, _ = record.visit(day)
        drug = seen.get("imatinib", {})
        indication = drug.get("indication", indication)
        data.setdefault("ctcae_version", seen.get("ctcae_version"))
        data["patient"] = seen["patient"]
        visit = {k: seen[k] for k in OBSERVED if k in seen}
        if drug.get("disease_status") is not None:
            visit["disease_status"] = drug["disease_status"]
        visits.append({"date": day, **visit})
    if data.get("ctcae_version") is None:
        data.pop("ctcae_version", None)
    data["treatment"] = {
        "indication": indication,
        "start": first.day,
        "starting_dose_mg": first.dose,
    }
    data["visits"] = visits
    if not visits:
        raise InputError(
            document.source,
            f"no blood count on or after the first imatinib order ({first.day.isoformat()})",
            code="fhir.date",
        )
    return validate(Document(document.source, data), Patient)
