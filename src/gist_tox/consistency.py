"""Contradictions inside a valid visit: reported as warnings in the result, never silenced.

A visit can pass validation field by field and still contradict itself (a hold with no reason, an
episode dated after the visit, a dose the ladder does not have).  Refusing such a visit would
stop a clinician who needs the rest of the result; ignoring it would mislead.  So each becomes a
warning that names the fields involved.  Other contradictions are found where the values are
understood: the clinician's grade against the findings in ``grading``, a measured ANC against
the one derived from the white count in ``facts``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from gist_tox.visit import HistoryEntry, Imatinib, Skin, Visit

if TYPE_CHECKING:
    from gist_tox.ruleset.loader import RuleSet


def visit_warnings(visit: Visit, ruleset: RuleSet) -> list[str]:
    """Every contradiction found in ``visit``, in the order of the file.

    Each field of the visit is read once and handed on: a pydantic model's attribute costs
    several plain ones, and most visits have no contradiction at all."""
    out: list[str] = []
    drug, history = visit.imatinib, visit.history
    _hold_warnings(drug, out)
    if history:  # most visits: the rules' categories are not needed
        _history_warnings(visit, history, ruleset, out)
    _skin_warnings(visit.skin, out)
    _ladder_warnings(drug, history, ruleset, out)
    return out


def _hold_warnings(drug: Imatinib, out: list[str]) -> None:
    dose, holds = drug.current_dose_mg, drug.hold_categories
    if dose == 0 and not holds:
        out.append(
            "imatinib.current_dose_mg is 0 (on hold) but imatinib.on_hold_for is not given;"
            " the reason for the hold is unknown"
        )
    if dose > 0 and holds:
        out.append(
            f"imatinib.on_hold_for is {', '.join(holds)} but current_dose_mg is"
            f" {dose}, not 0; the visit is read as not on hold"
        )


def _history_warnings(
    visit: Visit, history: list[HistoryEntry], ruleset: RuleSet, out: list[str]
) -> None:
    categories = _term_categories(ruleset)
    previous = None
    for index, entry in enumerate(history):
        if entry.date > visit.date:
            out.append(
                f"history[{index}].date {entry.date.isoformat()} is after the visit date"
                f" {visit.date.isoformat()}; history holds episodes before this visit"
            )
        if previous is not None and entry.date < previous:
            out.append(
                f"history[{index}] is dated before the entry above it; history should be"
                " oldest first"
            )
        previous = entry.date
        expected = categories.get(entry.term)
        if expected is not None and expected != entry.category:
            out.append(
                f"history[{index}].category is {entry.category} but {entry.term} is a"
                f" {expected} term"
            )


def _term_categories(ruleset: RuleSet) -> dict[str, str]:
    """Term id (and alias) -> category, from the rules of the chosen version."""
    out: dict[str, str] = {}
    for term in getattr(ruleset, "terms", []):
        out[term.id] = term.category
        for alias in term.aliases:
            out.setdefault(alias, term.category)
    return out


def _skin_warnings(skin: Skin | None, out: list[str]) -> None:
    if skin is None:
        return
    bsa, detached = skin.bsa_percent, skin.detachment_bsa_percent
    if skin.morphology is None and (
        (bsa or 0) > 0 or detached > 0 or (skin.clinician_grade or 0) > 0
    ):
        # The skin terms are "not gradable", and the dose cannot take this reaction into
        # account: say so next to the recommendation, not only in the grades.
        out.append(
            "a skin reaction is recorded but skin.morphology is not given: no skin term could"
            " be graded and the dose recommendation does not account for it"
        )
    elif bsa is not None and detached > bsa:
        out.append(
            f"skin.detachment_bsa_percent {detached:g} is larger than"
            f" skin.bsa_percent {bsa:g}; detached skin is part of the affected area"
        )


def _ladder_warnings(
    drug: Imatinib, history: list[HistoryEntry], ruleset: RuleSet, out: list[str]
) -> None:
    """Doses that are not on the dosing rules' ladder (``ladder_mg``); 0 (a hold) is not one."""
    ladder = getattr(ruleset.dosing, "ladder_mg", None)
    if not ladder:
        return
    for name, dose in (
        ("starting_dose_mg", drug.starting_dose_mg),
        ("current_dose_mg", drug.current_dose_mg),
    ):
        if dose and dose not in ladder:
            out.append(
                f"imatinib.{name} {dose} mg is not a dose of the ladder ({_steps(ladder)} mg/day)"
            )
    for index, entry in enumerate(history):
        if entry.dose_mg and entry.dose_mg not in ladder:
            out.append(
                f"history[{index}].dose_mg {entry.dose_mg} mg is not a dose of the ladder"
                f" ({_steps(ladder)} mg/day)"
            )


def _steps(ladder: list[int]) -> str:
    """The ladder as a warning shows it, written only for a warning (most visits have none)."""
    return " -> ".join(str(d) for d in ladder)
