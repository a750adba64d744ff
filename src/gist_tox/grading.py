"""Grading a visit against the CTCAE term rules: generic over the rule files.

For each term the grade is the highest one whose criteria are met.  A grade is only given when
no higher grade could also be met with the inputs that are missing; otherwise the term is "not
gradable" with the reason, never a silent 0.  Grade 0 means the inputs were there and no grade's
criteria were met.  Skin terms are first routed by morphology (``applies_to``); the bedside
``skin.clinician_grade`` is used only when the findings cannot grade the term, and otherwise
compared, a difference being a warning.
"""

from __future__ import annotations

from collections.abc import Mapping
from fractions import Fraction
from functools import lru_cache
from typing import Any

from gist_tox.errors import InputError
from gist_tox.facts import DESCRIBER, FIELDS, Facts, FieldInfo, missing_reason
from gist_tox.ruleset.conditions import (
    MISSING,
    Compiled,
    Record,
    Test,
    Truth,
    compile_condition,
    fields_read,
)
from gist_tox.ruleset.schema import GradeCriterion, GradeGap, TermRule
from gist_tox.units import exact, show, to_json_number
from gist_tox.visit import Skin, Visit


class TermGrade(Record):
    """The grade of one term, or why it cannot be given, with everything needed to check it.

    ``present``: findings of this adverse event are present (for resolving consequences)."""

    __slots__ = (
        "absent",
        "basis",
        "category",
        "ctcae",
        "grade",
        "inputs",
        "meddra_code",
        "not_gradable",
        "present",
        "rule",
        "source",
        "term",
        "term_id",
    )

    def __init__(
        self,
        term_id: str,
        term: str,
        meddra_code: str,
        category: str,
        grade: int | None,
        rule: str | None,
        basis: str,
        inputs: dict[str, Any] | None = None,
        source: str | None = None,
        ctcae: str | None = None,
        not_gradable: str | None = None,
        present: bool = False,
        absent: bool = False,
    ) -> None:
        self.term_id = term_id
        self.term = term
        self.meddra_code = meddra_code
        self.category = category
        self.grade = grade
        self.rule = rule
        self.basis = basis
        self.inputs: dict[str, Any] = {} if inputs is None else inputs
        self.source = source
        self.ctcae = ctcae
        self.not_gradable = not_gradable
        self.present = present
        self.absent = absent
        """A term of visit format extension A whose input section is not in the visit."""

    def as_json(self) -> dict[str, Any]:
        # One dict display per shape (made at its final size at once), not a key at a time.
        out: dict[str, Any]
        if self.grade is None:
            out = {
                "grade": None,
                "not_gradable": self.not_gradable,
                "term": self.term,
                "meddra_code": self.meddra_code,
                "rule": self.rule,
                "basis": self.basis,
                "inputs": self.inputs,
                "source": self.source,
            }
        else:
            out = {
                "grade": self.grade,
                "term": self.term,
                "meddra_code": self.meddra_code,
                "rule": self.rule,
                "basis": self.basis,
                "inputs": self.inputs,
                "source": self.source,
            }
        if self.ctcae:
            out["ctcae"] = self.ctcae
        return out


_NO_INFO = FieldInfo("bool", "")


def _consequence_only(condition: Any) -> bool:
    """A criterion met only by a consequence of the event (death): no finding gives it."""
    return all(FIELDS.get(n, _NO_INFO).per_term for n in fields_read(condition))


def _name(term: TermRule) -> str:
    """The term's name inside a sentence: "rash maculo-papular", but "Stevens-Johnson
    syndrome" (a proper name keeps its capital)."""
    name = term.term
    first = name.split()[0]
    return name if "-" in first and first[0].isupper() else name[0].lower() + name[1:]


def rule_id(term: TermRule, what: str) -> str:
    return f"ctcae-{term.ctcae_version}/{term.id}/{what}"


class Grading(Record):
    """``died_event``: the ``other_events`` id that ``consequences.died: true`` belongs to."""

    __slots__ = ("died_event", "grades", "warnings")

    def __init__(
        self, grades: dict[str, TermGrade], warnings: list[str], died_event: str | None = None
    ) -> None:
        self.grades = grades
        self.warnings = warnings
        self.died_event = died_event


def grade_visit(
    visit: Visit,
    facts: Facts,
    plans: Mapping[str, Plan],
    source: str,
    listed: set[str] | frozenset[str] = frozenset(),
    died_listed: tuple[str, ...] = (),
) -> Grading:
    """Grade every term (``plans``: the rule set's, one per term in its order); consequences are
    first attributed to the adverse event they belong to.  ``died_listed``: the ``other_events``
    ids, in visit order, whose term has a grade 5 (candidates of ``died: true``)."""
    warnings: list[str] = list(facts.warnings)
    # Every term reads the same values unless a consequence is attributed to it (``own``).
    values = facts.term_values()
    own: Mapping[str, Mapping[str, Any]] = {}
    skin, notes = visit.skin, facts.notes
    grades = {i: _grade_term(plan, values, notes, skin) for i, plan in plans.items()}
    died_event = None
    if visit.consequences is not None:
        # A term graded by the clinician (findings could not grade it) is present too, so that
        # a death attributed to it gives its grade 5.
        seen = dict(grades)
        _apply_clinician_grade(skin, values, own, plans, seen, [])
        per_term = _attribute_consequences(
            visit, plans, seen, warnings, source, listed, died_listed
        )
        died_event = next((i for i in per_term.get("consequences.died", ()) if i in listed), None)
        if per_term:
            # Only a term a consequence is attributed to reads anything new: the others' grades
            # stand (``values_for`` gives them the same values).
            own = facts.values_for(plans, per_term)
            for i, plan in plans.items():
                if any(i in owners for owners in per_term.values()):
                    grades[i] = _grade_term(plan, own[i], notes, skin)
    _apply_clinician_grade(skin, values, own, plans, grades, warnings)
    for plan in plans.values():
        for warning in plan.warnings:
            if warning.holds(own.get(plan.term_id, values)):
                warnings.append(warning.text)
    if visit.fluid is not None:
        terms = [plan.term for plan in plans.values()]
        _apply_fluid_clinician_grades(visit, terms, grades, warnings)
        if terms and terms[0].ctcae_version == "6.0":
            _v6_fluid_warnings(visit, warnings)
    return Grading(grades, warnings, died_event)


# --------------------------------------------------------------------------------------------


def _attribute_consequences(
    visit: Visit,
    plans: Mapping[str, Plan],
    first: dict[str, TermGrade],
    warnings: list[str],
    source: str,
    listed: set[str] | frozenset[str] = frozenset(),
    died_listed: tuple[str, ...] = (),
) -> dict[str, dict[str, bool]]:
    """Which term each consequence belongs to (a visit with ``consequences``; ``first``: each
    term's grade without them).  ``listed``: the ``other_events`` ids (their own consequences
    are read there), of which ``died_listed`` are candidates of ``died: true`` (extension A,
    "Consequences")."""
    out: dict[str, dict[str, bool]] = {}
    consequences = visit.consequences
    assert consequences is not None
    # A term of the extension whose inputs are absent is treated as not graded at this visit,
    # so that a visit valid before the extension keeps its warnings word for word.
    terms = [p.term for p in plans.values() if not first[p.term.id].absent]
    grade_reads = {p.term.id: p.grade_reads for p in plans.values()}
    by_id = {t.id: t for t in terms}
    for name in ("life_threatening", "died"):
        fieldname = f"consequences.{name}"
        value = getattr(consequences, name)
        if value is False:
            continue
        readers = [t for t in terms if fieldname in grade_reads[t.id]]
        if value is True:
            present = [t.id for t in readers if _candidate(first[t.id])]
            if name == "died":
                present += died_listed
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
                    field=fieldname,
                    code="visit.ambiguous",
                )
            continue
        ids = [value] if isinstance(value, str) else value
        for term_id in ids:
            if term_id in listed:
                continue
            if term_id not in by_id:
                warnings.append(
                    f"{fieldname} names {term_id!r}, which is not a CTCAE"
                    f" v{terms[0].ctcae_version if terms else '?'} term here; no grade from it"
                )
            elif by_id[term_id] not in readers:
                warnings.append(
                    f"{fieldname} names {term_id!r}, whose CTCAE criteria do not use"
                    " it; no grade from it"
                )
            elif not _candidate(first[term_id]) and first[term_id].grade is None:
                # Unknown is not absent: say why the event cannot be told from the findings.
                warnings.append(
                    f"{fieldname} names {term_id!r}, whose findings cannot be graded"
                    f" at this visit ({first[term_id].not_gradable}); no grade from it"
                )
            elif not _candidate(first[term_id]):
                warnings.append(
                    f"{fieldname} names {term_id!r}, which is not present at this"
                    " visit; no grade from it"
                )
            else:
                out.setdefault(fieldname, {})[term_id] = True
    return out


def _candidate(graded: TermGrade) -> bool:
    """Whether a consequence can belong to the term: its finding is present. Anemia is present
    whenever its input is (a hemoglobin, or the red-cell transfusion flag; extension A,
    "Consequences"): a life-threatening anemia need not have a low value at this visit."""
    return graded.present or (graded.category == "anemia" and not graded.absent)


def term_inputs(term: TermRule) -> list[str]:
    """Every input a term's rule reads (routing, presence, grades)."""
    names: list[str] = []
    for route in term.applies_to or []:
        names.append("skin.morphology")
        if route.when is not None:
            names.extend(fields_read(route.when))
    if term.present_when is not None:
        names.extend(fields_read(term.present_when))
    for grade in term.grades:
        names.extend(fields_read(grade.when))
    for gap in term.gaps:
        names.extend(fields_read(gap.when))
    for warning in term.warnings:
        names.extend(fields_read(warning.when))
    return list(dict.fromkeys(names))


_JSON_UNITS = {"x10^9/L": "10^9/L", "% BSA": "%"}


class _Input(Record):
    """An input a term reads, with what is needed to report it: whether it is a consequence
    of one event (``per_term``), the unit written in JSON (``None`` if it has none), its label."""

    __slots__ = ("label", "name", "per_term", "unit")

    def __init__(self, name: str, per_term: bool, unit: str | None, label: str) -> None:
        self.name = name
        self.per_term = per_term
        self.unit = unit
        self.label = label


class _Criterion(Record):
    """A grade's criterion with its rule id; ``test`` is its condition compiled, which is done
    at the first use (a grade below the one met is not evaluated, so some never are)."""

    __slots__ = (
        "compiled",
        "consequence_only",
        "count_failed",
        "criterion",
        "ctcae",
        "grade",
        "rule",
        "source",
        "test",
    )

    def __init__(
        self, criterion: GradeCriterion, rule: str, consequence_only: bool, count_failed: bool
    ) -> None:
        self.criterion = criterion
        self.grade = criterion.grade
        self.source = criterion.source
        self.ctcae = criterion.ctcae
        """The criterion's fields a grade repeats, as plain attributes (see ``Plan.term_id``)."""
        self.count_failed = count_failed
        """Whether grading reads the failed leaves (the nearest cells of a present finding)."""
        self.compiled: Compiled | None = None
        self.test: Test = self._compile_then_test
        self.rule = rule
        self.consequence_only = consequence_only

    def _compile_then_test(self, values: Mapping[str, Any]) -> Truth:
        self.compiled = compile_condition(self.criterion.when, self.count_failed)
        self.test = self.compiled.test
        return self.test(values)

    def because(self, values: Mapping[str, Any]) -> str:
        """The basis text of a criterion that holds: the facts that met it (asked only of the
        one criterion whose basis is shown), from the same compiled condition."""
        if self.compiled is None:
            self.compiled = compile_condition(self.criterion.when, self.count_failed)
        return "; ".join(self.compiled.explain(values, DESCRIBER))


class _Warning(Record):
    """A term's own warning: its text, and its condition compiled."""

    __slots__ = ("reads", "test", "text", "unread")

    def __init__(self, when: Any, text: str) -> None:
        self.test = _compile(when).test
        self.text = text
        self.reads = frozenset(fields_read(when))
        self.unread = self.test({})[0] is True
        """Whether it holds for a visit without any input it reads (a condition reads its
        inputs by name only, so every such visit gives the value it gives for no input)."""

    def holds(self, values: Mapping[str, Any]) -> bool:
        """Whether the warning is given for ``values``.  Most visits have none of its inputs
        (anemia's reads the hemoglobin, an extension section): the answer is then known."""
        if values.keys().isdisjoint(self.reads):
            return self.unread
        return self.test(values)[0] is True


def _plain_suffix(unit: str | None) -> str:
    """The text ``_plain`` writes after a number in ``unit`` (``None``: no unit)."""
    if unit is None:
        return ""
    shown = {"10^9/L": "x10^9/L"}.get(unit, unit)
    return f"{'' if shown == '%' else ' '}{shown}"


class Plan(Record):
    """What grading a term needs from its rule, worked out once when the rules are loaded
    (:func:`plan_terms`; kept by the rule set, never cached on disk): the term; criteria,
    highest grade first; ``present_when``; for skin terms each morphology graded under the term
    with its condition (else ``None``); the inputs to report; the rule id of grade 0.
    Presence and routing conditions are compiled with the plan, criteria at their first use."""

    __slots__ = (
        "absent_basis",
        "absent_reason",
        "category",
        "cell_reads",
        "criteria",
        "gaps",
        "grade_0",
        "grade_reads",
        "in_sentence",
        "inputs",
        "meddra_code",
        "name",
        "outside_reported",
        "present",
        "reported",
        "routes",
        "section_inputs",
        "shown_as",
        "source",
        "term",
        "term_id",
        "true_inputs",
        "warnings",
    )

    def __init__(
        self,
        term: TermRule,
        criteria: tuple[_Criterion, ...],
        present: Compiled | None,
        routes: tuple[tuple[str, Compiled | None], ...] | None,
        inputs: tuple[_Input, ...],
        grade_0: str,
        gaps: tuple[tuple[Compiled, GradeGap], ...] = (),
        warnings: tuple[_Warning, ...] = (),
    ) -> None:
        self.term = term
        self.term_id = term.id
        self.name = term.term
        self.meddra_code = term.meddra_code
        self.category = term.category
        self.source = term.source
        """The term's fields every grade repeats, as plain attributes: reading a field of a
        rule (a pydantic model) costs several times more, and 17 grades are made per visit."""
        self.in_sentence = _name(term)
        """The term's name inside a sentence (see ``_name``)."""
        self.absent_basis = term.absent_basis or f"no {self.in_sentence} found"
        """The basis of grade 0 when ``present_when`` is false."""
        self.gaps = gaps
        """The term's holes between cells (``rules``' ``gaps``), each with its condition."""
        self.cell_reads = {g.grade: frozenset(fields_read(g.when)) for g in term.grades}
        """Per grade, the inputs its cell reads (which findings a higher cell records: the
        dosing rules' review)."""
        self.warnings = warnings
        """The term's own warnings, each with its condition."""
        self.grade_reads = frozenset(n for g in term.grades for n in fields_read(g.when))
        """The inputs the term's grades read (which consequences can grade it)."""
        self.criteria = criteria
        self.present = present
        self.routes = routes
        self.inputs = inputs
        self.reported = tuple((i.name, i.per_term, i.unit) for i in inputs)
        """``inputs`` as plain tuples, quicker to unpack for every term of every visit."""
        self.shown_as = {i.name: (i.label, _plain_suffix(i.unit)) for i in inputs}
        """Per input: its label, and the text after the number (``_plain``'s unit)."""
        self.grade_0 = grade_0
        own = [i.name for i in inputs if not i.per_term]
        self.section_inputs = tuple(n for n in own if not n.startswith("consequences."))
        self.true_inputs = tuple(n for n in own if n.startswith("consequences."))
        """A term of the extension is absent when no ``section_inputs`` is in the visit and no
        ``true_inputs`` is true (a consequence counts only when true)."""
        self.outside_reported = tuple(r for r in self.reported if r[0] not in self.section_inputs)
        """What the term can report when no ``section_inputs`` is in the visit (its
        consequences): the ten or so inputs of a fluid or skin term need not be looked up on
        every visit without that section."""
        self.absent_reason = (
            missing_reason(inputs[0].name)
            if term.category in EXTENSION_CATEGORIES and inputs
            else None
        )
        """Why an absent term of the extension is not gradable (``None``: never absent): the
        first input its rule reads is its section's (present_when, or the measurement)."""


def plan_terms(terms: list[TermRule]) -> dict[str, Plan]:
    """The plan of every term, by id, in the rule set's order."""
    return {term.id: _plan(term) for term in terms}


def _plan(term: TermRule) -> Plan:
    inputs = []
    for name in term_inputs(term):
        info = FIELDS.get(name)
        unit = _JSON_UNITS.get(info.unit, info.unit) if info is not None and info.unit else None
        inputs.append(_Input(name, info is not None and info.per_term, unit, DESCRIBER.label(name)))
    return Plan(
        term=term,
        criteria=tuple(
            _Criterion(
                g,
                rule_id(term, f"grade-{g.grade}"),
                _consequence_only(g.when),
                # Failed leaves give the nearest cells of a present finding that fits none.
                count_failed=term.present_when is not None,
            )
            for g in sorted(term.grades, key=lambda g: -g.grade)
        ),
        present=None if term.present_when is None else _compile(term.present_when),
        routes=None
        if term.applies_to is None
        else tuple(
            (r.morphology, None if r.when is None else _compile(r.when)) for r in term.applies_to
        ),
        inputs=tuple(inputs),
        grade_0=rule_id(term, "grade-0"),
        gaps=tuple((_compile(g.when), g) for g in term.gaps),
        warnings=tuple(_Warning(w.when, w.text) for w in term.warnings),
    )


def _compile(condition: Any) -> Compiled:
    """A presence, routing, gap or warning condition: only its value and missing inputs are
    read, never its count of failed leaves."""
    return compile_condition(condition, count_failed=False)


def _inputs(
    reported: tuple[tuple[str, bool, str | None], ...],
    values: Mapping[str, Any],
    notes: Mapping[str, str],
) -> dict[str, Any]:
    """The inputs a grade reports (``reported``: a plan's, see ``Plan.reported``)."""
    out: dict[str, Any] = {}
    for name, per_term, unit in reported:
        value = values.get(name, MISSING)
        if value is MISSING or (per_term and value is False):
            continue
        # Numbers are Fractions (``facts``): tested first, as ``isinstance`` costs more.
        if type(value) is Fraction:
            number = to_json_number(value)
        elif isinstance(value, bool | str):
            out[name] = value
            continue
        else:
            number = to_json_number(exact(value))
        note = notes.get(name)
        if unit is None:
            out[name] = number if note is None else {"value": number, "note": note}
        elif note is None:
            out[name] = {"value": number, "unit": unit}
        else:
            out[name] = {"value": number, "unit": unit, "note": note}
    return out


def _result(plan: Plan, inputs: dict[str, Any], basis: str) -> TermGrade:
    """Grade 0 from the term's own rule."""
    return TermGrade(
        plan.term_id,
        plan.name,
        plan.meddra_code,
        plan.category,
        0,
        plan.grade_0,
        basis,
        inputs,
        plan.source,
    )


def _not_gradable(
    plan: Plan, inputs: dict[str, Any], reason: str, present: bool = False, absent: bool = False
) -> TermGrade:
    return TermGrade(
        plan.term_id,
        plan.name,
        plan.meddra_code,
        plan.category,
        None,
        None,
        reason,
        inputs,
        plan.source,
        None,
        reason,
        present,
        absent,
    )


def _met(plan: Plan, inputs: dict[str, Any], met: _Criterion, basis: str) -> TermGrade:
    return TermGrade(
        plan.term_id,
        plan.name,
        plan.meddra_code,
        plan.category,
        met.grade,
        met.rule,
        basis,
        inputs,
        met.source,
        met.ctcae,
        None,
        True,
    )


def _grade_term(
    plan: Plan, values: Mapping[str, Any], notes: Mapping[str, str], skin: Skin | None
) -> TermGrade:
    """Grade one term from ``values`` (what its rule reads, see ``Facts.values_for``; ``notes``:
    the facts'); ``skin``: the visit's section, which routes the skin terms."""
    term = plan.term
    # A missing input is an absent key (``Facts.values_for``).
    if values.keys().isdisjoint(plan.section_inputs):
        inputs = _inputs(plan.outside_reported, values, notes) if plan.outside_reported else {}
        # Without its section, an extension term is absent unless a consequence it reads is
        # true (they are yes/no: ``True in`` is a test for one that is true).
        reason = plan.absent_reason
        if reason is not None and True not in map(values.get, plan.true_inputs):
            return _not_gradable(plan, inputs, reason, absent=True)
    else:
        inputs = _inputs(plan.reported, values, notes)

    if plan.routes is not None:
        routed = _route(plan, skin, values)
        if routed is not None:
            if routed[0] is None:
                return _not_gradable(plan, inputs, routed[1])
            return _result(plan, inputs, routed[1])

    if plan.present is not None:
        present, missing, _ = plan.present.test(values)
        if present is None:
            # Findings unknown, but a death attributed to this event still is its grade 5.
            for met in plan.criteria:
                if met.consequence_only and met.test(values)[0] is True:
                    return _met(plan, inputs, met, met.because(values))
            return _not_gradable(plan, inputs, "; ".join(missing_reason(m) for m in missing))
        if present is False:
            return _result(plan, inputs, plan.absent_basis)

    # Findings in a hole between two cells: only a grade at or above the hole can be met.
    gap = (
        next((g for test, g in plan.gaps if test.test(values)[0] is True), None)
        if plan.gaps
        else None
    )
    unknown_above: list[tuple[int, tuple[str, ...]]] = []
    failures: list[tuple[int, int]] = []
    for met in plan.criteria:
        if gap is not None and met.grade < gap.between[1]:
            break
        value, missing, failed = met.test(values)
        if value is True:
            basis = met.because(values)
            if unknown_above:
                higher = ", ".join(str(g) for g, _ in unknown_above)
                reasons = "; ".join(
                    dict.fromkeys(missing_reason(m) for _, ms in unknown_above for m in ms)
                )
                return _not_gradable(
                    plan,
                    inputs,
                    f"at least grade {met.grade} ({basis}), but grade {higher} cannot"
                    f" be ruled out: {reasons}",
                    present=True,
                )
            return _met(plan, inputs, met, basis)
        if value is None:
            unknown_above.append((met.grade, missing))
        elif met.count_failed and not met.consequence_only:
            # A grade given only by a consequence (death) is never a "nearest" cell of findings.
            failures.append((met.grade, failed))
    if gap is not None:
        low, high = gap.between
        unknown = "".join(
            dict.fromkeys(f"; {missing_reason(m)}" for _, ms in unknown_above for m in ms)
        )
        return _not_gradable(
            plan,
            inputs,
            f"findings fit no CTCAE v{term.ctcae_version} cell of {term.term}: {gap.reason};"
            f" nearest grades {low} and {high}{unknown}{_settled_by(term)}",
            present=True,
        )
    if unknown_above:
        reasons = "; ".join(dict.fromkeys(missing_reason(m) for _, ms in unknown_above for m in ms))
        return _not_gradable(plan, inputs, reasons)
    if plan.present is not None:
        fewest = min((f for _, f in failures), default=0)
        nearest = sorted(g for g, f in failures if f == fewest)
        shown = ", ".join(f"{k}={_plain(v)}" for k, v in inputs.items())
        return _not_gradable(
            plan,
            inputs,
            f"findings fit no CTCAE v{term.ctcae_version} cell of {term.term} ({shown}); nearest"
            f" grade(s): {', '.join(map(str, nearest))}{_settled_by(term)}",
            present=True,
        )
    shown = _shown_inputs(plan, inputs)
    return _result(
        plan,
        inputs,
        f"no grade's criteria met ({shown})" if shown else "no grade's criteria met",
    )


EXTENSION_CATEGORIES = frozenset({"hepatic", "fluid", "anemia", "weight"})
"""Categories of the terms visit format extension A added: absent inputs make them "absent"."""


_SETTLED_BY = {
    "skin": "; a clinician grade (skin.clinician_grade) can settle it",
    "hepatic": "; the clinician grades it",
}


def _settled_by(term: TermRule) -> str:
    """What can settle a term that fits no cell, for its not-gradable reason."""
    if term.id in FLUID_SUBSECTIONS:
        field = f"fluid.{FLUID_SUBSECTIONS[term.id]}.clinician_grade"
        return f"; a clinician grade ({field}) can settle it"
    return _SETTLED_BY.get(term.category, "")


def _shown_inputs(plan: Plan, inputs: dict[str, Any]) -> str:
    """``label value unit; ...`` for a grade 0 basis: what ``_plain`` gives after each input's
    label, with the label and the unit's text worked out once per rule (``plan.shown_as``)."""
    parts = []
    for name, value in inputs.items():
        label, suffix = plan.shown_as[name]
        if type(value) is dict:
            number = f"{_number(value['value'])}{suffix}".strip()
            parts.append(f"{label} {number}")
        else:
            parts.append(f"{label} {_plain(value)}")
    return "; ".join(parts)


def _plain(value: Any) -> str:
    if isinstance(value, dict):
        unit = {"10^9/L": "x10^9/L"}.get(value.get("unit", ""), value.get("unit", ""))
        return f"{_number(value['value'])}{'' if unit == '%' else ' '}{unit}".strip()
    if isinstance(value, bool):
        return "yes" if value else "no"
    return _number(value)


def _number(value: Any) -> str:
    """A number as every basis shows it (``units.show``: exact up to six decimals, else rounded
    to two and marked "~"); a ratio such as 15/21 x ULN is never printed as 0.7142857142857143."""
    return _float_text(value) if type(value) is float else str(value)


@lru_cache(maxsize=4096)
def _float_text(value: float) -> str:
    """``units.show`` of a float's exact value, remembered for the values last seen (each grade
    0 basis shows its inputs, and a batch meets the same lab values again and again): a few
    times quicker than working it out.  Floats that are equal show the same text (0.0 and -0.0
    are both exactly 0)."""
    return show(exact(value))


def _route(
    plan: Plan, skin: Skin | None, values: Mapping[str, Any]
) -> tuple[int | None, str] | None:
    """Decide whether the skin findings are graded under the plan's term.

    Returns ``None`` to grade the term, ``(0, basis)`` for grade 0, ``(None, reason)`` when it
    cannot be told.
    """
    if skin is None:
        return None, "skin findings absent (no skin section)"
    examined = skin.morphology
    if examined is None:
        # "No rash" only from an extent given as 0 (or a bedside grade of 0): an extent left out
        # next to a bedside grade above 0 is a reaction whose term cannot be told, never a 0.
        no_extent = skin.bsa_percent == 0 or (
            skin.bsa_percent is None and skin.clinician_grade == 0
        )
        if not no_extent or skin.detachment_bsa_percent > 0 or (skin.clinician_grade or 0) > 0:
            return None, "skin morphology missing (skin.morphology): cannot tell which CTCAE term"
        return 0, "skin examined, no rash"
    unknown: list[str] = []
    for morphology, when in plan.routes or ():
        if morphology != examined:
            continue
        if when is None:
            return None
        value, missing, _ = when.test(values)
        if value is True:
            return None
        if value is None:
            unknown.extend(missing)
    if unknown:
        return None, (
            f"{'; '.join(missing_reason(m) for m in dict.fromkeys(unknown))}: cannot"
            f" tell whether the {examined} eruption is graded as {plan.name}"
        )
    return 0, f"skin examined, no {plan.in_sentence} (morphology: {examined})"


def _apply_clinician_grade(
    skin: Skin | None,
    values: Mapping[str, Any],
    own: Mapping[str, Mapping[str, Any]],
    plans: Mapping[str, Plan],
    grades: dict[str, TermGrade],
    warnings: list[str],
) -> None:
    if skin is None or skin.clinician_grade is None or skin.morphology is None:
        return
    given = skin.clinician_grade
    routed = [
        p.term
        for p in plans.values()
        if _graded_under_morphology(p, own.get(p.term_id, values), skin)
    ]
    if not routed:
        return
    computed = [grades[t.id] for t in routed if grades[t.id].grade is not None]
    if computed:
        worst = max(computed, key=lambda g: g.grade or 0)
        by_death = any(
            g.grade == worst.grade and _consequence_only(g.when)
            for t in routed
            if t.id == worst.term_id
            for g in t.grades
        )
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
        if given == 5 or any(
            g.grade == given for t in routed for g in t.grades if _consequence_only(g.when)
        ):
            why = f"grade {given} is given only from consequences.died"
        elif len(routed) == 1:
            why = (
                f"{given} is not a grade of {routed[0].term} in CTCAE v{version}"
                f" (grades {sorted(bedside_grades(routed[0]))})"
            )
        else:
            names = " or ".join(t.term for t in routed)
            which = "more than one of them" if placeable else "none of them"
            why = (
                f"the {skin.morphology} findings may be graded as {names}, and grade"
                f" {given} exists for {which} in CTCAE v{version}"
            )
            outcome = "could not be placed"
        warnings.append(f"skin.clinician_grade {given} {outcome}: {why}")
        return
    for term in placeable:
        grades[term.id] = _clinician_grade(term, grades[term.id], given, "skin.clinician_grade")


def _clinician_grade(term: TermRule, current: TermGrade, given: int, field: str) -> TermGrade:
    """The clinician's grade ``given`` (in ``field``) for a term the findings cannot grade."""
    criterion = next((g for g in term.grades if g.grade == given), None)
    return TermGrade(
        term_id=term.id,
        term=term.term,
        meddra_code=term.meddra_code,
        category=term.category,
        grade=given,
        rule=rule_id(term, "clinician"),
        basis=f"clinician grade {given} ({field}); the findings cannot grade it:"
        f" {current.not_gradable}",
        inputs={**current.inputs, field: given},
        source=criterion.source if criterion else term.source,
        ctcae=criterion.ctcae if criterion else None,
        present=given > 0,
    )


def _graded_under_morphology(plan: Plan, values: Mapping[str, Any], skin: Any) -> bool:
    """The examined morphology is (or may be, when the routing input is missing) graded under
    ``term``; a term the morphology routes elsewhere is not."""
    for morphology, when in plan.routes or ():
        if morphology != skin.morphology:
            continue
        if when is None or when.test(values)[0] is not False:
            return True
    return False


FLUID_SUBSECTIONS = {
    "edema_limbs": "limb_edema",
    "peripheral_edema": "limb_edema",
    "periorbital_edema": "periorbital_edema",
    "edema_face": "face_edema",
    "pleural_effusion": "pleural_effusion",
}
"""The ``fluid`` subsection each fluid term is graded from (its ``clinician_grade`` too)."""


def _apply_fluid_clinician_grades(
    visit: Visit, terms: list[TermRule], grades: dict[str, TermGrade], warnings: list[str]
) -> None:
    """A fluid ``clinician_grade`` means what ``skin.clinician_grade`` means: the grade when the
    findings cannot grade the term, otherwise compared, a difference being a warning."""
    for term in terms:
        name = FLUID_SUBSECTIONS.get(term.id)
        section = getattr(visit.fluid, name) if name is not None else None
        given = getattr(section, "clinician_grade", None)
        if section is None or given is None:
            continue
        current = grades[term.id]
        field = f"fluid.{name}.clinician_grade"
        if current.grade is not None:
            if current.grade != given:
                warnings.append(
                    f"{field} {given} differs from the computed {term.term} grade"
                    f" {current.grade} ({current.basis}); the computed grade is used — please"
                    " review"
                )
            continue
        grades[term.id] = _clinician_grade(term, current, given, field)


def _v6_fluid_warnings(visit: Visit, warnings: list[str]) -> None:
    """Findings the visit format accepts that CTCAE v6.0 no longer reads: said, never dropped
    silently."""
    fluid = visit.fluid
    assert fluid is not None
    limb = fluid.limb_edema
    if limb is not None and limb.discrepancy_percent is not None:
        warnings.append(
            "fluid.limb_edema.discrepancy_percent is not used: CTCAE v6.0 Peripheral edema has no"
            " inter-limb discrepancy criterion"
        )
    eye = fluid.periorbital_edema
    if eye is not None and "optic_neuritis" in eye.ocular_findings:
        warnings.append(
            "fluid.periorbital_edema.ocular_findings optic_neuritis is not used: CTCAE v6.0"
            " removed it from periorbital edema grade 3; give optic_neuritis in other_events"
        )
