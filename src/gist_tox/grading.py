"""Grading a visit against the CTCAE term rules: generic over the rule files.

For each term the grade is the highest one whose criteria are met.  A grade is only given when
no higher grade could also be met with the inputs that are missing; otherwise the term is "not
gradable" with the reason, never a silent 0.  Grade 0 means the inputs were there and no grade's
criteria were met.  Skin terms are first routed by morphology (``applies_to``); the bedside
``skin.clinician_grade`` is used only when the findings cannot grade the term, and otherwise
compared, a difference being a warning.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from gist_tox.errors import InputError
from gist_tox.facts import DESCRIBER, FIELDS, Facts, FieldInfo, missing_reason
from gist_tox.ruleset.conditions import MISSING, Lookup, evaluate, fields_read
from gist_tox.ruleset.schema import TermRule
from gist_tox.units import exact, to_json_number
from gist_tox.visit import Visit


@dataclass
class TermGrade:
    """The grade of one term, or why it cannot be given, with everything needed to check it."""

    term_id: str
    term: str
    meddra_code: str
    category: str
    grade: int | None
    rule: str | None
    basis: str
    inputs: dict[str, Any] = field(default_factory=dict)
    source: str | None = None
    ctcae: str | None = None
    not_gradable: str | None = None
    present: bool = False
    """Findings of this adverse event are present (for resolving consequences)."""

    def as_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"grade": self.grade}
        if self.grade is None:
            out["not_gradable"] = self.not_gradable
        out.update(term=self.term, meddra_code=self.meddra_code, rule=self.rule,
                   basis=self.basis, inputs=self.inputs, source=self.source)
        if self.ctcae:
            out["ctcae"] = self.ctcae
        return out


_NO_INFO = FieldInfo("bool", "")


_CONSEQUENCE_ONLY: dict[int, tuple[Any, bool]] = {}


def _consequence_only(condition: Any) -> bool:
    """A criterion met only by a consequence of the event (death): no finding gives it.
    Worked out once per condition object (rules do not change while in use)."""
    known = _CONSEQUENCE_ONLY.get(id(condition))
    if known is None or known[0] is not condition:
        answer = all(FIELDS.get(n, _NO_INFO).per_term for n in fields_read(condition))
        known = _CONSEQUENCE_ONLY[id(condition)] = (condition, answer)
    return known[1]


def _name(term: TermRule) -> str:
    """The term's name inside a sentence: "rash maculo-papular", but "Stevens-Johnson
    syndrome" (a proper name keeps its capital)."""
    name = term.term
    first = name.split()[0]
    return name if "-" in first and first[0].isupper() else name[0].lower() + name[1:]


def rule_id(term: TermRule, what: str) -> str:
    return f"ctcae-{term.ctcae_version}/{term.id}/{what}"


@dataclass
class Grading:
    grades: dict[str, TermGrade]
    warnings: list[str]


def grade_visit(visit: Visit, facts: Facts, terms: list[TermRule], source: str) -> Grading:
    """Grade every term; consequences are first attributed to the adverse event they belong to."""
    warnings: list[str] = list(facts.warnings)
    facts.per_term = {}
    first = {t.id: _grade_term(t, visit, facts) for t in terms}
    # A term graded by the clinician (findings could not grade it) is present too, so that a
    # death attributed to it gives its grade 5.
    seen = dict(first)
    _apply_clinician_grade(visit, facts, terms, seen, [])
    facts.per_term = _attribute_consequences(visit, terms, seen, warnings, source)
    if facts.per_term:
        grades = {t.id: _grade_term(t, visit, facts) for t in terms}
        _apply_clinician_grade(visit, facts, terms, grades, warnings)
    else:
        grades = first
        _apply_clinician_grade(visit, facts, terms, grades, warnings)
    return Grading(grades, warnings)


# --------------------------------------------------------------------------------------------


def _attribute_consequences(
    visit: Visit, terms: list[TermRule], first: dict[str, TermGrade], warnings: list[str],
    source: str,
) -> dict[str, dict[str, bool]]:
    out: dict[str, dict[str, bool]] = {}
    consequences = visit.consequences
    if consequences is None:
        return out
    by_id = {t.id: t for t in terms}
    for name in ("life_threatening", "died"):
        fieldname = f"consequences.{name}"
        value = getattr(consequences, name)
        if value is False:
            continue
        readers = [t for t in terms if any(fieldname in fields_read(g.when) for g in t.grades)]
        if value is True:
            present = [t.id for t in readers if first[t.id].present]
            if len(present) == 1:
                out.setdefault(fieldname, {})[present[0]] = True
            elif not present:
                readers_text = ", ".join(t.id for t in readers) or "none in this version"
                warnings.append(
                    f"{fieldname} is true but no adverse event at this visit that it grades is"
                    f" present (it grades: {readers_text}); no grade was given from it"
                )
            else:
                raise InputError(
                    source,
                    f"true is ambiguous: it could belong to {', '.join(present)}; list the term"
                    f" id(s) it belongs to instead, e.g. [{present[0]}]",
                    field=fieldname, code="visit.ambiguous",
                )
            continue
        ids = [value] if isinstance(value, str) else value
        for term_id in ids:
            if term_id not in by_id:
                warnings.append(
                    f"{fieldname} names {term_id!r}, which is not a CTCAE"
                    f" v{terms[0].ctcae_version if terms else '?'} term here; no grade from it"
                )
            elif by_id[term_id] not in readers:
                warnings.append(f"{fieldname} names {term_id!r}, whose CTCAE criteria do not use"
                                " it; no grade from it")
            elif not first[term_id].present and first[term_id].grade is None:
                # Unknown is not absent: say why the event cannot be told from the findings.
                warnings.append(f"{fieldname} names {term_id!r}, whose findings cannot be graded"
                                f" at this visit ({first[term_id].not_gradable}); no grade from it")
            elif not first[term_id].present:
                warnings.append(f"{fieldname} names {term_id!r}, which is not present at this"
                                " visit; no grade from it")
            else:
                out.setdefault(fieldname, {})[term_id] = True
    return out


_TERM_INPUTS: dict[int, tuple[TermRule, list[str]]] = {}


def term_inputs(term: TermRule) -> list[str]:
    """Every input a term's rule reads (routing, presence, grades), worked out once per rule."""
    known = _TERM_INPUTS.get(id(term))
    if known is not None and known[0] is term:
        return known[1]
    names: list[str] = []
    for route in term.applies_to or []:
        names.append("skin.morphology")
        if route.when is not None:
            names.extend(fields_read(route.when))
    if term.present_when is not None:
        names.extend(fields_read(term.present_when))
    for grade in term.grades:
        names.extend(fields_read(grade.when))
    result = list(dict.fromkeys(names))
    _TERM_INPUTS[id(term)] = (term, result)
    return result


def _inputs(term: TermRule, lookup: Lookup, facts: Facts) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name in term_inputs(term):
        value = lookup(name)
        if value is MISSING:
            continue
        info = FIELDS.get(name)
        if info is not None and info.per_term and value is False:
            continue
        if isinstance(value, bool | str):
            out[name] = value
        else:
            shown: dict[str, Any] = {"value": to_json_number(exact(value))}
            if info is not None and info.unit:
                shown["unit"] = {"x10^9/L": "10^9/L", "% BSA": "%"}.get(info.unit, info.unit)
            if name in facts.notes:
                shown["note"] = facts.notes[name]
            out[name] = shown if len(shown) > 1 else shown["value"]
    return out


def _grade_term(term: TermRule, visit: Visit, facts: Facts) -> TermGrade:
    lookup = facts.lookup_for(term.id)
    inputs = _inputs(term, lookup, facts)

    def result(grade: int | None, what: str | None, basis: str, **extra: Any) -> TermGrade:
        return TermGrade(
            term_id=term.id, term=term.term, meddra_code=term.meddra_code,
            category=term.category, grade=grade,
            rule=rule_id(term, what) if what else None, basis=basis, inputs=inputs, **extra,
        )

    def not_gradable(reason: str, present: bool = False) -> TermGrade:
        return result(None, None, reason, not_gradable=reason, present=present,
                      source=term.source)

    if term.applies_to is not None:
        routed = _route(term, visit, lookup)
        if routed is not None:
            return routed if isinstance(routed, TermGrade) else (
                not_gradable(routed[1]) if routed[0] is None
                else result(0, "grade-0", routed[1], source=term.source)
            )

    present = True
    if term.present_when is not None:
        outcome = evaluate(term.present_when, lookup, DESCRIBER)
        if outcome.value is None:
            # Findings unknown, but a death attributed to this event still is its grade 5.
            for criterion in sorted(term.grades, key=lambda g: -g.grade):
                if _consequence_only(criterion.when):
                    given = evaluate(criterion.when, lookup, DESCRIBER)
                    if given.value is True:
                        return result(criterion.grade, f"grade-{criterion.grade}",
                                      "; ".join(given.because), source=criterion.source,
                                      ctcae=criterion.ctcae, present=True)
            return not_gradable("; ".join(missing_reason(m) for m in outcome.missing))
        if outcome.value is False:
            return result(0, "grade-0", term.absent_basis or f"no {_name(term)} found",
                          source=term.source)

    unknown_above: list[tuple[int, list[str]]] = []
    failures: list[tuple[int, int]] = []
    for criterion in sorted(term.grades, key=lambda g: -g.grade):
        outcome = evaluate(criterion.when, lookup, DESCRIBER)
        if outcome.value is True:
            basis = "; ".join(outcome.because)
            if unknown_above:
                higher = ", ".join(str(g) for g, _ in unknown_above)
                reasons = "; ".join(
                    dict.fromkeys(missing_reason(m) for _, ms in unknown_above for m in ms))
                return not_gradable(
                    f"at least grade {criterion.grade} ({basis}), but grade {higher} cannot be"
                    f" ruled out: {reasons}", present=True)
            return result(criterion.grade, f"grade-{criterion.grade}", basis,
                          source=criterion.source, ctcae=criterion.ctcae, present=True)
        if outcome.value is None:
            unknown_above.append((criterion.grade, outcome.missing))
        elif not _consequence_only(criterion.when):
            # A grade given only by a consequence (death) is never a "nearest" cell of findings.
            failures.append((criterion.grade, outcome.failed_leaves))
    if unknown_above:
        reasons = "; ".join(dict.fromkeys(missing_reason(m) for _, ms in unknown_above for m in ms))
        return not_gradable(reasons)
    if term.present_when is not None and present:
        fewest = min((f for _, f in failures), default=0)
        nearest = sorted(g for g, f in failures if f == fewest)
        shown = ", ".join(f"{k}={_plain(v)}" for k, v in inputs.items())
        return not_gradable(
            f"findings fit no CTCAE v{term.ctcae_version} cell of {term.term} ({shown}); nearest"
            f" grade(s): {', '.join(map(str, nearest))}; a clinician grade (skin.clinician_grade)"
            " can settle it", present=True)
    shown = "; ".join(f"{DESCRIBER.label(k)} {_plain(v)}" for k, v in inputs.items())
    return result(0, "grade-0", f"no grade's criteria met ({shown})" if shown else
                  "no grade's criteria met", source=term.source)


def _plain(value: Any) -> str:
    if isinstance(value, dict):
        unit = {"10^9/L": "x10^9/L"}.get(value.get("unit", ""), value.get("unit", ""))
        return f"{value['value']}{'' if unit == '%' else ' '}{unit}".strip()
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def _route(
    term: TermRule, visit: Visit, lookup: Lookup
) -> tuple[int | None, str] | None:
    """Decide whether the skin findings are graded under ``term``.

    Returns ``None`` to grade the term, ``(0, basis)`` for grade 0, ``(None, reason)`` when it
    cannot be told.
    """
    skin = visit.skin
    if skin is None:
        return None, "skin findings absent (no skin section)"
    if skin.morphology is None:
        # "No rash" only from an extent given as 0 (or a bedside grade of 0): an extent left out
        # next to a bedside grade above 0 is a reaction whose term cannot be told, never a 0.
        no_extent = skin.bsa_percent == 0 or (skin.bsa_percent is None
                                              and skin.clinician_grade == 0)
        if not no_extent or skin.detachment_bsa_percent > 0 or (skin.clinician_grade or 0) > 0:
            return None, "skin morphology missing (skin.morphology): cannot tell which CTCAE term"
        return 0, "skin examined, no rash"
    unknown: list[str] = []
    for route in term.applies_to or []:
        if route.morphology != skin.morphology:
            continue
        if route.when is None:
            return None
        outcome = evaluate(route.when, lookup, DESCRIBER)
        if outcome.value is True:
            return None
        if outcome.value is None:
            unknown.extend(outcome.missing)
    if unknown:
        return None, (f"{'; '.join(missing_reason(m) for m in dict.fromkeys(unknown))}: cannot"
                      f" tell whether the {skin.morphology} eruption is graded as {term.term}")
    return 0, f"skin examined, no {_name(term)} (morphology: {skin.morphology})"


def _apply_clinician_grade(
    visit: Visit, facts: Facts, terms: list[TermRule], grades: dict[str, TermGrade],
    warnings: list[str],
) -> None:
    skin = visit.skin
    if skin is None or skin.clinician_grade is None or skin.morphology is None:
        return
    given = skin.clinician_grade
    routed = [t for t in terms if _graded_under_morphology(t, facts.lookup_for(t.id), skin)]
    if not routed:
        return
    computed = [grades[t.id] for t in routed if grades[t.id].grade is not None]
    if computed:
        worst = max(computed, key=lambda g: g.grade or 0)
        by_death = any(g.grade == worst.grade and _consequence_only(g.when)
                       for t in routed if t.id == worst.term_id for g in t.grades)
        if worst.grade != given and not by_death:  # a bedside grade describes findings
            warnings.append(
                f"skin.clinician_grade {given} differs from the computed {worst.term} grade"
                f" {worst.grade} ({worst.basis}); the computed grade is used — please review"
            )
        return
    # Which term the bedside grade belongs to must not be guessed: when the routing itself is
    # unknown (an exfoliative eruption of unknown extent), it is placed only on the one term
    # that has such a grade.  Grade 5 is only ever given from consequences.died.
    def bedside_grades(term: TermRule) -> set[int]:
        return {g.grade for g in term.grades if not _consequence_only(g.when)} | {0}

    placeable = [t for t in routed if given in bedside_grades(t)]
    if len(placeable) != 1:
        version = routed[0].ctcae_version
        outcome = "could not be used"
        if given == 5 or any(g.grade == given for t in routed for g in t.grades
                             if _consequence_only(g.when)):
            why = f"grade {given} is given only from consequences.died"
        elif len(routed) == 1:
            why = (f"{given} is not a grade of {routed[0].term} in CTCAE v{version}"
                   f" (grades {sorted(bedside_grades(routed[0]))})")
        else:
            names = " or ".join(t.term for t in routed)
            which = "more than one of them" if placeable else "none of them"
            why = (f"the {skin.morphology} findings may be graded as {names}, and grade"
                   f" {given} exists for {which} in CTCAE v{version}")
            outcome = "could not be placed"
        warnings.append(f"skin.clinician_grade {given} {outcome}: {why}")
        return
    for term in placeable:
        current = grades[term.id]
        criterion = next((g for g in term.grades if g.grade == given), None)
        grades[term.id] = TermGrade(
            term_id=term.id, term=term.term, meddra_code=term.meddra_code,
            category=term.category, grade=given, rule=rule_id(term, "clinician"),
            basis=f"clinician grade {given} (skin.clinician_grade); the findings cannot grade it:"
                  f" {current.not_gradable}",
            inputs={**current.inputs, "skin.clinician_grade": given},
            source=criterion.source if criterion else term.source,
            ctcae=criterion.ctcae if criterion else None, present=given > 0,
        )


def _graded_under_morphology(term: TermRule, lookup: Lookup, skin: Any) -> bool:
    """The examined morphology is (or may be, when the routing input is missing) graded under
    ``term``; a term the morphology routes elsewhere is not."""
    for route in term.applies_to or []:
        if route.morphology != skin.morphology:
            continue
        if route.when is None or evaluate(route.when, lookup, DESCRIBER).value is not False:
            return True
    return False
