"""Co-medication advice (R6, R7): reasons only, never a change to the action or the dose.

Why advice and never a raise (project policy D6): the label's first instruction for a strong
CYP3A4 inducer is to avoid it, its increase ("by at least 50%") depends on the prescriber
judging that the inducer cannot be avoided, and a raised dose would bypass every protective cap.
So the dose the increase would give is shown (``patient_factors.cyp3a4_inducer_dose_mg``), from
the recommendation's own dose: it is worked out after every other rule has decided.
"""

from __future__ import annotations

from fractions import Fraction
from typing import TYPE_CHECKING, Any

from gist_tox.comedications import Comedication, by_class
from gist_tox.dosing.finding import Finding
from gist_tox.units import show

if TYPE_CHECKING:
    from gist_tox.dosing.engine import _Engine

ADVICE = (
    ("strong_cyp3a4_inducer", "cyp3a4-inducer"),
    ("cyp3a4_inhibitor", "cyp3a4-inhibitor"),
    ("coumarin_anticoagulant", "coumarin"),
    ("levothyroxine", "levothyroxine"),
)
"""Each interaction class and its advice rule, in the order the reasons are given."""


def inducer_dose(ladder: list[int], base: int | None, percent: int) -> int | None:
    """The smallest ladder dose at or above ``base`` increased by ``percent``; ``None`` when
    there is no base dose or no ladder dose reaches it."""
    if base is None or base <= 0:
        return None
    target = Fraction(base) * (100 + percent) / 100
    return min((d for d in ladder if d >= target), default=None)


def add_advice(
    engine: _Engine,
    items: list[Comedication],
    action: str,
    dose: int,
    resume_dose: int | None,
    cap: int | None,
) -> int | None:
    """Add one advice finding per interaction class the visit's co-medications name; return
    the inducer dose (``None`` without an inducer, or when no dose can be given)."""
    if not items:  # most visits name no co-medication
        return None
    classes = by_class(items)
    found: int | None = None
    for klass, rule in ADVICE:
        named = classes.get(klass)
        if not named:
            continue
        values: dict[str, Any] = {"drugs": ", ".join(item.shown() for item in named)}
        finding = Finding(rule, "advice", category="interaction", values=values)
        if klass == "strong_cyp3a4_inducer":
            found = _inducer(engine, finding, action, dose, resume_dose, cap)
        engine._add(finding)
    return found


def _inducer(
    engine: _Engine,
    finding: Any,
    action: str,
    dose: int,
    resume_dose: int | None,
    cap: int | None,
) -> int | None:
    percent = engine.rules.label.comedications.inducer_increase_percent
    ladder = engine.rules.ladder_mg
    base = dose if dose > 0 else resume_dose
    finding.values["increase"] = percent
    if base is None or base <= 0:
        finding.notes.append(("inducer-no-dose", {"action": action}))
        return None
    target = Fraction(base) * (100 + percent) / 100
    found = inducer_dose(ladder, base, percent)
    note: dict[str, Any] = {"base": base, "target": show(target), "top": max(ladder)}
    if found is None:
        finding.notes.append(("inducer-above-ladder", note))
    elif cap is not None and found > cap:
        finding.notes.append(("inducer-capped", {**note, "inducer_dose": found, "cap": cap}))
    else:
        finding.notes.append(("inducer-dose", {**note, "inducer_dose": found}))
    return found
