"""Contradictions inside a valid visit: reported as warnings in the result, never silenced."""

from __future__ import annotations

from typing import TYPE_CHECKING

from gist_tox.visit import Visit

if TYPE_CHECKING:
    from gist_tox.ruleset.loader import RuleSet


def visit_warnings(visit: Visit, ruleset: RuleSet) -> list[str]:
    out: list[str] = []
    drug = visit.imatinib
    if drug.current_dose_mg == 0 and not drug.hold_categories:
        out.append(
            "imatinib.current_dose_mg is 0 (on hold) but imatinib.on_hold_for is not given;"
            " the reason for the hold is unknown"
        )
    if drug.current_dose_mg > 0 and drug.hold_categories:
        out.append(
            f"imatinib.on_hold_for is {', '.join(drug.hold_categories)} but current_dose_mg is"
            f" {drug.current_dose_mg}, not 0; the visit is read as not on hold"
        )
    previous = None
    for index, entry in enumerate(visit.history):
        if entry.date > visit.date:
            out.append(
                f"history[{index}].date {entry.date.isoformat()} is after the visit date"
                f" {visit.date.isoformat()}"
            )
        if previous is not None and entry.date < previous:
            out.append(f"history[{index}] is dated before the entry above it; history should be"
                       " oldest first")
        previous = entry.date
    ladder = getattr(ruleset.dosing, "ladder_mg", None)
    if ladder:
        for name, dose in (("current_dose_mg", drug.current_dose_mg),
                           ("starting_dose_mg", drug.starting_dose_mg)):
            if dose and dose not in ladder:
                out.append(
                    f"imatinib.{name} {dose} mg is not a dose of the ladder"
                    f" ({' -> '.join(str(d) for d in ladder)} mg/day)"
                )
        for index, entry in enumerate(visit.history):
            if entry.dose_mg and entry.dose_mg not in ladder:
                out.append(f"history[{index}].dose_mg {entry.dose_mg} mg is not a dose of the"
                           " ladder")
    return out
