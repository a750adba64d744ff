"""The result contract (``gist-tox/result@1``) as a pydantic model, for its JSON Schema.

The pipeline builds results as plain dicts; this model states what other programs may rely on
(the required keys and their types, from the contract in the README) so that ``gist-tox schema
result`` can publish it and the tests can check real results against it.  Keys beyond the
contract (``inputs``, ``ctcae``, ...) are allowed: a consumer must ignore what it does not know.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class _Open(BaseModel):
    model_config = ConfigDict(extra="allow")


class RulesUsed(_Open):
    """Which rules produced the result: the rule set's ``name`` (from its ``config.yaml``) and
    the digest of the exact files used."""

    ctcae_version: Literal["5.0", "6.0"]
    dosing: str
    name: str
    digest: Annotated[str, Field(pattern=r"^sha256:[0-9a-f]{64}$")]


class TermResult(_Open):
    """The grade of one term, or why it cannot be given (``grade`` null, ``not_gradable``)."""

    grade: Annotated[int, Field(ge=0, le=5)] | None
    not_gradable: str | None = None
    term: str | None = None
    meddra_code: str | None = None
    rule: str | None
    basis: str | None = None
    source: str | None = None


class Reason(_Open):
    rule: str
    source: str
    text: str


class ReviewItem(_Open):
    """Something the tool could not judge; a clinician must review before acting."""

    code: Annotated[str, Field(pattern=r"^[a-z][a-z0-9-]*$")]
    """A stable identifier (README, "Review: what the tool could not judge")."""
    text: str


class Recommendation(_Open):
    """What to do with imatinib now, and why."""

    action: Literal["continue", "hold", "resume", "reduce", "escalate", "discontinue"]
    dose_mg: Annotated[int, Field(ge=0)]
    """The daily dose to take from now (0 while held or stopped)."""
    resume_when: str | None = None
    resume_dose_mg: Annotated[int, Field(ge=0)] | None = None
    """Set when the action is ``hold``."""
    alternatives: list[str] = Field(default_factory=list)
    reasons: list[Reason] = Field(default_factory=list)
    review: list[ReviewItem]
    """Always present: empty when nothing needs a clinician's judgement; otherwise what the
    tool could not judge. The action is still the most protective the rules give."""


class Comedication(_Open):
    """One ``comedications`` item of the visit, matched against the interaction list."""

    name: str
    """As the visit writes it."""
    id: str | None
    """The interaction list's entry; null when the name is not on the list (a warning says
    that no interaction rule was checked for it)."""
    class_: (
        Literal[
            "strong_cyp3a4_inducer", "cyp3a4_inhibitor", "coumarin_anticoagulant", "levothyroxine"
        ]
        | None
    ) = Field(alias="class")
    source: str | None


class PatientFactors(_Open):
    """What the visit says about the patient beside the findings: kidneys, liver function,
    co-medications.  They make caps and advice, never episodes."""

    renal: dict[str, Any] | None
    hepatic_impairment: dict[str, Any] | None
    comedications: list[Comedication]
    cyp3a4_inducer_dose_mg: Annotated[int, Field(gt=0)] | None
    """The dose a strong CYP3A4 inducer's label increase would give (advice only; never the
    recommended dose)."""


class Result(_Open):
    """One graded visit (``gist-tox grade --format json``; one line of ``batch --format
    ndjson``)."""

    format: Literal["gist-tox/result@1"]
    source: str
    patient_id: str
    date: Annotated[str, Field(pattern=r"^\d{4}-\d{2}-\d{2}$")]
    rules: RulesUsed
    grades: dict[str, TermResult]
    patient_factors: PatientFactors | None = None
    recommendation: Recommendation | None = None
    warnings: list[str]


def validate_result(data: Any) -> Result:
    """Check a result dict against the contract (raises pydantic's ValidationError)."""
    return Result.model_validate(data)
