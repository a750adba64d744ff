"""The imatinib dose recommendation: rule families evaluated on one visit, then combined.

Why this shape: each rule family (hematologic, skin, other holds, progression) looks at the
visit on its own and says what it would do (a :class:`Finding`); the findings are then combined
so that the most protective action wins (discontinue > hold > reduce > resume > escalate >
continue) and the resume dose is the lowest that any rule allows.  Advice (supportive care,
monitoring) is reported but never blocks a resume or an escalation.

Hematologic rules read the counts (exact fractions in 10^9/L), never grades; skin rules read the
grades of the skin terms of the chosen CTCAE version, by category, so a new skin term needs no
code.  Every number and text comes from the dosing rule file (:mod:`gist_tox.dosing.schema`).
"""

from __future__ import annotations

import re
from fractions import Fraction
from typing import TYPE_CHECKING, Any, NamedTuple

from gist_tox.dosing.finding import Episode, Finding
from gist_tox.dosing.interactions import add_advice
from gist_tox.dosing.label import Cap, LabelFamilies, LiverLimits, liver_limits
from gist_tox.dosing.review import grade_review
from gist_tox.dosing.schema import DosingRules
from gist_tox.units import exact, show
from gist_tox.visit import HistoryEntry, Visit

if TYPE_CHECKING:
    from collections.abc import Mapping

    from gist_tox.comedications import Comedication
    from gist_tox.facts import Facts
    from gist_tox.grading import Plan, TermGrade
    from gist_tox.other_events import OtherEvent
    from gist_tox.ruleset.loader import RuleSet

PRIORITY = {"discontinue": 5, "hold": 4, "reduce": 3, "resume": 2, "escalate": 1, "continue": 0}
"""The most protective action wins; ``advice`` findings have no say in the action."""

_PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")


class Recommendation:
    """The recommendation of one visit; :meth:`as_json` is the contract's ``recommendation``."""

    __slots__ = (
        "action",
        "alternatives",
        "caps",
        "dose_mg",
        "hold_for",
        "new_episodes",
        "patient_factors",
        "raised_episodes",
        "reasons",
        "resume_dose_mg",
        "resume_when",
        "review",
        "warnings",
    )

    def __init__(
        self,
        *,
        action: str,
        dose_mg: int,
        resume_when: str | None,
        resume_dose_mg: int | None,
        alternatives: list[str],
        reasons: list[dict[str, str]],
        warnings: list[str],
        hold_for: list[str],
        new_episodes: list[Episode],
        review: list[dict[str, str]] | None = None,
        caps: list[dict[str, Any]] | None = None,
        patient_factors: dict[str, Any] | None = None,
        raised_episodes: list[Episode] | None = None,
    ) -> None:
        self.raised_episodes: list[Episode] = [] if raised_episodes is None else raised_episodes
        """During a hepatic, fluid or other non-hematologic hold, the episode behind it with the
        higher grade (and term) this visit shows: a timeline writes it over that episode."""
        self.caps: list[dict[str, Any]] = [] if caps is None else caps
        """Every cap at the visit, lowest first (``kind``, ``max_dose_mg``, rule, source, text)."""
        self.patient_factors = patient_factors
        self.action = action
        self.dose_mg = dose_mg
        self.resume_when = resume_when
        self.resume_dose_mg = resume_dose_mg
        self.alternatives = alternatives
        self.reasons = reasons
        self.warnings = warnings
        self.hold_for = hold_for
        """Categories behind a hold or a discontinuation (to carry a timeline's hold state)."""
        self.new_episodes = new_episodes
        self.review: list[dict[str, str]] = [] if review is None else review
        """What the tool could not judge (``{code, text}``); non-empty: a clinician must review
        before acting on the recommendation."""

    def as_json(self) -> dict[str, Any]:
        return {
            "action": self.action,
            "dose_mg": self.dose_mg,
            "resume_when": self.resume_when,
            "resume_dose_mg": self.resume_dose_mg,
            "max_dose_mg": self.caps[0]["max_dose_mg"] if self.caps else None,
            "caps": [dict(c) for c in self.caps],
            "alternatives": list(self.alternatives),
            "reasons": [dict(r) for r in self.reasons],
            "review": [dict(r) for r in self.review],
        }


class _Ladder:
    def __init__(self, doses: list[int]) -> None:
        self.doses = sorted(doses, reverse=True)

    def below(self, dose: int) -> int | None:
        """One level below ``dose``; ``None`` means below the lowest dose: stop."""
        lower = [d for d in self.doses if d < dose]
        return lower[0] if lower else None

    def text(self) -> str:
        return " -> ".join(str(d) for d in self.doses) + " mg/day -> stop"


class _Limits(NamedTuple):
    """What the engine derives from the dosing rules (and the rule set's terms): the same for
    every visit."""

    anc_hold: tuple[int, int]
    platelets_hold: tuple[int, int]
    anc_resume: tuple[int, int]
    platelets_resume: tuple[int, int]
    """The count limits as integer pairs (numerator, denominator), for :func:`_less`."""
    ladder: _Ladder
    texts: dict[str, str]
    """The rule-derived values of the texts' placeholders, as they are shown."""
    liver: LiverLimits
    fluid_terms: frozenset[str]
    """The fluid rule's holding and review-only terms: the grades it reads at every visit."""
    fluid_graded: tuple[str, ...]
    """The rule set's terms among :attr:`fluid_terms`, in the grades' order."""
    terms_of: dict[str, tuple[str, ...]]
    """The rule set's term ids per category, in the grades' order (a visit's grades hold one
    per term, ``grade_visit``): a family reads its own category's grades, not all of them."""
    templates: dict[str, list[str]]
    """Every text of the rules, notes and review codes split at its placeholders (literal,
    name, literal, ..., literal: ``_PLACEHOLDER.split``), so that filling one is a join."""


def dosing_limits(rules: DosingRules, plans: Mapping[str, Plan]) -> _Limits:
    """The dosing rules' limits as exact numbers, and the values of the texts' placeholders:
    worked out once when the rules are loaded (``RuleSet.plan``, with its terms' ``plans``),
    used at every visit."""
    heme = rules.hematologic
    fluid_terms = frozenset(rules.label.fluid.holding_terms + rules.label.fluid.review_only_terms)
    terms_of: dict[str, tuple[str, ...]] = {}
    for term_id, plan in plans.items():
        terms_of[plan.term.category] = (*terms_of.get(plan.term.category, ()), term_id)
    return _Limits(
        anc_hold=exact(heme.hold_below.anc).as_integer_ratio(),
        platelets_hold=exact(heme.hold_below.platelets).as_integer_ratio(),
        anc_resume=exact(heme.resume_at_least.anc).as_integer_ratio(),
        platelets_resume=exact(heme.resume_at_least.platelets).as_integer_ratio(),
        ladder=_Ladder(rules.ladder_mg),
        texts={
            "anc_hold": show(exact(heme.hold_below.anc)),
            "platelets_hold": show(exact(heme.hold_below.platelets)),
            "anc_resume": show(exact(heme.resume_at_least.anc)),
            "platelets_resume": show(exact(heme.resume_at_least.platelets)),
            "escalate_to": str(rules.progression.escalate_to_mg),
            "regimen": rules.progression.regimen,
            "supportive_care": rules.skin.supportive_care,
            "monitoring": heme.monitoring,
            "alternatives": ", ".join(rules.alternatives),
            "resume_grade": str(rules.skin.resume_at_most_grade),
            "hold_grade": str(rules.skin.hold_from_grade),
            "stop_grade": str(rules.skin.discontinue_from_grade),
        },
        liver=liver_limits(rules.label),
        fluid_terms=fluid_terms,
        fluid_graded=tuple(term_id for term_id in plans if term_id in fluid_terms),
        terms_of=terms_of,
        templates={
            text: _PLACEHOLDER.split(text)
            for spec in (*rules.rules.values(), *rules.notes.values(), *rules.review.values())
            for text in (spec.text, spec.in_force)
            if text is not None
        },
    )


def recommend(
    visit: Visit,
    grades: dict[str, TermGrade],
    ruleset: RuleSet,
    facts: Facts,
    events: list[OtherEvent] | None = None,
    comedications: list[Comedication] | None = None,
) -> Recommendation:
    """Recommend the imatinib dose for ``visit`` from its grades and counts (and the
    clinician-graded ``other_events``, and the co-medications matched to the interaction
    list)."""
    rules: DosingRules = ruleset.dosing
    limits = ruleset.dosing_limits or dosing_limits(rules, ruleset.plans)
    engine = _Engine(visit, grades, rules, facts, ruleset.plans, events or [], limits)
    engine.comedications = comedications or []
    return engine.run()


class _Engine:
    """The rule families' shared state for one visit (slotted: one engine is made per visit)."""

    __slots__ = (
        "anc",
        "anc_lln",
        "base_dose",
        "cap",
        "cap_from",
        "comedications",
        "dose",
        "episodes",
        "events",
        "findings",
        "grades",
        "history",
        "history_of",
        "hold_cats",
        "label",
        "ladder",
        "limits",
        "on_hold",
        "plans",
        "platelets",
        "platelets_lln",
        "raised",
        "review",
        "rules",
        "visit",
        "warnings",
    )

    def __init__(
        self,
        visit: Visit,
        grades: dict[str, TermGrade],
        rules: DosingRules,
        facts: Facts,
        plans: Mapping[str, Plan],
        events: list[OtherEvent],
        limits: _Limits,
    ) -> None:
        self.visit = visit
        self.plans = plans
        self.grades = grades
        """One per term of the rule set, in its order (``grade_visit``)."""
        self.rules = rules
        self.limits = limits
        self.ladder = self.limits.ladder
        self.findings: list[Finding] = []
        self.warnings: list[str] = []
        self.episodes: list[Episode] = []
        self.raised: list[Episode] = []
        self.review: list[tuple[str, dict[str, Any]]] = []
        """(code, placeholder values) of what the tool could not judge."""
        drug = visit.imatinib
        self.dose = drug.current_dose_mg
        self.on_hold = self.dose == 0
        cats = set(drug.hold_categories) if self.on_hold else set()
        if self.on_hold and not cats:
            cats = {"other"}
        self.hold_cats = cats
        self.history = visit.history
        self.history_of: dict[str, list[HistoryEntry]] = {}
        """The history's episodes per category, in order (one pass; most visits have none)."""
        for entry in self.history:
            self.history_of.setdefault(entry.category, []).append(entry)
        self.base_dose: int | None = self.dose
        """The dose an episode at this visit happens at: during a hold, the dose of the last
        dosed episode behind it (``None``: history does not say)."""
        if self.on_hold:
            behind = [e for e in self.history if e.category in cats and e.dose_mg > 0]
            self.base_dose = behind[-1].dose_mg if behind else None
        anc = facts.values.get("labs.anc")
        plt = facts.values.get("labs.platelets")
        self.anc: Fraction | None = anc if isinstance(anc, Fraction) else None
        self.platelets: Fraction | None = plt if isinstance(plt, Fraction) else None
        self.anc_lln = facts.values.get("labs.anc.lln")
        self.platelets_lln = facts.values.get("labs.platelets.lln")
        self.cap, self.cap_from = self._skin_cap()
        self.events = events
        self.comedications: list[Comedication] = []
        self.label = LabelFamilies(self, self.events)

    # ---------------------------------------------------------------- helpers

    def _skin_cap(self) -> tuple[int | None, HistoryEntry | None]:
        """The highest dose allowed after grade >= 3 skin episodes: one level below the lowest
        dose at which one happened (``None`` with an entry: no dose is allowed)."""
        skin = self.history_of.get("skin")
        if skin is None:  # most visits
            return None, None
        hold_from = self.rules.skin.hold_from_grade
        severe = [e for e in skin if e.grade >= hold_from and e.dose_mg > 0]
        if not severe:
            return None, None
        lowest = min(severe, key=lambda e: e.dose_mg)
        return self.ladder.below(lowest.dose_mg), lowest

    def _capped(self, dose: int | None) -> int | None:
        """``dose`` bounded by every cap in force (``None``: a cap allows no dose)."""
        if dose is None:
            return dose
        if self.cap_from is not None:
            if self.cap is None:
                return None
            dose = min(dose, self.cap)
        other = self.label.cap_in_force()
        if other is not None:
            dose = min(dose, other) if other > 0 else None
        return dose

    def _add(self, finding: Finding) -> None:
        self.findings.append(finding)

    def _stop(self, why: str, category: str | None) -> None:
        self._add(
            Finding(
                "ladder-stop",
                "discontinue",
                category=category,
                alternatives=list(self.rules.alternatives),
                values={"why": why},
            )
        )

    def _hold(
        self,
        rule: str,
        category: str,
        resume: int | None,
        resume_when: str,
        stop_why: str,
        values: dict[str, Any],
        *,
        known: bool = True,
    ) -> None:
        """A hold resuming at ``resume`` (capped); a resume below the ladder stops imatinib."""
        capped = self._capped(resume)
        if known and capped is None:
            self._stop(stop_why, category)
            return
        finding = Finding(
            rule,
            "hold",
            category=category,
            resume_dose=capped,
            resume_when=resume_when,
            values={**values, "resume_dose": _dose_text(capped)},
        )
        self._note_cap(finding, resume, capped)
        self._add(finding)

    def _resume(
        self,
        rule: str,
        category: str,
        resume: int | None,
        stop_why: str,
        values: dict[str, Any],
        *,
        known: bool = True,
    ) -> None:
        capped = self._capped(resume)
        if known and capped is None:
            self._stop(stop_why, category)
            return
        if capped is None:  # the dose before the hold is unknown: keep holding, never guess it
            self._hold(
                rule,
                category,
                None,
                "the dose before the hold is known",
                stop_why,
                values,
                known=False,
            )
            return
        finding = Finding(
            rule, "resume", category=category, dose=capped, values={**values, "resume_dose": capped}
        )
        self._note_cap(finding, resume, capped)
        self._add(finding)

    def _note_cap(self, finding: Finding, resume: int | None, capped: int | None) -> None:
        """A resume dose lowered by a cap: the rule's text keeps its own dose and names the cap
        that applies ("Overruled: the skin cap, 300 mg/day, applies")."""
        if resume is None or capped is None or capped >= resume:
            return
        finding.values["resume_dose"] = resume
        rule = "skin-dose-cap"
        if self.cap_from is None or self.cap is None or self.cap > capped:
            rule = next((c.rule for c in self.label.caps if c.max_dose_mg == capped), rule)
        finding.notes.append(("overruled-dose", {"by": self._name(rule), "bound": capped}))

    def _name(self, rule: str) -> str:
        """How a reason refers to another rule (its ``name:``, else its id)."""
        return self.rules.rules[rule].name or f"rule {rule}"

    def _heme_resume_when(self) -> str:
        v = self.limits.texts
        return f"ANC >= {v['anc_resume']} x10^9/L and platelets >= {v['platelets_resume']} x10^9/L"

    def _skin_resume_when(self) -> str:
        return f"every skin term is grade <= {self.rules.skin.resume_at_most_grade}"

    def _step_down_heme(self, dose: int) -> tuple[int | None, bool]:
        """The resume dose after a recurrence at ``dose``, and whether the label gives it."""
        for step in self.rules.hematologic.label_recurrence_steps:
            if step.from_mg == dose:
                return step.to_mg, True
        return self.ladder.below(dose), False

    def _missing_history(self, category: str) -> None:
        self.warnings.append(
            f"imatinib is on hold for {category} but history has no {category} episode with its"
            " dose; the dose to resume at is unknown — add the episode behind the hold to history"
        )

    # ---------------------------------------------------------------- rule families

    def run(self) -> Recommendation:
        try:
            died = bool(self.events) and any(e.grade == 5 for e in self.events)
            self.review.extend(grade_review(self.visit, self.grades, self.plans, self.rules, died))
            self._death()
            self._hematologic()
            self._skin()
            self._other()
            self.label.run()
            self._cap()
            self._progression()
            return self._combine()
        finally:
            # The label's families point back at the engine: without this the engine, and the
            # visit and grades it holds, would be a reference cycle that only the cycle
            # collector frees (each visit's objects lingering until a collection walks them).
            del self.label

    def _skin(self) -> None:
        skin = self.rules.skin
        grades = self.grades
        graded: list[TermGrade] = []
        unplaced: list[TermGrade] = []  # not gradable
        permanent_now: list[TermGrade] = []  # stop imatinib
        severe: list[TermGrade] = []  # from the hold grade
        for term_id in self.limits.terms_of.get("skin", ()):  # one pass over the skin terms
            g = grades[term_id]
            grade = g.grade
            if grade is None:
                unplaced.append(g)
                continue
            graded.append(g)
            if grade >= 1 and (
                g.term_id in skin.discontinue_terms or grade >= skin.discontinue_from_grade
            ):
                permanent_now.append(g)
            if grade >= skin.hold_from_grade:
                severe.append(g)
        worst = max(graded, key=lambda g: g.grade or 0, default=None)
        skin_hist = self.history_of.get("skin", [])
        permanent_before = [
            e
            for e in skin_hist
            if e.term in skin.discontinue_terms or e.grade >= skin.discontinue_from_grade
        ]
        # A bedside grade at the stop grade that the morphology's terms could not take (bullous:
        # Stevens-Johnson syndrome or toxic epidermal necrolysis, both grade 4) stops as either
        # term would.
        seen = self.visit.skin
        bedside = seen.clinician_grade if seen is not None and seen.morphology else None
        if (
            permanent_now
            or permanent_before
            or (bedside is not None and bedside >= skin.discontinue_from_grade and unplaced)
        ):
            if permanent_now:
                g = max(permanent_now, key=lambda t: t.grade or 0)
                term, grade, when = g.term, g.grade, "at this visit"
                if not permanent_before:  # recorded, so that a later visit keeps it stopped
                    self._episode("skin", g.term_id, g.grade or 0)
            elif not permanent_before:
                term = " or ".join(g.term for g in unplaced)
                grade, when = bedside, "at this visit (the bedside grade)"
                self._episode("skin", unplaced[0].term_id, bedside or 0)
            else:
                e = permanent_before[-1]
                term, grade, when = e.term, e.grade, f"on {e.date.isoformat()}"
            self._add(
                Finding(
                    "skin-discontinue",
                    "discontinue",
                    category="skin",
                    alternatives=list(self.rules.alternatives),
                    values={"term": term, "grade": grade, "why": when},
                )
            )
            return
        if "skin" in self.hold_cats:
            last = _last_dosed(skin_hist)
            if last is None:
                self._missing_history("skin")
            resume = self.ladder.below(last.dose_mg) if last else None
            stop_why = f"one level below {last.dose_mg if last else '?'} mg/day is below the ladder"
            if self.visit.skin is None:
                why = (
                    "no skin findings at this visit (no skin section): the hold ends only on"
                    " evidence"
                )
            elif unplaced:
                why = (
                    "not every skin term could be graded ("
                    + ", ".join(f"{g.term}: {g.not_gradable}" for g in unplaced)
                    + ")"
                )
            elif worst is not None and (worst.grade or 0) > skin.resume_at_most_grade:
                why = f"{worst.term} is still grade {worst.grade}"
            else:
                self._resume(
                    "skin-resume",
                    "skin",
                    resume,
                    stop_why,
                    {
                        "episode_dose": last.dose_mg if last else "?",
                        "grade": worst.grade if worst else 0,
                    },
                    known=last is not None,
                )
                return
            self._hold(
                "skin-hold-continues",
                "skin",
                resume,
                self._skin_resume_when(),
                stop_why,
                {"why": why, "episode_dose": last.dose_mg if last else "?"},
                known=last is not None,
            )
            self._supportive(worst)
            return
        if severe:
            g = max(severe, key=lambda t: t.grade or 0)
            dose = self.base_dose
            if dose is None:
                self._missing_history(", ".join(sorted(self.hold_cats)))
            self._episode("skin", g.term_id, g.grade or 0)
            rule = "skin-recurrence" if skin_hist else "skin-hold"
            resume = self.ladder.below(dose) if dose is not None else None
            self._hold(
                rule,
                "skin",
                resume,
                self._skin_resume_when(),
                f"a grade {g.grade} skin episode at {dose} mg/day, the lowest dose",
                {"term": g.term, "grade": g.grade, "episode_dose": dose},
                known=dose is not None,
            )
            return
        self._supportive(worst)

    def _death(self) -> None:
        """Any grade 5 stops imatinib: no dose to resume.  A computed term reaches grade 5 only
        from ``consequences.died``; a clinician-graded ``other_events`` term may carry it too."""
        # (``is not None`` first: most grades are None, and None == 5 takes Python's slowest
        # comparison)
        dead = [
            (g.term, g.category)
            for g in self.grades.values()
            if g.grade is not None and g.grade == 5
        ]
        if self.events:
            dead += [(e.term, e.category) for e in self.events if e.grade == 5]
        if dead:
            self._add(
                Finding(
                    "grade-5-discontinue",
                    "discontinue",
                    category=dead[0][1],
                    values={"term": ", ".join(term for term, _ in dead)},
                )
            )

    def _supportive(self, worst: TermGrade | None) -> None:
        if worst is not None and 1 <= (worst.grade or 0) < self.rules.skin.hold_from_grade:
            self._add(
                Finding(
                    "skin-supportive-care",
                    "advice",
                    category="skin",
                    values={"term": worst.term, "grade": worst.grade},
                )
            )

    def _hematologic(self) -> None:
        limits = self.limits
        anc = self.anc.as_integer_ratio() if self.anc is not None else None
        plt = self.platelets.as_integer_ratio() if self.platelets is not None else None
        heme_hist = self.history_of.get("hematologic", [])
        if "hematologic" in self.hold_cats:
            last = _last_dosed(heme_hist)
            if last is None:
                self._missing_history("hematologic")
                resume: int | None = None
                label = True
            elif len(heme_hist) == 1:
                resume, label = last.dose_mg, True
            else:
                resume, label = self._step_down_heme(last.dose_mg)
            stop_why = (
                f"hematologic recurrence at {last.dose_mg if last else '?'} mg/day, the lowest dose"
            )
            values: dict[str, Any] = {
                "episode_dose": last.dose_mg if last else "?",
                "why": "first episode: the dose before it"
                if len(heme_hist) <= 1
                else "a recurrence: one level below the dose at which it recurred"
                + ("" if label else " (project policy)"),
            }
            recovered = (
                anc is not None
                and plt is not None
                and not _less(anc, limits.anc_resume)
                and not _less(plt, limits.platelets_resume)
            )
            if recovered:
                self._resume(
                    "hematologic-resume",
                    "hematologic",
                    resume,
                    stop_why,
                    values,
                    known=last is not None,
                )
            else:
                self._hold(
                    "hematologic-hold-continues",
                    "hematologic",
                    resume,
                    self._heme_resume_when(),
                    stop_why,
                    values,
                    known=last is not None,
                )
            return
        low_anc = anc is not None and _less(anc, limits.anc_hold)
        low_plt = plt is not None and _less(plt, limits.platelets_hold)
        if low_anc or low_plt:
            values = {}
            dose = self.base_dose
            if dose is None:
                self._missing_history(", ".join(sorted(self.hold_cats)))
            self._episode("hematologic", *self._heme_term(low_anc))
            values["episode_dose"] = dose
            if heme_hist:
                resume, label = self._step_down_heme(dose) if dose is not None else (None, False)
                rule = "hematologic-recurrence" if label else "hematologic-recurrence-policy"
            else:
                resume, rule = dose, "hematologic-hold"
            self._hold(
                rule,
                "hematologic",
                resume,
                self._heme_resume_when(),
                f"hematologic recurrence at {dose} mg/day, the lowest dose",
                values,
                known=dose is not None,
            )
            return
        below_lln = [
            name
            for name, value, lln in (
                ("ANC", anc, self.anc_lln),
                ("platelets", plt, self.platelets_lln),
            )
            if value is not None
            and isinstance(lln, Fraction)
            and _less(value, lln.as_integer_ratio())
        ]
        if below_lln:
            self._add(
                Finding(
                    "hematologic-monitoring",
                    "advice",
                    category="hematologic",
                    values={"terms": " and ".join(below_lln)},
                )
            )
        if anc is None or plt is None:
            what = " and ".join(
                n for n, value in (("ANC", anc), ("platelets", plt)) if value is None
            )
            self._add(
                Finding(
                    "hematologic-unchecked",
                    "advice",
                    category="hematologic",
                    values={"terms": what},
                )
            )
            self.warnings.append(
                f"{what} not measured at this visit: the hematologic hold rule could not be checked"
            )
            self.review.append(("counts-not-measured", {"terms": what}))

    def _heme_term(self, low_anc: bool) -> tuple[str, int]:
        """The term and grade a new hematologic episode is recorded under: the worst graded
        hematologic term, else the count's own term."""
        grades = self.grades
        heme = [
            g
            for term_id in self.limits.terms_of.get("hematologic", ())
            if (g := grades[term_id]).grade is not None
        ]
        worst = max(heme, key=lambda g: g.grade or 0, default=None)
        if worst is not None and (worst.grade or 0) >= 1:
            return worst.term_id, worst.grade or 1
        terms = self.rules.hematologic.episode_terms
        return terms["anc" if low_anc else "platelets"], self.rules.skin.hold_from_grade

    def _episode(self, category: str, term: str, grade: int) -> None:
        dose = self.base_dose
        if dose is not None and grade >= 1:
            self.episodes.append(Episode(category, term, grade, dose))

    def _other(self) -> None:
        if "other" not in self.hold_cats:
            return
        others = [e for e in self.history_of.get("other", ()) if e.dose_mg > 0]
        resume = others[-1].dose_mg if others else None
        if not self.visit.imatinib.hold_categories:
            self.warnings.append(
                "imatinib is on hold for an unknown reason: the hold is kept"
                " until the clinician ends it"
            )
        else:
            self.warnings.append(
                "imatinib is on hold for another reason (on_hold_for: other):"
                " the clinician ends that hold; it is kept"
            )
        capped = self._capped(resume)
        finding = Finding(
            "other-hold",
            "hold",
            category="other",
            resume_dose=capped,
            resume_when="the clinician ends the hold for the other reason",
            values={"resume_dose": _dose_text(capped)},
        )
        self._note_cap(finding, resume, capped)
        self._add(finding)

    def _cap(self) -> None:
        if self.cap_from is None or self.on_hold:
            return
        values = {"lowest": self.cap_from.dose_mg, "cap": _dose_text(self.cap)}
        if self.cap is None:
            self._stop(
                f"a grade >= {self.rules.skin.hold_from_grade} skin episode happened at"
                f" {self.cap_from.dose_mg} mg/day, the lowest dose",
                "skin",
            )
        elif self.dose > self.cap:
            self._add(
                Finding("skin-dose-cap", "reduce", category="skin", dose=self.cap, values=values)
            )

    def _progression(self) -> None:
        drug = self.visit.imatinib
        if drug.disease_status != "progression":
            return
        prog = self.rules.progression
        alternatives = list(self.rules.alternatives)
        if drug.indication in prog.no_escalation_indications:
            self.warnings.append(
                f"progression on {drug.indication} imatinib is a recurrence of the disease: the"
                " patient needs re-staging"
            )
            self._add(
                Finding(
                    "progression-adjuvant",
                    "continue",
                    dose=self.dose or None,
                    alternatives=alternatives,
                )
            )
            return
        blockers: list[str] = []
        if self.on_hold:
            blockers.append("imatinib is on hold")
        elif self.dose < drug.starting_dose_mg or self.dose < prog.escalate_from_mg:
            blockers.append(f"the dose is capped at {self.dose} mg/day, below the starting dose")
        elif self.dose != prog.escalate_from_mg:
            blockers.append(
                f"the label's increase is from {prog.escalate_from_mg} mg/day; the"
                f" dose is {self.dose} mg/day"
            )
        if self.cap_from is not None:
            blockers.append(
                f"dose cap {_dose_text(self.cap)} after a grade"
                f" {self.cap_from.grade} skin episode at {self.cap_from.dose_mg}"
                " mg/day"
            )
        # The label calls its hematologic hold criteria "severe neutropenia and
        # thrombocytopenia": a hematologic episode is severe whatever grade the CTCAE version
        # gives it (v6.0 grades ANC 0.5-1.0 as 2), and so is a hold or stop at this visit.
        severe_before = [
            e for e in self.history if e.grade >= prog.severe_grade or e.category == "hematologic"
        ]
        if severe_before:
            e = severe_before[-1]
            blockers.append(
                f"a grade {e.grade} {e.category} episode ({e.term}) on {e.date.isoformat()}"
            )
        limiting = _unique(
            f"{f.category or 'other'} {f.action}"
            for f in self.findings
            if f.action in ("hold", "discontinue")
        )
        if limiting and not self.on_hold:
            blockers.append("a dose-limiting finding at this visit: " + ", ".join(limiting))
        severe_now = [
            g for g in self.grades.values() if g.grade is not None and g.grade >= prog.severe_grade
        ]
        if severe_now:
            blockers.append(
                "grade >= 3 now: " + ", ".join(f"{g.term} grade {g.grade}" for g in severe_now)
            )
        unsure = [g for g in self.grades.values() if g.grade is None and g.present]
        if unsure:
            blockers.append(
                "a severe reaction cannot be ruled out: "
                + ", ".join(f"{g.term} not gradable" for g in unsure)
            )
        missing = [n for n, v in (("ANC", self.anc), ("platelets", self.platelets)) if v is None]
        if missing:
            blockers.append(f"escalation needs {' and '.join(missing)} measured at this visit")
        blockers.extend(self.label.escalation_blockers())
        if blockers:
            self._add(
                Finding(
                    "progression-no-escalation",
                    "continue",
                    dose=self.dose or None,
                    alternatives=alternatives,
                    values={"why": "; ".join(blockers)},
                )
            )
        else:
            target = self.label.escalate_to(prog.escalate_to_mg)
            values: dict[str, Any] = {}
            if target != prog.escalate_to_mg:
                values = {"escalate_to": target, "regimen": "once daily, the renal cap"}
            self._add(Finding("progression-escalate", "escalate", dose=target, values=values))

    # ---------------------------------------------------------------- combining

    def _combine(self) -> Recommendation:
        deciding = [f for f in self.findings if f.action != "advice"]
        if not deciding:
            # Under review, "no dose-limiting finding" is only what the rules could judge.
            rule = "continue-review" if self.review else "continue"
            deciding.append(Finding(rule, "continue", dose=self.dose))
            self._add(deciding[0])
        action = max((f.action for f in deciding), key=PRIORITY.__getitem__)
        resume_when: str | None = None
        resume_dose: int | None = None
        hold_for: list[str] = []
        if action == "discontinue":
            dose = 0
            hold_for = _unique(
                f.category or "other" for f in self.findings if f.action == "discontinue"
            )
        elif action == "hold":
            dose = 0
            holds = [f for f in self.findings if f.action == "hold"]
            # A rule whose own hold has ended (resume) still bounds the dose the hold ends at.
            allowed = [f.resume_dose for f in holds] + [
                f.dose for f in self.findings if f.action in ("reduce", "resume")
            ]
            resume_dose = (
                None
                if any(d is None for d in allowed)
                else min(d for d in allowed if d is not None)
            )
            resume_when = " and ".join(_unique(f.resume_when for f in holds if f.resume_when))
            hold_for = _unique([*sorted(self.hold_cats), *(f.category or "other" for f in holds)])
        elif action in ("reduce", "resume"):
            dose = min(
                f.dose
                for f in self.findings
                if f.action in ("reduce", "resume") and f.dose is not None
            )
        elif action == "escalate":
            dose = min(
                f.dose or self.rules.progression.escalate_to_mg
                for f in self.findings
                if f.action == "escalate"
            )
        else:
            dose = self.dose
        self._below_label_range(action, dose)
        self._note_overruled(deciding, action, resume_dose if action == "hold" else dose)
        caps = self.label.caps_json(self._skin_cap_record())
        inducer_dose = add_advice(
            self,
            self.comedications,
            action,
            dose,
            resume_dose,
            caps[0]["max_dose_mg"] if caps else None,
        )
        alternatives = [a for f in self.findings for a in f.alternatives]
        reasons = [self._reason(f) for f in sorted(self.findings, key=_protective_first)]
        if resume_dose is None and action == "hold":
            self.warnings.append("the dose to resume at is unknown; the clinician must set it")
        return Recommendation(
            action=action,
            dose_mg=dose,
            resume_when=resume_when,
            resume_dose_mg=resume_dose,
            alternatives=_unique(alternatives) if alternatives else alternatives,
            reasons=reasons,
            warnings=_unique(self.warnings) if self.warnings else [],
            hold_for=hold_for,
            new_episodes=self.episodes,
            raised_episodes=self.raised,
            review=self._review_items(),
            caps=caps,
            patient_factors=self.label.patient_factors(
                [c.as_json() for c in self.comedications], inducer_dose
            ),
        )

    def _skin_cap_record(self) -> Cap | None:
        """The skin cap as one of ``recommendation.caps``."""
        if self.cap_from is None:
            return None
        return Cap("skin", self.cap or 0, "skin-dose-cap", {"lowest": self.cap_from.dose_mg})

    def _review_items(self) -> list[dict[str, str]]:
        """Each review code once (the first values given for it), in the order found."""
        if not self.review:  # most visits
            return []
        out: dict[str, dict[str, str]] = {}
        for code, values in self.review:
            if code not in out:
                spec = self.rules.review[code]
                out[code] = {"code": code, "text": self._fill(spec.text, values)}
        return list(out.values())

    def _fill(self, text: str, values: dict[str, Any]) -> str:
        """``text`` with its placeholders filled from ``values``, else from the visit's and the
        rule set's values (:meth:`_value`); a placeholder without a value stays as written.
        The text comes split at its placeholders (``_Limits.templates``): every odd part is a
        placeholder's name, so filling is a join, not a regular-expression substitution."""
        parts = self.limits.templates.get(text) or _PLACEHOLDER.split(text)
        filled = parts.copy()
        for i in range(1, len(parts), 2):
            name = parts[i]
            filled[i] = str(values[name]) if name in values else self._value(name)
        return _squeeze("".join(filled))

    def _value(self, name: str) -> str:
        """A placeholder's value from the visit (dose, counts) or the rule set; one without a
        value stays as written.  Why looked up per placeholder: the counts' decimal texts are
        worked out only for a text that shows them, not at every visit (most reasons name no
        count)."""
        if name == "dose":
            return str(self.dose)
        if name == "anc" or name == "platelets":
            count = self.anc if name == "anc" else self.platelets
            return "not measured" if count is None else f"{show(count)} x10^9/L"
        return self.limits.texts.get(name, f"{{{name}}}")

    def _below_label_range(self, action: str, dose: int) -> None:
        """Continuing at a dose below the label's lowest GIST dose is outside the label: said
        so, with the alternatives (project policy; the published case).  A step down to such a
        dose (reduce, resume, a hold's resume dose) is already explained by its own rule."""
        lowest = self.rules.label_range.gist_lowest_mg
        if action != "continue" or not 0 < dose < lowest:
            return
        self._add(
            Finding(
                "below-label-range",
                "advice",
                alternatives=list(self.rules.alternatives),
                values={"low_dose": dose, "label_lowest": lowest},
            )
        )

    def _note_overruled(self, deciding: list[Finding], action: str, bound: int | None) -> None:
        """Every reason reads consistently with the final action: a rule whose action lost to
        a more protective one, or whose dose lost to a lower one, says which rule applies
        (``deciding``: the findings that are not advice)."""
        if len(deciding) > 1:  # a single finding is the winner
            winner = next(f for f in deciding if f.action == action)
            for finding in deciding:
                if PRIORITY[finding.action] < PRIORITY[action]:
                    finding.notes.append(
                        ("overruled-action", {"by": self._name(winner.rule), "action": action})
                    )
        if bound is None or action not in ("hold", "reduce", "resume"):
            return
        same = [f for f in deciding if f.action == action or f.action in ("reduce", "resume")]
        doses = [(f, f.resume_dose if f.action == "hold" else f.dose) for f in same]
        binding = next((f for f, d in doses if d == bound), None)
        for finding, own in doses:
            if finding.action != action or own is None or own <= bound or finding.notes:
                continue
            by = self._name(binding.rule) if binding is not None else "a lower dose"
            finding.notes.append(("overruled-dose", {"by": by, "bound": bound}))

    def _reason(self, finding: Finding) -> dict[str, str]:
        spec = self.rules.rules[finding.rule]
        values = finding.values
        if finding.dose is not None and "resume_dose" not in values:
            values = {**values, "resume_dose": finding.dose}
        text = self._fill(spec.text, values)
        for rule, note in finding.notes:
            text += " " + self._fill(self.rules.notes[rule].text, {**values, **note})
        return {
            "rule": f"dosing/{self.rules.id}/{finding.rule}",
            "source": spec.source,
            "text": text,
        }


def _last_dosed(entries: list[HistoryEntry]) -> HistoryEntry | None:
    """The latest episode whose dose is known (a dose of 0 says nothing about what to resume)."""
    dosed = [e for e in entries if e.dose_mg > 0]
    return dosed[-1] if dosed else None


def _less(a: tuple[int, int], b: tuple[int, int]) -> bool:
    """``a < b`` for two fractions given as integer pairs (``as_integer_ratio``: denominators
    are positive), exactly: a count is compared with its limits at every visit, and Fraction's
    ``<`` dispatches through the ``numbers`` ABCs first."""
    return a[0] * b[1] < b[0] * a[1]


def _squeeze(text: str) -> str:
    """``text`` with each run of whitespace made one space and none at either end (a value may
    bring a line break or a double space).  Most reasons are so already, and that is told
    without making a string per word: a printable text has no whitespace but the space
    (``str.isprintable``), so without a double space or a space at an end it is unchanged."""
    if text.isprintable() and "  " not in text and text[:1] != " " and text[-1:] != " ":
        return text
    return " ".join(text.split())


def _protective_first(finding: Finding) -> int:
    """The reasons' order: the most protective action first, advice last (a stable sort)."""
    return -PRIORITY.get(finding.action, -1)


def _dose_text(dose: int | None) -> str:
    return "unknown" if dose is None else str(dose)


def _unique(items: Any) -> list[Any]:
    return list(dict.fromkeys(items))
