"""Replaying a patient timeline: history and hold state derived visit by visit.

Why replay through :func:`gist_tox.pipeline.evaluate`: each visit of a timeline is turned into an
ordinary visit (``gist-tox/visit@1``) with the dose, hold state and history that the
recommendations before it imply, and then graded and dosed exactly as ``grade`` would do it.  So a
timeline can never disagree with the single-visit command.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from gist_tox import validators
from gist_tox.documents import read_document
from gist_tox.patient import Patient
from gist_tox.pipeline import Evaluation, RuleSets, evaluate
from gist_tox.validation import validate
from gist_tox.visit import Findings, HistoryEntry, Visit

TIMELINE_FORMAT = "gist-tox/timeline@1"


def load_patient(source: str, *, text: str | None = None) -> Patient:
    """Read and validate a patient timeline file (``-`` for stdin); a FHIR Bundle is read by
    :mod:`gist_tox.fhir` into the same timeline (every day with a blood count)."""
    document = read_document(source, text=text)
    if "resourceType" in document.data:
        from gist_tox.fhir.load import patient_from_document

        patient: Patient = patient_from_document(document)
        return patient
    if document.data.get("format") == "gist-tox/visit@1" or (
        "visits" not in document.data and "imatinib" in document.data
    ):
        raise document.error(
            ("format",) if "format" in document.data else ("imatinib",),
            "this is a single visit (gist-tox/visit@1), not a patient timeline; run"
            " `gist-tox grade` on it",
            code="patient.format",
        )
    return validate(document, Patient)


@dataclass
class State:
    """What the visits so far imply for the next one."""

    dose_mg: int
    on_hold_for: list[str]
    history: list[HistoryEntry]


def replay(patient: Patient, rulesets: RuleSets, source: str) -> list[Evaluation]:
    """Evaluate every visit in order, each with the state the previous ones left."""
    drug = patient.treatment
    state = State(drug.starting_dose_mg, [], [])
    out: list[Evaluation] = []
    for index, observed in enumerate(patient.visits):
        visit_source = f"{source}:visits[{index}]"
        visit = validators.validate(
            Visit,
            {
                "ctcae_version": patient.ctcae_version,
                "patient": patient.patient,
                "date": observed.date,
                "imatinib": {
                    "indication": drug.indication,
                    "starting_dose_mg": drug.starting_dose_mg,
                    "current_dose_mg": state.dose_mg,
                    "on_hold_for": list(state.on_hold_for) or None,
                    "disease_status": observed.disease_status,
                },
                **{name: getattr(observed, name) for name in Findings.model_fields},
                "history": list(state.history),
            },
        )
        evaluation = evaluate(visit, rulesets.for_visit(visit, visit_source), visit_source)
        out.append(evaluation)
        state = next_state(state, evaluation, observed.date)
    return out


def next_state(state: State, evaluation: Evaluation, date: Any) -> State:
    """The dose, hold and history after a visit's recommendation is followed."""
    rec = evaluation.recommendation
    if rec is None:  # a rule set without dosing rules: nothing changes
        return state
    history = list(state.history)
    for raised in rec.raised_episodes:
        # the episode behind a hold, raised by a worse finding during it (keeps date and dose)
        at = max(i for i, e in enumerate(history) if e.category == raised.category)
        history[at] = validators.validate(HistoryEntry, raised.as_history(history[at].date))
    history.extend(validators.validate(HistoryEntry, e.as_history(date)) for e in rec.new_episodes)
    if rec.action in ("hold", "discontinue"):
        return State(0, list(rec.hold_for) or ["other"], history)
    return State(rec.dose_mg, [], history)


def timeline_json(patient: Patient, evaluations: list[Evaluation]) -> dict[str, Any]:
    """The ``gist-tox/timeline@1`` object."""
    return {
        "format": TIMELINE_FORMAT,
        "patient_id": patient.patient.id,
        "visits": [e.as_json() for e in evaluations],
    }
