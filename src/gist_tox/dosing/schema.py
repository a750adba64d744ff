"""The dosing rule file (``kind: dosing``, e.g. ``rules/dosing/imatinib-gist.yaml``).

Why a fixed shape instead of free conditions: a dose recommendation combines a handful of
well-known rule families (hematologic hold/resume, skin hold/cap/stop, the dose ladder,
progression).  Their *logic* is the engine's; every *number*, every text a clinician reads and
every source citation is here, so an institution can audit and change them without Python.
Texts may use ``{placeholders}`` from :data:`PLACEHOLDERS`, filled in by the engine.
"""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from gist_tox.dosing.label_schema import (
    LABEL_NOTE_IDS,
    LABEL_PLACEHOLDERS,
    LABEL_REVIEW_CODES,
    LABEL_RULE_IDS,
    Dose,
    Grade,
    LabelRules,
    Positive,
)
from gist_tox.visit_sections import TermId

RULE_IDS = (
    "hematologic-hold",
    "hematologic-recurrence",
    "hematologic-recurrence-policy",
    "hematologic-hold-continues",
    "hematologic-resume",
    "hematologic-monitoring",
    "hematologic-unchecked",
    "skin-supportive-care",
    "skin-hold",
    "skin-recurrence",
    "skin-hold-continues",
    "skin-resume",
    "skin-dose-cap",
    "skin-discontinue",
    "ladder-stop",
    "other-hold",
    "progression-escalate",
    "progression-no-escalation",
    "progression-adjuvant",
    "continue",
    "continue-review",
    "grade-5-discontinue",
    "below-label-range",
    *LABEL_RULE_IDS,
)
"""Every rule branch of the engine; the rule file must give each a source and a text."""

NOTE_IDS = ("overruled-action", "overruled-dose", *LABEL_NOTE_IDS)
"""Texts added to a reason (not reasons of their own): how a rule was overruled."""

REVIEW_CODES = (
    "finding-not-gradable",
    "finding-above-grade",
    "consequence-not-graded",
    "bedside-grade-above",
    "counts-not-measured",
    *LABEL_REVIEW_CODES,
)
"""Every ``recommendation.review`` code (stable identifiers, documented in the README); the rule
file must give each a source and a text."""

PLACEHOLDERS = frozenset(
    {
        "anc",
        "platelets",
        "anc_hold",
        "platelets_hold",
        "anc_resume",
        "platelets_resume",
        "dose",
        "resume_dose",
        "episode_dose",
        "cap",
        "term",
        "grade",
        "terms",
        "why",
        "escalate_to",
        "regimen",
        "supportive_care",
        "monitoring",
        "alternatives",
        "resume_grade",
        "hold_grade",
        "stop_grade",
        "lowest",
        "low_dose",
        "label_lowest",
        "by",
        "action",
        "bound",
        "given",
        "computed",
    }
    | LABEL_PLACEHOLDERS
)
_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")


class _Rule(BaseModel):
    # defer_build: a cached rule set is unpickled without ever building a validation schema.
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)


class RuleText(_Rule):
    """What a clinician reads for one rule branch, and where it comes from."""

    source: Annotated[str, Field(min_length=1)]
    """Where it comes from: a label section ("Gleevec USPI section 2 (dose adjustments for
    neutropenia and thrombocytopenia)", "EU SmPC 4.2"), "project policy", "Hwang 2010", or
    several of them."""
    text: Annotated[str, Field(min_length=1)]
    name: Annotated[str, Field(min_length=1)] | None = None
    """How another rule's text refers to this one ("the skin cap"): a rule overruled by this one
    says so, e.g. "Overruled: the skin cap, 300 mg/day, applies"."""
    in_force: Annotated[str, Field(min_length=1)] | None = None
    """A cap's text in ``recommendation.caps`` when it does not lower today's dose (imatinib
    held, or taken at or below the cap): ``text`` says to reduce, which is then not so."""

    @model_validator(mode="after")
    def _known_placeholders(self) -> RuleText:
        for name in _PLACEHOLDER.findall(f"{self.text} {self.in_force or ''}"):
            if name not in PLACEHOLDERS:
                raise ValueError(
                    f"unknown placeholder {{{name}}} in text; known: "
                    f"{', '.join(sorted(PLACEHOLDERS))}"
                )
        return self


class Counts(_Rule):
    """A pair of count thresholds in 10^9/L."""

    anc: Positive
    platelets: Positive


class Step(_Rule):
    """A dose step the label itself gives: at ``from_mg`` resume at ``to_mg``."""

    from_mg: Dose
    to_mg: Dose


class HematologicRules(_Rule):
    hold_below: Counts
    """Hold when ANC < anc and/or platelets < platelets."""
    resume_at_least: Counts
    """A hematologic hold ends when ANC >= anc and platelets >= platelets."""
    label_recurrence_steps: list[Step] = Field(default_factory=list)
    """Recurrence steps the label itself gives (dose at recurrence -> resume dose); other
    recurrences step one ladder level down as project policy."""
    monitoring: Annotated[str, Field(min_length=1)]
    episode_terms: dict[Literal["anc", "platelets"], TermId]
    """The term a new episode is recorded under when no hematologic term could be graded."""


class SkinRules(_Rule):
    hold_from_grade: Grade = 3
    resume_at_most_grade: Annotated[int, Field(ge=0, le=4)] = 1
    discontinue_from_grade: Grade = 4
    discontinue_terms: list[TermId]
    """Terms that stop imatinib permanently at any grade (SJS, TEN)."""
    supportive_care: Annotated[str, Field(min_length=1)]

    @model_validator(mode="after")
    def _ordered(self) -> SkinRules:
        if not self.resume_at_most_grade < self.hold_from_grade < self.discontinue_from_grade:
            raise ValueError(
                "expected resume_at_most_grade < hold_from_grade < discontinue_from_grade"
            )
        return self


class ProgressionRules(_Rule):
    escalate_from_mg: Dose
    escalate_to_mg: Dose
    regimen: Annotated[str, Field(min_length=1)]
    """How the escalated dose is taken (e.g. "400 mg twice daily")."""
    severe_grade: Grade = 3
    """An episode in history or a finding now at this grade or above rules escalation out."""
    no_escalation_indications: list[str] = Field(default_factory=list)
    """Indications where progression is a recurrence, not a reason to escalate."""


class LabelRange(_Rule):
    gist_lowest_mg: Dose
    """The lowest daily dose the label gives for GIST; a recommended dose below it is said to be
    outside the label, and the alternatives are named."""


class ReviewWhen(_Rule):
    """What puts a visit under review (``recommendation.review``) beyond what cannot be graded."""

    higher_cell_findings: list[Annotated[str, Field(pattern=r"^[a-z_]+\.[a-z_]+$")]]
    """Yes/no findings (visit fields) that, recorded at a visit, must not be passed over silently
    when only a higher grade's cell of the term names them."""
    bedside_grade_from: Grade = 3
    """A bedside grade (``skin.clinician_grade``) at or above this, above the computed grade."""

    @model_validator(mode="after")
    def _known_findings(self) -> ReviewWhen:
        """A misspelt finding would silently never put a visit under review: each must be a
        yes/no field of the visit catalogue."""
        from gist_tox.facts import FIELDS

        for name in self.higher_cell_findings:
            info = FIELDS.get(name)
            if info is None or info.kind != "bool":
                known = sorted(n for n, i in FIELDS.items() if i.kind == "bool")
                raise ValueError(
                    f"higher_cell_findings: {name!r} is not a yes/no finding of a visit;"
                    f" known: {', '.join(known)}"
                )
        return self


class DosingRules(_Rule):
    """The dosing rules of one drug and indication family (``kind: dosing``)."""

    kind: Literal["dosing"]
    id: Annotated[str, Field(pattern=r"^[a-z][a-z0-9-]*$")]
    drug: Annotated[str, Field(min_length=1)]
    source: Annotated[str, Field(min_length=1)]
    ladder_mg: Annotated[list[Dose], Field(min_length=1)]
    """Daily doses from highest to lowest; one step below the last one means stop."""
    alternatives: list[str]
    """Drugs to name when imatinib stops, or when progression cannot be met by escalation."""
    hematologic: HematologicRules
    skin: SkinRules
    progression: ProgressionRules
    label_range: LabelRange
    review_when: ReviewWhen
    label: LabelRules
    """The label's other dose rules: liver, fluid, other reactions, kidneys, liver function."""
    rules: dict[str, RuleText]
    notes: dict[str, RuleText]
    """Per :data:`NOTE_IDS`: a text added to a rule's reason (how it was overruled; how the
    inducer advice ends)."""
    review: dict[str, RuleText]
    """Per review code (:data:`REVIEW_CODES`): what the clinician must check, and why."""
    wording: dict[str, Annotated[str, Field(min_length=1)]] = Field(default_factory=dict)
    """Dotted key (``hematologic.hold_below``) -> the source's own words for the numbers under
    it; ``rules check`` requires every number and every stop-term to stand in its wording."""
    assumptions: list[str] = Field(default_factory=list)

    @model_validator(mode="after")
    def _consistent(self) -> DosingRules:
        if any(a <= b for a, b in zip(self.ladder_mg, self.ladder_mg[1:], strict=False)):
            raise ValueError("ladder_mg must be strictly decreasing")
        for name in ("escalate_from_mg", "escalate_to_mg"):
            if getattr(self.progression, name) not in self.ladder_mg:
                raise ValueError(f"progression.{name} is not a dose of ladder_mg")
        for step in self.hematologic.label_recurrence_steps:
            before, after = step.from_mg, step.to_mg
            if before not in self.ladder_mg or after not in self.ladder_mg or after >= before:
                raise ValueError(
                    f"hematologic.label_recurrence_steps {before} -> {after}: both"
                    " must be ladder doses, the second lower"
                )
        missing = [r for r in RULE_IDS if r not in self.rules]
        unknown = [r for r in self.rules if r not in RULE_IDS]
        if missing:
            raise ValueError(f"rules: missing {', '.join(missing)}")
        if unknown:
            raise ValueError(
                f"rules: unknown rule(s) {', '.join(unknown)}; known: {', '.join(RULE_IDS)}"
            )
        for section, known in (("notes", NOTE_IDS), ("review", REVIEW_CODES)):
            given: dict[str, RuleText] = getattr(self, section)
            missing = [c for c in known if c not in given]
            unknown = [c for c in given if c not in known]
            if missing:
                raise ValueError(f"{section}: missing {', '.join(missing)}")
            if unknown:
                raise ValueError(
                    f"{section}: unknown {', '.join(unknown)}; known: {', '.join(known)}"
                )
        return self
