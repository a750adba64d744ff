"""Pydantic models of the rule files in ``rules/``.

Each file declares its ``kind`` (each model accepts only its own), and a wrong kind is an error
naming the file.  The models are strict about unknown keys so that a
misspelt key in a rule file is caught by ``gist-tox rules check`` instead of being ignored.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from gist_tox.ruleset.conditions import Condition
from gist_tox.units import CountUnit
from gist_tox.visit_sections import TermId

Version = Literal["5.0", "6.0"]


class _Rule(BaseModel):
    # defer_build: a cached rule set is unpickled without ever building a validation schema.
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)


class GradeCriterion(_Rule):
    """One CTCAE grade of a term: NCI's wording, its reading as a condition, and its source."""

    grade: Annotated[int, Field(ge=1, le=5)]
    ctcae: Annotated[str, Field(min_length=1)]
    """NCI's text of the cell, verbatim."""
    when: Condition
    source: Annotated[str, Field(min_length=1)]
    note: str | None = None
    """How this project reads the cell where the wording needs a decision."""


class GradeGap(_Rule):
    """Findings that NCI's cells leave between two grades (a hole in the table, not a grade):
    when ``when`` holds, only a criterion of grade ``between[1]`` or above can grade the term;
    otherwise it is present but not gradable, naming ``reason`` and the two nearest grades.
    Stated as data because which grades are "nearest" is a reading of the cells, not something
    the conditions' arithmetic can tell (CTCAE v6.0 ALT above a baseline > 5 x ULN: 2 and 4)."""

    between: tuple[Annotated[int, Field(ge=0, le=5)], Annotated[int, Field(ge=1, le=5)]]
    """The nearest grades below and above the hole."""
    when: Condition
    reason: Annotated[str, Field(min_length=1)]
    """Why no cell fits, for the not-gradable reason."""
    note: str | None = None
    """How this project reads the cells here (where the hole comes from)."""

    @model_validator(mode="after")
    def _ordered(self) -> GradeGap:
        if self.between[0] >= self.between[1]:
            raise ValueError("between: the lower nearest grade comes first")
        return self


class TermWarning(_Rule):
    """A warning the term adds to the result when ``when`` holds: a grade that NCI's literal cell
    gives although a reader would not expect it (CTCAE Anemia with a lab LLN at or below 10.0
    g/dL: a value within the lab's range is grade 2), said rather than left silent."""

    when: Condition
    text: Annotated[str, Field(min_length=1)]
    note: str | None = None
    """Where the reading comes from."""


class SkinRoute(_Rule):
    """A morphology graded under this term, optionally only when a condition holds."""

    morphology: Literal["maculopapular", "exfoliative", "erythroderma", "target_lesions", "bullous"]
    when: Condition | None = None
    shared: bool = False
    """On purpose graded under this term *and* another one that takes the same morphology under
    the same condition (CTCAE v6.0: an exfoliative eruption over 90% BSA is both exfoliative
    dermatitis and erythroderma); ``rules check`` otherwise refuses a morphology routed twice."""


class TermRule(_Rule):
    """A CTCAE term (``kind: ctcae_term``)."""

    kind: Literal["ctcae_term"]
    id: TermId
    term: Annotated[str, Field(min_length=1)]
    ctcae_version: Version
    soc: Annotated[str, Field(min_length=1)]
    meddra_code: Annotated[str, Field(pattern=r"^\d{8}$")]
    category: Literal["hematologic", "skin", "hepatic", "fluid", "anemia", "weight", "other"]
    definition: str | None = None
    source: Annotated[str, Field(min_length=1)]
    nci_grades: list[Annotated[int, Field(ge=1, le=5)]] | None = None
    """The grades NCI defines for the term (cells that are not '-'): ``rules check`` reports each
    one without a criterion, so a grade deleted from ``grades`` is caught."""
    aliases: list[TermId] = Field(default_factory=list)
    """Term ids of other versions that mean the same adverse event (history entries)."""
    applies_to: list[SkinRoute] | None = None
    """Skin terms: the morphologies graded under this term. Absent for non-skin terms."""
    present_when: Condition | None = None
    """When set, findings that meet it but no grade's cell are "not gradable" (fit no cell)."""
    absent_basis: str | None = None
    """The basis of grade 0 when ``present_when`` is false."""
    assumptions: list[str] = Field(default_factory=list)
    grades: list[GradeCriterion] = Field(min_length=1)
    gaps: list[GradeGap] = Field(default_factory=list)
    """Findings that fit no cell, with their nearest grades (see :class:`GradeGap`)."""
    warnings: list[TermWarning] = Field(default_factory=list)
    """Warnings the term adds when their condition holds (see :class:`TermWarning`)."""

    @model_validator(mode="after")
    def _grades_unique(self) -> TermRule:
        numbers = [g.grade for g in self.grades]
        if len(numbers) != len(set(numbers)):
            raise ValueError(f"grades listed more than once: {sorted(numbers)}")
        return self


class ReferenceRange(_Rule):
    lln: Annotated[float, Field(gt=0, allow_inf_nan=False)]
    unit: CountUnit
    source: Annotated[str, Field(min_length=1)]


class ReferenceRanges(_Rule):
    """Default lower limits of normal, used when a lab gives none (``kind: reference_ranges``)."""

    kind: Literal["reference_ranges"]
    source: Annotated[str, Field(min_length=1)]
    anc: ReferenceRange
    platelets: ReferenceRange


class RulesConfig(_Rule):
    """Rule-set settings (``kind: config``): the institution's default CTCAE version."""

    kind: Literal["config"]
    name: Annotated[str, Field(min_length=1)] = "gist-tox shipped rules"
    default_ctcae_version: Version = "5.0"
    dosing: Annotated[str, Field(min_length=1)] = "imatinib-gist"
