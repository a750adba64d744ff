"""The label's other dose rules (visit format extension A), run inside the dosing engine.

R1 hepatotoxicity (hold on the label's IULN multiples, resume one level below, hepatic cap),
R2 severe fluid retention, R3 any other severe non-hematologic reaction (``other_events``),
R4/R5 renal and hepatic impairment caps, R8 anemia.  Why beside the engine rather than in it:
each family reads its own inputs and says what it would do as findings, exactly as the
hematologic and skin families do, so the engine's combination (most protective action wins,
lowest cap wins) applies unchanged.  Every number comes from the dosing file's ``label:``.

An input that is absent (no liver test, no ``fluid``, no ``renal``...) fires nothing: a visit
without the extension's sections gets exactly the recommendation it got before.
"""

from __future__ import annotations

from fractions import Fraction
from typing import TYPE_CHECKING, Any, NamedTuple

from gist_tox.dosing.finding import Episode, Finding
from gist_tox.dosing.label_schema import LABEL_REVIEW_CODES
from gist_tox.units import exact, show

if TYPE_CHECKING:
    from gist_tox.dosing.engine import _Engine
    from gist_tox.dosing.label_schema import FluidRules, LabelRules, OtherRules
    from gist_tox.other_events import OtherEvent

LIVER = (("bilirubin", "bilirubin"), ("alt", "ALT"), ("ast", "AST"))
"""Liver tests in the order ties are broken (extension A, "History and holds")."""


class LiverLimits(NamedTuple):
    """The hepatotoxicity rule's multiples of the ULN as exact numbers, per liver test: the
    same for every visit, so worked out once with the engine's limits (``dosing_limits``)."""

    hold_above: dict[str, Fraction]
    resume_below: dict[str, Fraction]
    grade_4_above: dict[str, Fraction]


def liver_limits(rules: LabelRules) -> LiverLimits:
    h = rules.hepatic
    return LiverLimits(
        *(
            {key: exact(getattr(multiples, key)) for key, _ in LIVER}
            for multiples in (h.hold_above_x_uln, h.resume_below_x_uln, h.grade_4_above_x_uln)
        )
    )


class Cap:
    """A highest daily dose one rule allows, with why (``recommendation.caps``)."""

    __slots__ = ("kind", "max_dose_mg", "rule", "values")

    def __init__(self, kind: str, max_dose_mg: int, rule: str, values: dict[str, Any]) -> None:
        self.kind = kind
        self.max_dose_mg = max_dose_mg
        """0 when the cap allows no dose (an episode at the lowest ladder dose)."""
        self.rule = rule
        self.values = values


_HISTORY_CAPS = {
    "hepatic": "hepatic-cap",
    "fluid": "fluid-cap",
    "other_nonhematologic": "other-nonhematologic-cap",
}
"""The kinds of history episode that cap the dose, with the cap's rule, in the caps' order."""

KIND_ORDER = ("skin", "hepatic", "fluid", "other_nonhematologic", "renal", "hepatic_impairment")


class LabelFamilies:
    """The extension's rule families for one visit (created by the engine)."""

    def __init__(self, engine: _Engine, events: list[OtherEvent]) -> None:
        self.e = engine
        self.rules = engine.rules.label
        self.events = events
        self.renal_band: str | None = None
        self.renal_cap: int | None = None
        self.renal_start: int | None = None
        self.caps: list[Cap] = self._history_caps() + self._patient_caps()

    # ---------------------------------------------------------------- caps

    def _below(self, dose: int) -> int:
        below = self.e.ladder.below(dose)
        return 0 if below is None else below

    def _history_caps(self) -> list[Cap]:
        """A cap per kind with a dose-limiting episode in history, one level below the lowest
        dose one happened at: every hepatotoxicity episode, fluid and other non-hematologic
        episodes from their hold grade (one pass over history: most visits have none)."""
        if not self.e.history:
            return []
        hold_from = {
            "fluid": self.rules.fluid.hold_from_grade,
            "other_nonhematologic": self.rules.other_nonhematologic.hold_from_grade,
        }
        lowest: dict[str, int] = {}
        for e in self.e.history:
            kind = e.category
            if kind in _HISTORY_CAPS and e.dose_mg > 0 and e.grade >= hold_from.get(kind, e.grade):
                lowest[kind] = min(e.dose_mg, lowest.get(kind, e.dose_mg))
        return [
            Cap(kind, self._step(kind, lowest[kind]), rule, {"lowest": lowest[kind]})
            for kind, rule in _HISTORY_CAPS.items()
            if kind in lowest
        ]

    def _step(self, kind: str, dose: int) -> int:
        """One level below ``dose``; for hepatotoxicity the label's own steps first."""
        if kind == "hepatic":
            for step in self.rules.hepatic.label_steps:
                if step.from_mg == dose:
                    return step.to_mg
        return self._below(dose)

    def _patient_caps(self) -> list[Cap]:
        out: list[Cap] = []
        visit = self.e.visit
        renal = visit.renal
        if renal is not None:
            band = self._renal_band(renal)
            self.renal_band = band
            spec = next((b for b in self.rules.renal.bands if b.band == band), None)
            if spec is not None:
                self.renal_cap = spec.max_dose_mg
                self.renal_start = spec.start_dose_mg
                clearance = (
                    "dialysis"
                    if renal.dialysis
                    else f"CrCL {show(exact(renal.creatinine_clearance_ml_min or 0))} mL/min"
                )
                out.append(
                    Cap(
                        "renal",
                        spec.max_dose_mg,
                        "renal-cap",
                        {"band": band, "clearance": clearance},
                    )
                )
        if visit.hepatic_impairment == "severe":
            cap = self.rules.hepatic_impairment.severe_max_dose_mg
            out.append(Cap("hepatic_impairment", cap, "hepatic-impairment-cap", {}))
        return out

    def _renal_band(self, renal: Any) -> str | None:
        if renal.dialysis:
            return self.rules.renal.dialysis_band
        clearance = exact(renal.creatinine_clearance_ml_min)
        for band in self.rules.renal.bands:
            low = exact(band.from_ml_min) if band.from_ml_min is not None else None
            if (low is None or clearance >= low) and clearance < exact(band.below_ml_min):
                return band.band
        return "none"

    def cap_in_force(self) -> int | None:
        """The lowest cap of this module's caps (``None``: none)."""
        return min((c.max_dose_mg for c in self.caps), default=None)

    # ---------------------------------------------------------------- families

    def run(self) -> None:
        self._hepatic()
        self._fluid()
        self._other_nonhematologic()
        self._patient_factors()
        self._anemia()
        self._weight()

    # R1 -------------------------------------------------------------------

    def _ratios(self) -> dict[str, Fraction | None]:
        labs = self.e.visit.labs
        out: dict[str, Fraction | None] = {}
        for key, _ in LIVER:
            test = getattr(labs, key, None) if labs is not None else None
            out[key] = None if test is None else exact(test.value) / exact(test.uln)
        return out

    def _hepatic(self) -> None:
        ratios = self._ratios()
        measured = [k for k, _ in LIVER if ratios[k] is not None]
        on_hold = "hepatic" in self.e.hold_cats
        if not measured and not on_hold and not self.events:
            return  # no liver test, hold or event (most visits): nothing to judge or advise
        liver = self.e.limits.liver
        hold_at, end_at = liver.hold_above, liver.resume_below
        meeting = [k for k in measured if ratios[k] > hold_at[k]]  # type: ignore[operator]
        failure = next(
            (
                ev
                for ev in self.events
                if ev.term_id == "hepatic_failure" and ev.grade >= self.rules.fluid.hold_from_grade
            ),
            None,
        )
        finding = bool(meeting) or failure is not None
        if not on_hold and not finding:
            self._hepatic_monitoring(ratios, measured)
            return
        label = dict(LIVER)
        tests_text = "; ".join(
            f"{label[k]} {show(r)} x ULN" for k, r in ratios.items() if r is not None
        )
        history = self.e.history_of.get("hepatic", [])
        if on_hold:
            behind, dose = self._held_episode("hepatic", history)
            resume = self._step("hepatic", dose) or None if dose is not None else None
            clinician = behind is not None and (
                behind.grade >= 4 or behind.term == "hepatic_failure"
            )
            raised = (
                self._raise(
                    "hepatic", behind, *self._hepatic_episode(meeting, failure, ratios, False)
                )
                if finding
                else False
            )
            not_yet = [
                f"{label[k]} not measured"
                if (ratio := ratios[k]) is None
                else f"{label[k]} {show(ratio)} x ULN (not yet < {show(end_at[k])})"
                for k, _ in LIVER
                if ratios[k] is None or ratios[k] >= end_at[k]  # type: ignore[operator]
            ]
            if failure is not None:
                not_yet.append(f"hepatic failure grade {failure.grade}")
            # the hold is recommended unless it ends here (a clinician-decided one never does)
            self._baseline_reviews(meeting, bool(not_yet) or clinician)
            self._end_hold(
                "hepatic",
                behind,
                dose,
                resume,
                self.rules.hepatic.resume_when,
                f"a hepatic episode at {dose} mg/day, the lowest dose",
                {"episode_dose": dose or "?", "tests": tests_text or "no liver test"},
                not_yet,
                clinician,
            )
            self._raised_alternatives(raised)
            return
        self._baseline_reviews(meeting, True)
        dose = self.e.base_dose
        term, grade = self._hepatic_episode(meeting, failure, ratios)
        self.e._episode("hepatic", term, grade)
        # no level below the lowest dose: None, so the hold stops imatinib (ladder-stop)
        resume = self._step("hepatic", dose) or None if dose is not None else None
        clinician = grade >= 4 or term == "hepatic_failure"
        texts = self.rules.clinician
        why = ""
        if clinician:
            alternatives = ", ".join(self.e.rules.alternatives)
            why = texts.hepatic_why.format(grade=grade, term=term, alternatives=alternatives)
        self.e._hold(
            "hepatic-recurrence" if history else "hepatic-hold",
            "hepatic",
            resume,
            self.rules.hepatic.resume_when + (texts.resume_when if clinician else ""),
            f"hepatotoxicity at {dose} mg/day, the lowest dose",
            {"episode_dose": dose, "tests": tests_text or term, "why": why},
            known=dose is not None,
        )
        if clinician:
            self.e.findings[-1].alternatives = list(self.e.rules.alternatives)

    def _hepatic_monitoring(self, ratios: dict[str, Fraction | None], measured: list[str]) -> None:
        """Neither on hold for hepatotoxicity nor meeting its hold criterion: advice on liver
        tests above the ULN or not measured (``measured``: the tests with a ratio), and a
        warning for a grade >= 3 that the criterion did not catch (a baseline above the ULN)."""
        label = dict(LIVER)
        if not measured:
            return
        above = [label[k] for k in measured if ratios[k] > 1]  # type: ignore[operator]
        if above:
            self.e._add(_advice("hepatic-monitoring", "hepatic", tests=" and ".join(above)))
        missing = [label[k] for k, _ in LIVER if ratios[k] is None]
        if missing:
            self.e._add(_advice("hepatic-unchecked", "hepatic", tests=" and ".join(missing)))
        for key, name in LIVER:
            g = self.e.grades.get(_LIVER_TERMS[key])
            if g is not None and (g.grade or 0) >= 3:
                self.e.warnings.append(
                    f"{name} grade {g.grade} without the label's hold criterion (baseline above"
                    " the ULN): no hold; escalation is ruled out"
                )

    def _hepatic_episode(
        self,
        meeting: list[str],
        failure: OtherEvent | None,
        ratios: dict[str, Fraction | None],
        recorded: bool = True,
    ) -> tuple[str, int]:
        """The term and grade a hepatic episode records; ``recorded``: it is recorded at this
        visit (not only compared with the episode behind a hold), so a grade 0 is said."""
        grade_4_above = self.e.limits.liver.grade_4_above
        grades: dict[str, int] = {}
        for key in meeting:
            ratio = ratios[key]
            assert ratio is not None
            if ratio > grade_4_above[key]:
                grades[key] = 4
                continue
            graded = self.e.grades.get(_LIVER_TERMS[key])
            grade = graded.grade if graded is not None else None
            grades[key] = 4 if grade is None else grade  # not gradable: the highest it could be
        best = max(grades.values(), default=0)
        if failure is not None:
            return "hepatic_failure", max(best, failure.grade, 1)
        key = next(k for k, _ in LIVER if grades.get(k) == best)
        if best == 0 and recorded:
            self.e.warnings.append(
                f"{dict(LIVER)[key]} met the label's hold criterion at CTCAE grade 0 (baseline"
                " above it): the episode is recorded as grade 1"
            )
        return _LIVER_TERMS[key], max(best, 1)

    def _raise(self, category: str, behind: Any, term: str, grade: int) -> bool:
        """During a hold: a finding above the episode behind it (a higher grade, or hepatic
        failure) raises that episode's grade and term (extension A, "History and holds"); a
        timeline writes it over the episode, in a single visit file the clinician records it.
        Returns whether the raised episode makes the hold clinician-decided."""
        if behind is None or behind.dose_mg <= 0:
            return False
        failure = term == "hepatic_failure" and behind.term != "hepatic_failure"
        if grade <= behind.grade and not failure:
            return False
        grade = max(grade, behind.grade)
        self.e.raised.append(Episode(category, term, grade, behind.dose_mg))
        self.e.warnings.append(
            f"{term} grade {grade} during the {category} hold is above the episode behind it"
            f" ({behind.term} grade {behind.grade}): record it in history as that episode's"
            " grade (a timeline does)"
        )
        clinician_from = {
            "hepatic": 4,
            "fluid": self.rules.fluid.clinician_from_grade,
            "other_nonhematologic": self.rules.other_nonhematologic.clinician_from_grade,
        }[category]
        return grade >= clinician_from or failure

    def _raised_alternatives(self, clinician: bool) -> None:
        """A hold made clinician-decided at this visit names the alternatives from now on."""
        if clinician and self.e.findings:
            self.e.findings[-1].alternatives = list(self.e.rules.alternatives)

    def _baseline_reviews(self, meeting: list[str], hold: bool) -> None:
        liver = self.e.limits.liver
        labs = self.e.visit.labs
        impairment = self.e.visit.hepatic_impairment
        label = dict(LIVER)
        for key, _ in LIVER:
            test = getattr(labs, key, None) if labs is not None else None
            if test is None:
                # moderate or severe impairment is a bilirubin baseline above the end threshold
                # whether or not bilirubin was measured at this visit
                if key == "bilirubin" and hold and impairment in ("moderate", "severe"):
                    self.e.review.append(("baseline-blocks-resume", {"test": label[key]}))
                continue
            base = None if test.baseline is None else exact(test.baseline) / exact(test.uln)
            over = base is not None and base > liver.hold_above[key]
            if key == "bilirubin" and impairment == "severe":
                over = True
            if key in meeting and over:
                self.e.review.append(("baseline-meets-hold", {"test": label[key]}))
                self.e.warnings.append(
                    f"pre-treatment {label[key]} already met the label's hold criterion: the"
                    " hold may reflect the baseline, not drug toxicity"
                )
            blocks = base is not None and base >= liver.resume_below[key]
            if key == "bilirubin" and impairment in ("moderate", "severe"):
                blocks = True
            if hold and blocks:
                self.e.review.append(("baseline-blocks-resume", {"test": label[key]}))

    def _held_episode(self, category: str, history: list[Any]) -> tuple[Any, int | None]:
        """The episode behind a hold of ``category`` (the last of its category in ``history``)
        and the dose it happened at; a hold with no such episode is said, not guessed."""
        behind = history[-1] if history else None
        dose = behind.dose_mg if behind is not None and behind.dose_mg > 0 else None
        if dose is None:
            self.e._missing_history(category)
        return behind, dose

    def _new_hold(
        self, category: str, tid: str, term: str, grade: int, recurrence: bool, what: str
    ) -> None:
        """A severe fluid or other non-hematologic episode: hold, then resume one level below
        the dose it happened at; from the category's clinician_from_grade the clinician decides
        whether to resume.  The rules are ``<rule>-hold`` and ``<rule>-recurrence``; the texts
        are the category's ``resume_when`` and the rules' ``label.clinician`` fragments."""
        limits: FluidRules | OtherRules = getattr(self.rules, category)
        texts = self.rules.clinician
        dose = self.e.base_dose
        self.e._episode(category, tid, grade)
        resume = self._below(dose) or None if dose is not None else None
        clinician = grade >= limits.clinician_from_grade
        rule = category.replace("_", "-")
        self.e._hold(
            f"{rule}-recurrence" if recurrence else f"{rule}-hold",
            category,
            resume,
            limits.resume_when.format(term=term, resume_grade=limits.resume_at_most_grade)
            + (texts.resume_when if clinician else ""),
            f"{what} at {dose} mg/day, the lowest dose",
            {
                "term": term,
                "grade": grade,
                "episode_dose": dose,
                "why": texts.why if clinician else "",
            },
            known=dose is not None,
        )
        if clinician:
            self.e.findings[-1].alternatives = list(self.e.rules.alternatives)

    def _end_graded_hold(
        self,
        category: str,
        behind: Any,
        dose: int | None,
        resume: int | None,
        episode: str,
        not_yet: list[str],
        resume_grade: Any,
    ) -> None:
        """The end of a fluid or other non-hematologic hold (``_end_hold``): its texts are the
        category's ``resume_when``; from clinician_from_grade the clinician decides."""
        limits: FluidRules | OtherRules = getattr(self.rules, category)
        term = behind.term if behind is not None else "?"
        self._end_hold(
            category,
            behind,
            dose,
            resume,
            limits.resume_when.format(term=term, resume_grade=limits.resume_at_most_grade),
            f"{episode} at {dose} mg/day, the lowest dose",
            {"episode_dose": dose or "?", "term": term, "grade": behind.grade if behind else "?"},
            not_yet,
            behind is not None and behind.grade >= limits.clinician_from_grade,
            resume_grade=resume_grade,
        )

    def _end_hold(
        self,
        category: str,
        behind: Any,
        dose: int | None,
        resume: int | None,
        resume_when: str,
        lowest: str,
        values: dict[str, Any],
        not_yet: list[str],
        clinician: bool,
        resume_grade: Any = None,
    ) -> None:
        """A hold of ``category`` ends only on evidence: while anything in ``not_yet`` stands it
        continues; a severe episode leaves the resume to the clinician; otherwise resume.  The
        rules are ``<rule>-hold-continues``, ``<rule>-clinician`` and ``<rule>-resume``."""
        rule = category.replace("_", "-")
        if not_yet:
            values["why"] = "; ".join(not_yet)
            self.e._hold(
                f"{rule}-hold-continues",
                category,
                resume,
                resume_when + (self.rules.clinician.resume_when if clinician else ""),
                lowest,
                values,
                known=dose is not None,
            )
            # a clinician-decided hold names the alternatives at every visit (section 1)
            self._raised_alternatives(clinician)
        elif clinician:
            self._clinician_hold(category, f"{rule}-clinician", resume, values, behind)
        else:
            if resume_grade is not None:
                values["grade"] = resume_grade
            self.e._resume(
                f"{rule}-resume", category, resume, lowest, values, known=dose is not None
            )

    def _clinician_hold(
        self, category: str, rule: str, resume: int | None, values: dict[str, Any], behind: Any
    ) -> None:
        capped = self.e._capped(resume)
        self.e._add(
            Finding(
                rule,
                "hold",
                category=category,
                resume_dose=capped,
                resume_when="the clinician decides whether to resume",
                alternatives=list(self.e.rules.alternatives),
                values={
                    **values,
                    "resume_dose": "unknown" if capped is None else capped,
                    "term": behind.term if behind is not None else "?",
                    "why": f"grade {behind.grade} ({behind.term})" if behind is not None else "",
                },
            )
        )

    # R2 -------------------------------------------------------------------

    def _fluid_grades(self) -> list[tuple[str, str, int | None, bool, bool]]:
        """(term id, term, grade, assessed, present-but-not-gradable) of every fluid term at the
        visit: computed terms, then ``other_events`` of category fluid."""
        grades = self.e.grades
        out: list[tuple[str, str, int | None, bool, bool]] = []
        for tid in self.e.limits.fluid_graded:
            g = grades[tid]
            assessed = not g.absent
            out.append((tid, g.term, g.grade, assessed, assessed and g.grade is None))
        for ev in self.events:
            if ev.category == "fluid":
                out.append((ev.term_id, ev.term, ev.grade, True, False))
        return out

    def _holds(self, tid: str, grade: int) -> bool:
        f = self.rules.fluid
        if tid in f.hold_at_clinician_grade_terms:
            return grade >= f.clinician_from_grade
        return tid in f.holding_terms and grade >= f.hold_from_grade

    def _fluid(self) -> None:
        on_hold = "fluid" in self.e.hold_cats
        grades = self.e.grades
        if not (
            on_hold
            or self.events
            or any(grades[tid].grade is not None for tid in self.e.limits.fluid_graded)
        ):
            return  # no fluid grade, event or hold (most visits): nothing to judge or advise
        f = self.rules.fluid
        found = self._fluid_grades()
        for tid, term, grade, _, _ in found:
            if (
                tid in f.review_only_terms
                and grade is not None
                and grade >= f.hold_from_grade
                and not self._holds(tid, grade)
            ):
                self.e.review.append(("superficial-edema-severe", {"term": term, "grade": grade}))
        holding = [
            (tid, term, g) for tid, term, g, _, _ in found if g is not None and self._holds(tid, g)
        ]
        history = self.e.history_of.get("fluid", [])
        if on_hold:
            behind, dose = self._held_episode("fluid", history)
            resume = self._below(dose) or None if dose is not None else None
            worst = max(holding, key=lambda x: x[2], default=None)
            raised = (
                self._raise("fluid", behind, worst[0], worst[2]) if worst is not None else False
            )
            names = _same_event(behind.term) if behind is not None else set()
            own = [x for x in found if x[0] in names]
            problems: list[str] = []
            if behind is not None and not any(a for _, _, _, a, _ in own):
                problems.append(f"{behind.term} not assessed at this visit")
            for tid, term, g, assessed, unsure in found:
                if not assessed or (tid not in f.holding_terms and tid not in names):
                    continue
                if unsure:
                    problems.append(f"{term} not gradable")
                elif g is not None and g > f.resume_at_most_grade:
                    problems.append(f"{term} still grade {g}")
            current = max((g for t, _, g, _, _ in own if g is not None), default=0)
            self._end_graded_hold(
                "fluid", behind, dose, resume, "a fluid episode", problems, current
            )
            self._raised_alternatives(raised)
            return
        if holding:
            tid, term, grade = max(holding, key=lambda x: x[2])
            self._new_hold("fluid", tid, term, grade, bool(history), "severe fluid retention")
            return
        mild = [(term, g) for _, term, g, _, _ in found if g is not None and g >= 1]
        if mild:
            term, grade = max(mild, key=lambda x: x[1])
            self.e._add(_advice("fluid-supportive-care", "fluid", term=term, grade=grade))

    # R3 -------------------------------------------------------------------

    def _other_nonhematologic(self) -> None:
        on_hold = "other_nonhematologic" in self.e.hold_cats
        if not on_hold and not self.events:
            return  # no event, no hold (most visits): nothing to judge
        o = self.rules.other_nonhematologic
        held_events = []
        for ev in self.events:
            if ev.category == "investigations_or_blood":
                if ev.grade >= o.clinician_from_grade:
                    held_events.append(ev)
                elif ev.grade >= o.hold_from_grade:
                    self.e.review.append(
                        (
                            "lab-or-blood-event-severe",
                            {"term": ev.term, "grade": ev.grade, "soc": ev.soc},
                        )
                    )
            elif ev.category == "other_nonhematologic":
                held_events.append(ev)
        severe = [ev for ev in held_events if ev.grade >= o.hold_from_grade]
        history = self.e.history_of.get("other_nonhematologic", [])
        if on_hold:
            behind, dose = self._held_episode("other_nonhematologic", history)
            resume = self._below(dose) or None if dose is not None else None
            worst_event = max(severe, key=lambda x: x.grade, default=None)
            raised = (
                self._raise("other_nonhematologic", behind, worst_event.term_id, worst_event.grade)
                if worst_event is not None
                else False
            )
            # what the hold's end reads: every event dosed as other_nonhematologic (an
            # Investigations or Blood event at grade 4 too, R3 item 2) and the term behind the
            # hold whatever its category now
            listed = {
                ev.term_id: ev
                for ev in self.events
                if ev in held_events or (behind is not None and ev.term_id == behind.term)
            }
            problems: list[str] = []
            if behind is not None and behind.term not in listed:
                problems.append(f"{behind.term} not listed at this visit")
            for ev in listed.values():
                if ev.grade > o.resume_at_most_grade:
                    problems.append(f"{ev.term} still grade {ev.grade}")
            term = behind.term if behind is not None else "?"
            self._end_graded_hold(
                "other_nonhematologic",
                behind,
                dose,
                resume,
                "an episode",
                problems,
                listed[term].grade if term in listed else "?",
            )
            self._raised_alternatives(raised)
            return
        if severe:
            ev = max(severe, key=lambda x: x.grade)
            self._new_hold(
                "other_nonhematologic", ev.term_id, ev.term, ev.grade, bool(history), ev.term
            )

    # R4, R5 ---------------------------------------------------------------

    def _patient_factors(self) -> None:
        visit = self.e.visit
        for cap in self.caps:
            if not self.e.on_hold and self.e.dose > cap.max_dose_mg:
                if cap.max_dose_mg == 0:
                    self.e._stop(f"a {cap.kind} episode happened at the lowest dose", cap.kind)
                    continue
                self.e._add(
                    Finding(
                        cap.rule,
                        "reduce",
                        category=cap.kind,
                        dose=cap.max_dose_mg,
                        values={**cap.values, "cap": cap.max_dose_mg},
                    )
                )
        start = self.renal_start
        if start is not None and visit.imatinib.starting_dose_mg > start:
            cap = next(c for c in self.caps if c.kind == "renal")
            self.e._add(_advice("renal-start", "renal", start_dose=start, **cap.values))
        if self.renal_band in self.rules.renal.review_bands:
            self.e.review.append(
                ("renal-severe", {"cap": self.renal_cap, "start_dose": self.renal_start})
            )
        if visit.hepatic_impairment in ("mild", "moderate"):
            self.e._add(
                _advice(
                    "hepatic-impairment-advice", "hepatic_impairment", band=visit.hepatic_impairment
                )
            )

    # R8, weight -----------------------------------------------------------

    def _anemia(self) -> None:
        g = self.e.grades.get("anemia")
        if g is not None and g.grade is not None and g.grade >= self.rules.anemia_review_from_grade:
            self.e.review.append(("anemia-severe", {"grade": g.grade}))

    def _weight(self) -> None:
        g = self.e.grades.get("weight_gain")
        if g is not None and g.grade is not None and g.grade >= 1:
            self.e._add(_advice("weight-gain-investigate", "fluid", grade=g.grade))

    # ---------------------------------------------------------------- progression

    def escalation_blockers(self) -> list[str]:
        out: list[str] = []
        for cap in self.caps:
            if cap.kind == "renal" and self.renal_band == "mild":
                continue
            out.append(f"dose cap {cap.max_dose_mg} mg/day ({cap.kind.replace('_', ' ')})")
        hepatic = self.e.history_of.get("hepatic", [])
        if hepatic:
            out.append(f"a hepatotoxicity episode on {hepatic[-1].date.isoformat()}")
        severe = [ev for ev in self.events if ev.grade >= 3]
        if severe:
            out.append(
                "grade >= 3 now: " + ", ".join(f"{ev.term} grade {ev.grade}" for ev in severe)
            )
        codes = {code for code, _ in self.e.review if code in _LABEL_REVIEW}
        if codes:
            out.append("to review: " + ", ".join(sorted(codes)))
        return out

    def escalate_to(self, default: int) -> int:
        target = self.rules.renal.escalate_to_mg.get(self.renal_band or "")
        return min(default, target) if target is not None else default

    # ---------------------------------------------------------------- output

    def caps_json(self, engine_cap: Cap | None) -> list[dict[str, Any]]:
        caps = [*([engine_cap] if engine_cap is not None else []), *self.caps]
        if not caps:  # most visits
            return []
        caps.sort(key=lambda c: (c.max_dose_mg, KIND_ORDER.index(c.kind)))
        out = []
        for cap in caps:
            spec = self.e.rules.rules[cap.rule]
            values = {**cap.values, "cap": cap.max_dose_mg, "dose": self.e.dose}
            lowers = self.e.dose > cap.max_dose_mg
            text = spec.text if lowers or spec.in_force is None else spec.in_force
            out.append(
                {
                    "kind": cap.kind,
                    "max_dose_mg": cap.max_dose_mg,
                    "rule": cap.rule,
                    "source": spec.source,
                    "text": self.e._fill(text, values),
                }
            )
        return out

    def patient_factors(
        self, comedications: list[dict[str, Any]], inducer_dose: int | None
    ) -> dict[str, Any]:
        visit = self.e.visit
        renal = None
        if visit.renal is not None:
            clearance = visit.renal.creatinine_clearance_ml_min
            renal = {
                "creatinine_clearance_ml_min": clearance,
                "dialysis": visit.renal.dialysis,
                "band": self.renal_band,
                "max_dose_mg": self.renal_cap,
                "start_dose_mg": self.renal_start,
            }
        hepatic = None
        if visit.hepatic_impairment is not None:
            hepatic = {
                "class": visit.hepatic_impairment,
                "max_dose_mg": self.rules.hepatic_impairment.severe_max_dose_mg
                if visit.hepatic_impairment == "severe"
                else None,
            }
        return {
            "renal": renal,
            "hepatic_impairment": hepatic,
            "comedications": comedications,
            "cyp3a4_inducer_dose_mg": inducer_dose,
        }


_LIVER_TERMS = {
    "alt": "alanine_aminotransferase_increased",
    "ast": "aspartate_aminotransferase_increased",
    "bilirubin": "blood_bilirubin_increased",
}
_LABEL_REVIEW = frozenset(LABEL_REVIEW_CODES)


def _same_event(term: str) -> set[str]:
    """A history term and its other-version name (NCI maps Edema limbs to Peripheral edema)."""
    pairs = {"edema_limbs": "peripheral_edema", "peripheral_edema": "edema_limbs"}
    return {term, pairs[term]} if term in pairs else {term}


def _advice(rule: str, category: str, **values: Any) -> Any:
    return Finding(rule, "advice", category=category, values=values)
