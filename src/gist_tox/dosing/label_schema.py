"""The dosing rule file's ``label:`` section: the label's other dose rules (extension A).

Hepatotoxicity (R1), severe fluid retention (R2), any other severe non-hematologic reaction
(R3), renal (R4) and hepatic (R5) impairment caps, co-medications (R6, R7), anemia (R8).  Every
number here stands in its quoted source wording (``wording: label.<...>``), as everywhere in the
dosing file.
"""

from __future__ import annotations

import string
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from gist_tox.visit_sections import TermId

Positive = Annotated[float, Field(gt=0, allow_inf_nan=False)]
Dose = Annotated[int, Field(gt=0, le=2000)]
Grade = Annotated[int, Field(ge=1, le=5)]

LABEL_RULE_IDS = (
    "hepatic-hold",
    "hepatic-recurrence",
    "hepatic-hold-continues",
    "hepatic-resume",
    "hepatic-clinician",
    "hepatic-cap",
    "hepatic-unchecked",
    "hepatic-monitoring",
    "fluid-hold",
    "fluid-recurrence",
    "fluid-hold-continues",
    "fluid-resume",
    "fluid-clinician",
    "fluid-cap",
    "fluid-supportive-care",
    "weight-gain-investigate",
    "other-nonhematologic-hold",
    "other-nonhematologic-recurrence",
    "other-nonhematologic-hold-continues",
    "other-nonhematologic-resume",
    "other-nonhematologic-clinician",
    "other-nonhematologic-cap",
    "renal-cap",
    "renal-start",
    "hepatic-impairment-cap",
    "hepatic-impairment-advice",
    "cyp3a4-inducer",
    "cyp3a4-inhibitor",
    "coumarin",
    "levothyroxine",
)
LABEL_NOTE_IDS = ("inducer-dose", "inducer-capped", "inducer-above-ladder", "inducer-no-dose")
"""How the inducer advice ends: the dose the label's increase gives, or why none is given."""
LABEL_REVIEW_CODES = (
    "baseline-meets-hold",
    "baseline-blocks-resume",
    "superficial-edema-severe",
    "lab-or-blood-event-severe",
    "renal-severe",
    "anemia-severe",
)
LABEL_PLACEHOLDERS = frozenset(
    {
        "field",
        "tests",
        "test",
        "kind",
        "band",
        "clearance",
        "start_dose",
        "category",
        "soc",
        "value",
        "drugs",
        "increase",
        "base",
        "target",
        "inducer_dose",
        "top",
    }
)


def _fills(*names: str) -> AfterValidator:
    """A text whose ``{placeholders}`` are only ``names`` (what the engine fills in)."""

    def check(text: str) -> str:
        for _, name, _, _ in string.Formatter().parse(text):
            if name is not None and name not in names:
                known = ", ".join(sorted(names)) or "none"
                raise ValueError(f"unknown placeholder {{{name}}} in text; known: {known}")
        return text

    return AfterValidator(check)


Text = Annotated[str, Field(min_length=1)]
ResumeWhen = Annotated[Text, _fills("term", "resume_grade")]
"""When a hold ends (``recommendation.resume_when``): {term} is the held term, {resume_grade}
the grade it must be at or below."""


class _Rule(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)


class LiverTests(_Rule):
    """A multiple of the ULN per liver test."""

    bilirubin: Positive
    alt: Positive
    ast: Positive


class Step(_Rule):
    from_mg: Dose
    to_mg: Dose


class HepaticRules(_Rule):
    hold_above_x_uln: LiverTests
    """Hold when a test is above this multiple of its ULN (the label's strict '>')."""
    resume_below_x_uln: LiverTests
    """A hepatic hold ends when every test (all three measured) is below this multiple."""
    label_steps: list[Step]
    """The label's reduced doses after the hold (other levels: the ladder, project policy)."""
    grade_4_above_x_uln: LiverTests
    """A test above this multiple records the episode as grade 4 (ULN-branch grade 4)."""
    resume_when: Annotated[Text, _fills()]
    """When a hepatic hold ends (the resume_below_x_uln criterion, in words)."""


class FluidRules(_Rule):
    hold_from_grade: Grade
    resume_at_most_grade: Annotated[int, Field(ge=0, le=4)]
    clinician_from_grade: Grade
    holding_terms: list[TermId]
    """Fluid terms that hold at hold_from_grade (R2's table)."""
    review_only_terms: list[TermId]
    """Superficial edema: grade hold_from_grade is a review entry, not a hold."""
    hold_at_clinician_grade_terms: list[TermId]
    """Review-only terms that hold (clinician-decided) at clinician_from_grade."""
    supportive_care: Annotated[str, Field(min_length=1)]
    resume_when: ResumeWhen


class OtherRules(_Rule):
    hold_from_grade: Grade
    resume_at_most_grade: Annotated[int, Field(ge=0, le=4)]
    clinician_from_grade: Grade
    review_socs: list[str]
    """SOCs whose events at hold_from_grade are reviewed, not held (D3)."""
    resume_when: ResumeWhen


class ClinicianTexts(_Rule):
    """What a hold the clinician ends (a severe episode: grade clinician_from_grade, hepatic
    failure) adds to the texts of the hold it starts."""

    resume_when: Annotated[Text, _fills()]
    """Appended to the hold's resume_when."""
    why: Annotated[Text, _fills()]
    """The hold reason's {why} (fluid, other non-hematologic)."""
    hepatic_why: Annotated[Text, _fills("grade", "term", "alternatives")]
    """The hepatic hold reason's {why}: the episode's grade and term, the alternatives."""


class RenalBand(_Rule):
    band: Literal["mild", "moderate", "severe"]
    from_ml_min: Positive | None = None
    """Lowest creatinine clearance of the band (inclusive); none for the lowest band."""
    below_ml_min: Positive
    max_dose_mg: Dose
    start_dose_mg: Dose | None = None


class RenalRules(_Rule):
    bands: list[RenalBand]
    dialysis_band: Literal["mild", "moderate", "severe"]
    escalate_to_mg: dict[str, Dose] = Field(default_factory=dict)
    """Per band: the dose escalation on progression reaches (bounded by the cap)."""
    review_bands: list[Literal["mild", "moderate", "severe"]] = Field(default_factory=list)


class HepaticImpairmentRules(_Rule):
    severe_max_dose_mg: Dose


class ComedicationRules(_Rule):
    """Co-medications (R6, R7): advice only, never a dose change."""

    inducer_increase_percent: Annotated[int, Field(gt=0, le=1000)]
    """The label's increase for a strong CYP3A4 inducer ("by at least 50%"): shown as the dose
    it would give, the smallest ladder dose at or above it (project policy, D6)."""


class LabelRules(_Rule):
    hepatic: HepaticRules
    fluid: FluidRules
    other_nonhematologic: OtherRules
    renal: RenalRules
    hepatic_impairment: HepaticImpairmentRules
    anemia_review_from_grade: Grade
    comedications: ComedicationRules
    clinician: ClinicianTexts
