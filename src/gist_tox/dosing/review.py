"""What the grades leave for a clinician to judge: the review codes read from the grades alone.

Why a separate step: a dose rule fires only on a grade, so a finding the rules could not grade
(or graded lower than a finding it records suggests) would otherwise end in a confident
"continue".  These codes do not change the action; they put the recommendation under review
(``recommendation.review``).  Which findings count, and from which bedside grade, are the dosing
rules' ``review_when`` (data); the texts are the rules' ``review`` entries.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from gist_tox.grading import FLUID_SUBSECTIONS

if TYPE_CHECKING:
    from collections.abc import Mapping

    from gist_tox.dosing.schema import DosingRules
    from gist_tox.grading import Plan, TermGrade
    from gist_tox.visit import Consequences, Skin, Visit
    from gist_tox.visit_sections import Fluid

ReviewItem = tuple[str, dict[str, Any]]
"""A review code and the values of its text's placeholders."""

_CLINICIAN = "/clinician"
"""The end of the rule id of a grade given from ``skin.clinician_grade``."""


def grade_review(
    visit: Visit,
    grades: dict[str, TermGrade],
    plans: Mapping[str, Plan],
    rules: DosingRules,
    event_died: bool = False,
) -> list[ReviewItem]:
    """The review codes that the grades of one visit call for, in a stable order (``plans``:
    the rule set's, which know what each grade's cell reads; ``event_died``: an ``other_events``
    term is grade 5, so ``consequences.died`` was read there)."""
    out: list[ReviewItem] = []
    unplaced: list[TermGrade] = []
    above: list[str] = []
    skin_seen = visit.skin is not None
    for g in grades.values():  # one pass for both codes: most of the terms are absent
        grade = g.grade
        if grade is None:
            if g.present or (skin_seen and g.category == "skin"):
                unplaced.append(g)
        # only a term whose findings are present: a term the morphology is not graded under
        # is 0 and says nothing (tested here, before a call, as most terms are absent)
        elif (g.present or grade > 0) and g.term_id in plans:
            fields = _higher_cell_findings(grade, g, plans[g.term_id].cell_reads, rules)
            above.extend(f"{g.term} grade {grade} with {field}" for field in fields)
    if unplaced:
        out.append(("finding-not-gradable", {"terms": _names(unplaced)}))
    if above:
        out.append(("finding-above-grade", {"terms": "; ".join(above)}))
    # the other codes read a section of the visit that most visits do not have
    if visit.consequences is not None:
        recorded = _consequences_not_graded(visit.consequences, grades)
        lost = [f for f in recorded if not (event_died and "died" in f)]
        if lost:
            out.append(("consequence-not-graded", {"terms": " and ".join(lost)}))
    if visit.skin is not None:
        bedside = _bedside_above(visit.skin, grades, rules)
        if bedside is not None:
            out.append(("bedside-grade-above", bedside))
    if visit.fluid is not None:
        out.extend(
            ("bedside-grade-above", b) for b in _fluid_bedside_above(visit.fluid, grades, rules)
        )
    return out


def _names(grades: list[TermGrade]) -> str:
    return ", ".join(g.term for g in grades)


def _higher_cell_findings(
    number: int, grade: TermGrade, cells: Mapping[int, frozenset[str]], rules: DosingRules
) -> list[str]:
    """The configured findings recorded (true) for this term that a higher grade's cell reads
    and the given grade's cell (``number``) does not (``cells``: per grade of the term, the
    fields its cell reads, ``Plan.cell_reads``)."""
    recorded = [n for n in rules.review_when.higher_cell_findings if grade.inputs.get(n) is True]
    if not recorded:  # the usual case: the cells need not be looked at
        return []
    own = cells.get(number, frozenset())
    higher: set[str] = set()
    for above, names in cells.items():
        if above > number:
            higher |= names
    return [name for name in recorded if name in higher and name not in own]


def _consequences_not_graded(consequences: Consequences, grades: dict[str, TermGrade]) -> list[str]:
    """``consequences.*`` recorded (not false) that no term's grade read: a death or a
    life-threatening consequence the grades do not show (the warnings say why)."""
    out = []
    for name in ("life_threatening", "died"):
        if getattr(consequences, name) is False:
            continue
        field = f"consequences.{name}"
        if not any(g.inputs.get(field) is True for g in grades.values()):
            out.append(field)
    return out


def _bedside_above(
    skin: Skin, grades: dict[str, TermGrade], rules: DosingRules
) -> dict[str, Any] | None:
    """A bedside grade at or above ``review_when.bedside_grade_from`` that is higher than every
    skin grade the findings give (when the bedside grade was itself used, nothing to review)."""
    if skin.clinician_grade is None:
        return None
    given = skin.clinician_grade
    if given < rules.review_when.bedside_grade_from:
        return None
    skin_grades = [g for g in grades.values() if g.category == "skin"]
    if any((g.rule or "").endswith(_CLINICIAN) for g in skin_grades):
        return None
    computed = [g for g in skin_grades if g.grade is not None]
    worst = max(computed, key=lambda g: g.grade or 0, default=None)
    if worst is not None and (worst.grade or 0) >= given:
        return None
    shown = (
        f"{worst.term} grade {worst.grade}"
        if worst is not None and worst.grade
        else "no skin grade above 0"
    )
    return {"field": "skin.clinician_grade", "given": given, "computed": shown}


def _fluid_bedside_above(
    fluid: Fluid, grades: dict[str, TermGrade], rules: DosingRules
) -> list[dict[str, Any]]:
    """A fluid subsection's bedside grade means what the skin one means (extension A): at or
    above ``bedside_grade_from`` and above the grade its findings give, it is reviewed."""
    out = []
    for term_id, name in FLUID_SUBSECTIONS.items():
        section = getattr(fluid, name)
        given = getattr(section, "clinician_grade", None)
        graded = grades.get(term_id)
        if given is None or graded is None or given < rules.review_when.bedside_grade_from:
            continue
        if graded.grade is None or (graded.rule or "").endswith(_CLINICIAN):
            continue
        if graded.grade < given:
            out.append(
                {
                    "field": f"fluid.{name}.clinician_grade",
                    "given": given,
                    "computed": f"{graded.term} grade {graded.grade}",
                }
            )
    return out
