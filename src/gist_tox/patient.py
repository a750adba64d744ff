"""The patient timeline file (``gist-tox/patient@1``): one patient, treatment start, visits.

Why a separate format: in a visit file the writer states the hold state and the history; in a
timeline the tool derives them visit by visit from its own recommendations (see
:mod:`gist_tox.timeline`), so a visit here carries only what was observed that day.  The model
is a plain strict pydantic model so that ``gist-tox schema patient`` can publish its JSON Schema.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, model_validator

from gist_tox.visit import CtcaeVersion, DiseaseStatus, Findings, IsoDate, _Strict
from gist_tox.visit import Patient as PatientBlock


class Treatment(_Strict):
    """Imatinib as started: the dose every later dose is derived from."""

    indication: Literal["gist-unresectable", "gist-metastatic", "gist-adjuvant"]
    start: IsoDate
    """The date imatinib was started."""
    starting_dose_mg: Annotated[int, Field(ge=1, le=2000)]


class _Day(_Strict):
    date: IsoDate
    disease_status: DiseaseStatus | None = None


class TimelineVisit(Findings, _Day):
    """What was observed at one visit; dose, hold state and history are derived, never given."""

    note: Annotated[str, Field(max_length=500)] | None = None
    """Free text for the reader (e.g. where the findings come from); never interpreted."""


class Patient(_Strict):
    """A patient timeline file (``gist-tox/patient@1``)."""

    format: Literal["gist-tox/patient@1"] | None = None
    ctcae_version: CtcaeVersion | None = None
    """Pins the CTCAE version for every visit, as a visit file's ``ctcae_version`` does."""
    patient: PatientBlock
    treatment: Treatment
    visits: Annotated[list[TimelineVisit], Field(min_length=1, max_length=500)]
    """In date order, the first on or after ``treatment.start``; one visit per date."""

    @model_validator(mode="after")
    def _in_date_order(self) -> Patient:
        previous = self.treatment.start
        for index, visit in enumerate(self.visits):
            if index == 0 and visit.date < previous:
                raise ValueError(
                    f"visits[0].date {visit.date.isoformat()} is before"
                    f" treatment.start {previous.isoformat()}"
                )
            if index > 0 and visit.date <= previous:
                raise ValueError(
                    f"visits[{index}].date {visit.date.isoformat()} is not after"
                    f" visits[{index - 1}].date {previous.isoformat()}; visits must"
                    " be in date order, one per date"
                )
            previous = visit.date
        return self
