"""``gist-tox rules check``: every rule file validated, then the semantics a grader relies on.

The rule set is read as loading reads it (``loader.read_rule_files``: each file validated into
its model, and what would make grading wrong for one file refused: unknown inputs, a grade 5
not read from death, ...).  This module inspects the loaded files for what only shows across a
whole term or rule set:

* a numeric term's grades leave no gap and no overlap over the plausible range and are monotone
  (a lower count never gives a lower grade), probed with exact fractions at every threshold and
  just either side of it, with the default lower limit of normal and with LLNs placed on and
  around every threshold;
* thresholds lie inside the plausible range of their input (a threshold of 500 for an ANC in
  x10^9/L is a unit mistake);
* term ids are unique, aliases name a term of the other CTCAE version, every criterion cites a
  source;
* each skin morphology is routed to a term for every BSA, and to more than one only on purpose
  (unconditionally, or each route marked ``shared``);
* the dose ladder strictly decreases and every term a dosing rule names exists.

Both CTCAE versions present in the folder are checked, whichever is the default.  Each problem
names the file, the YAML path and the line.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Iterator, Mapping
from fractions import Fraction
from pathlib import Path
from typing import Any

from gist_tox.documents import FieldPath
from gist_tox.errors import Problem
from gist_tox.facts import DESCRIBER, FIELDS
from gist_tox.ruleset.conditions import (
    MISSING,
    AllOf,
    AnyOf,
    Compare,
    Compiled,
    Condition,
    FieldRef,
    NotOf,
    compile_condition,
)
from gist_tox.ruleset.loader import (
    VERSIONS,
    RuleBytes,
    RuleFile,
    read_rule_files,
    version_dir,
)
from gist_tox.ruleset.quotations import check_quotations
from gist_tox.ruleset.schema import ReferenceRanges, TermRule
from gist_tox.units import PLAUSIBLE_CELSIUS, PLAUSIBLE_MAX_COUNT, count_to_canonical, exact, show


class Probe(Mapping[str, Any]):
    """The inputs of a probe, each given by a function (:data:`MISSING` when absent), read by
    the same compiled conditions that grade visits."""

    def __init__(self, lookup: Callable[[str], Any]) -> None:
        self.lookup = lookup

    def __getitem__(self, name: str) -> Any:
        value = self.lookup(name)
        if value is MISSING:
            raise KeyError(name)
        return value

    def __iter__(self) -> Iterator[str]:
        return iter(())

    def __len__(self) -> int:
        return 0


EPSILON = Fraction(1, 10**9)
"""How far "just either side" of a threshold is probed (far below any clinical resolution)."""


class _Collector:
    """Collects the problems of a rule set, each named by its file's document (file, line,
    column, YAML path) or, for a problem of no one file, by a path under the rule set."""

    def __init__(self, root: Path, found: list[Problem]) -> None:
        self.root = root
        self.found = found

    def add(self, where: RuleFile | str, path: FieldPath, message: str) -> None:
        """A problem at ``path`` of a rule file, or of a path under the rule set (``str``)."""
        if isinstance(where, str):
            self.found.append(Problem(str(self.root / where), message, code="rules"))
        else:
            self.found.append(where.document.problem(path, message, code="rules"))


def check_rules(root: Path) -> list[Problem]:
    """Every problem in the rule set at ``root`` (empty when it is sound): what reading it
    finds, through the path loading takes (:func:`loader.read_rule_files`: schema and the
    checks grading relies on, for every CTCAE version present), then what only shows across a
    term, a version or the whole set."""
    if not root.is_dir():
        return [Problem(str(root), "not a folder of rules", code="rules")]
    source = RuleBytes(root)
    present = [v for v in VERSIONS if source.term_files(v)]
    files = read_rule_files(root, source, present)
    out = _Collector(root, files.problems)
    if files.ranges is not None:
        _check_reference_ranges(files.ranges, files.ranges.model, out)  # type: ignore[arg-type]
    ranges: ReferenceRanges | None = files.ranges.model if files.ranges else None  # type: ignore[assignment]
    if files.config is not None:
        default = files.config.model.default_ctcae_version  # type: ignore[attr-defined]
        if default not in files.terms:
            out.add(
                files.config,
                ("default_ctcae_version",),
                f"CTCAE v{default} is the default but {version_dir(default)}/ has no term files",
            )
    # ids by file name, so that one unreadable term file does not cascade into other problems
    all_ids = {v: {Path(rel).stem for rel in source.term_files(v)} for v in present}
    for version, terms in files.terms.items():
        others = set().union(*(ids for v, ids in all_ids.items() if v != version))
        _check_terms(version, terms, ranges, others, out)
        _check_skin_routes(version, terms, out)
        check_quotations(version, terms, out)
    if files.dosing is not None:
        rf, data = files.dosing, files.dosing.document.data
        known = set().union(*all_ids.values())
        _walk_dosing(rf, data, (), known, out)
        _check_dose_steps(rf, out)
        _check_dosing_wording(rf, data, known, out)
    return out.found


def _check_reference_ranges(rf: RuleFile, ranges: ReferenceRanges, out: _Collector) -> None:
    for name in ("anc", "platelets"):
        ref = getattr(ranges, name)
        value = count_to_canonical(ref.lln, ref.unit)
        if value > PLAUSIBLE_MAX_COUNT[name]:
            out.add(
                rf,
                (name, "lln"),
                f"{show(value)} x10^9/L is above the plausible maximum "
                f"{PLAUSIBLE_MAX_COUNT[name]} x10^9/L; check the unit",
            )
        if not ref.source.strip():
            out.add(rf, (name, "source"), "cites no source")


# --------------------------------------------------------------------------------------------
# Terms


def _check_terms(
    version: str,
    files: list[RuleFile],
    ranges: ReferenceRanges | None,
    other_ids: set[str],
    out: _Collector,
) -> None:
    seen: dict[str, str] = {}
    for rf in files:
        term: TermRule = rf.model  # type: ignore[assignment]
        if term.id in seen:
            out.add(rf, ("id",), f"term id {term.id!r} also used by {seen[term.id]}")
        seen.setdefault(term.id, rf.relpath)
    ids = set(seen)
    for rf in files:
        term = rf.model  # type: ignore[assignment]
        if not term.source.strip():
            out.add(rf, ("source",), "the term cites no source")
        for i, alias in enumerate(term.aliases):
            if alias == term.id or alias in ids:
                out.add(
                    rf,
                    ("aliases", i),
                    f"alias {alias!r} is a CTCAE v{version} term id; an alias names the same"
                    " adverse event in another CTCAE version",
                )
            elif other_ids and alias not in other_ids:
                out.add(
                    rf,
                    ("aliases", i),
                    f"alias {alias!r} is not a term of the other CTCAE version",
                )
        for i, criterion in enumerate(term.grades):
            if not criterion.source.strip():
                out.add(rf, ("grades", i, "source"), "the criterion cites no source")
            wording = _numbers_in(
                f"{criterion.ctcae} {criterion.note or ''} {term.definition or ''}"
            )
            below_lln = "<LLN" in criterion.ctcae.replace(" ", "")
            for path, cond in _leaves(criterion.when, ("grades", i, "when")):
                _check_plausible(rf, cond, path, out)
                if below_lln and isinstance(cond, Compare) and "not" not in path:
                    for op, bound in cond.bounds():
                        if (
                            isinstance(bound, FieldRef)
                            and bound.field.endswith(".lln")
                            and op != "lt"
                        ):
                            out.add(
                                rf,
                                (*path, op),
                                f"{op}: {bound.field} reads the boundary the other way: the"
                                " CTCAE wording states <LLN (a count at the LLN is normal)",
                            )
                _check_wording(
                    rf,
                    cond,
                    path,
                    wording,
                    out,
                    None if criterion.note else _boundaries_in(criterion.ctcae),
                )
        _check_gaps(rf, term, out)
        numbers = sorted(g.grade for g in term.grades)
        missing = sorted(set(range(numbers[0], numbers[-1] + 1)) - set(numbers))
        if missing:
            out.add(
                rf,
                ("grades",),
                f"grade(s) {', '.join(map(str, missing))} missing between grade {numbers[0]}"
                f" and grade {numbers[-1]}; CTCAE grades of a term are contiguous",
            )
        if term.nci_grades is not None:
            for grade in sorted(set(term.nci_grades) - set(numbers)):
                out.add(
                    rf,
                    ("nci_grades",),
                    f"grade {grade} is defined by NCI for {term.term} (nci_grades) but has no"
                    " criterion in grades; restore it, or remove it from nci_grades on"
                    " purpose",
                )
            for i, criterion in enumerate(term.grades):
                if criterion.grade not in term.nci_grades:
                    out.add(
                        rf,
                        ("grades", i, "grade"),
                        f"grade {criterion.grade} is not one NCI defines for {term.term}"
                        f" (nci_grades: {sorted(term.nci_grades)})",
                    )
        _check_numeric(rf, term, ranges, out)
        _check_consistent_bounds(rf, term, out)


def _check_gaps(rf: RuleFile, term: TermRule, out: _Collector) -> None:
    """A hole between cells names two grades the term has, and its thresholds (and a term
    warning's) are numbers its CTCAE wording (or their note) states, as a grade's must be."""
    graded = {0} | {g.grade for g in term.grades}
    cells = " ".join(f"{g.ctcae} {g.note or ''}" for g in term.grades)
    for i, gap in enumerate(term.gaps):
        for grade in gap.between:
            if grade not in graded:
                out.add(
                    rf,
                    ("gaps", i, "between"),
                    f"grade {grade} is not a grade of {term.term} (grades: {sorted(graded)})",
                )
        wording = _numbers_in(f"{cells} {gap.note or ''}")
        for path, cond in _leaves(gap.when, ("gaps", i, "when")):
            _check_plausible(rf, cond, path, out)
            _check_wording(rf, cond, path, wording, out)
    for i, warning in enumerate(term.warnings):
        wording = _numbers_in(f"{cells} {warning.note or ''}")
        for path, cond in _leaves(warning.when, ("warnings", i, "when")):
            _check_plausible(rf, cond, path, out)
            _check_wording(rf, cond, path, wording, out)


def _check_consistent_bounds(rf: RuleFile, term: TermRule, out: _Collector) -> None:
    """Within one term, a threshold is one boundary: ``lt 1.0`` in one grade and ``le 1.0`` in
    another (or ``gt``/``ge``) reads the same CTCAE number two ways, and two grades with the same
    criteria always overlap.  Catches an edit to one copy of a repeated condition (febrile
    neutropenia grade 4 repeats grade 3's)."""
    seen: dict[tuple[str, Fraction, str], tuple[str, int]] = {}
    whens: dict[str, int] = {}
    for i, criterion in enumerate(term.grades):
        key = criterion.when.model_dump_json(by_alias=True)
        if key in whens:
            out.add(
                rf,
                ("grades", i, "when"),
                f"overlap: grade {criterion.grade} has the same criteria as grade {whens[key]}",
            )
        whens.setdefault(key, criterion.grade)
        for path, leaf in _leaves(criterion.when, ("grades", i, "when")):
            if not isinstance(leaf, Compare):
                continue
            for op, bound in leaf.bounds():
                if isinstance(bound, FieldRef):
                    value, side, shown = Fraction(0), f"{op[0]}:{bound.field}", bound.field
                else:
                    value, side = exact(bound), op[0]
                    shown = show(value)
                ident = (leaf.field, value, side)
                if ident in seen and seen[ident][0] != op:
                    other, grade = seen[ident]
                    out.add(
                        rf,
                        (*path, op),
                        f"{leaf.field} {op} {shown} here but {other} {shown} in grade"
                        f" {grade}: one threshold read two ways",
                    )
                seen.setdefault(ident, (op, criterion.grade))


def _leaves(cond: Condition, path: FieldPath) -> Iterator[tuple[FieldPath, Condition]]:
    if isinstance(cond, AllOf):
        for i, child in enumerate(cond.all):
            yield from _leaves(child, (*path, "all", i))
    elif isinstance(cond, AnyOf):
        for i, child in enumerate(cond.any):
            yield from _leaves(child, (*path, "any", i))
    elif isinstance(cond, NotOf):
        yield from _leaves(cond.not_, (*path, "not"))
    else:
        yield path, cond


def plausible_range(name: str) -> tuple[Fraction, Fraction] | None:
    """The range of values an input can take (data sanity, from ``units`` and ``facts``)."""
    info = FIELDS.get(name)
    if info is None or info.kind != "number":
        return None
    lab = name.removeprefix("labs.").removesuffix(".lln")
    if name.startswith("labs.") and lab in PLAUSIBLE_MAX_COUNT:
        return Fraction(0), PLAUSIBLE_MAX_COUNT[lab]
    if info.unit in ("%", "% BSA"):
        return Fraction(0), Fraction(100)
    if info.unit == "C":
        return PLAUSIBLE_CELSIUS
    return None


def _check_plausible(rf: RuleFile, cond: Condition, path: FieldPath, out: _Collector) -> None:
    if not isinstance(cond, Compare):
        return
    bounds = plausible_range(cond.field)
    if bounds is None:
        return
    low, high = bounds
    for op, bound in cond.bounds():
        if isinstance(bound, FieldRef):
            continue
        value = exact(bound)
        if not low <= value <= high:
            unit = FIELDS[cond.field].unit
            out.add(
                rf,
                (*path, op),
                f"threshold {show(value)} is outside the plausible range of {cond.field}"
                f" ({show(low)}-{show(high)} {unit}); thresholds are in {unit}",
            )


_NUMBER = re.compile(r"\d[\d,]*(?:\.\d+)?")
_WORDS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "ten": 10}


def _numbers_in(text: str) -> set[Fraction]:
    """Every number a CTCAE cell states, also read per mm3 (x1000 of the unit in 10^9/L)."""
    found = {Fraction(m.replace(",", "")) for m in _NUMBER.findall(text)}
    found |= {Fraction(v) for w, v in _WORDS.items() if re.search(rf"\b{w}\b", text, re.I)}
    return found | {n / 1000 for n in found}


def _check_wording(
    rf: RuleFile,
    cond: Condition,
    path: FieldPath,
    wording: set[Fraction],
    out: _Collector,
    ops: dict[Fraction, set[str]] | None = None,
) -> None:
    """A threshold must be one the grade's CTCAE wording (or its ``note``) states: a number
    edited in the condition but not in the cited text is either a typo or an undocumented
    local change.  Where the cell bounds that number (``ops``: ``<0.5``, ``10 - 30%``), the
    condition must include or exclude it as the cell does."""
    if not isinstance(cond, Compare):
        return
    for op, bound in cond.bounds():
        if isinstance(bound, FieldRef) or exact(bound) == 0:
            continue
        if exact(bound) not in wording:
            out.add(
                rf,
                (*path, op),
                f"threshold {show(exact(bound))} is not stated in this grade's CTCAE wording"
                " (ctcae), its note or the term's definition; a deliberate local change must"
                " say so in `note`",
            )
        elif ops is not None and "not" not in path and ops.get(exact(bound), {op}).isdisjoint({op}):
            stated = " or ".join(
                f"{_SYMBOL[o]} {show(exact(bound))}" for o in sorted(ops[exact(bound)])
            )
            out.add(
                rf,
                (*path, op),
                f"{op}: {show(exact(bound))} reads the boundary the other way: the CTCAE"
                f" wording states {stated} (a range '<A - B' excludes A and includes B)",
            )


_SYMBOL = {"lt": "<", "le": "<=", "gt": ">", "ge": ">="}
_OPS = {"<": "lt", "<=": "le", "≤": "le", ">": "gt", ">=": "ge", "≥": "ge"}
_NUM = r"\d[\d,]*(?:\.\d+)?"
_RANGE = re.compile(rf"(<)?\s*(LLN|{_NUM})\s*-\s*({_NUM})(?!\s*-)")
_PREFIXED = re.compile(rf"(<=|>=|≤|≥|<|>)\s*({_NUM})")


def _boundaries_in(cell: str) -> dict[Fraction, set[str]]:
    """How a CTCAE cell bounds each number it states: ``<0.5`` is ``lt``, ``>30%`` is ``gt``,
    and in a range ``<A - B`` (NCI: A excluded, B included) B is ``ge``; in ``A - B`` (both
    included) A is ``ge`` and B ``le``.  Also read per mm3 (x1000 of the unit in 10^9/L)."""
    found: dict[Fraction, set[str]] = {}

    def note(number: str, op: str) -> None:
        value = Fraction(number.replace(",", ""))
        for v in (value, value / 1000):
            found.setdefault(v, set()).add(op)

    for match in _RANGE.finditer(cell):
        open_start, start, end = match.groups()
        if start != "LLN":
            note(start, "lt" if open_start else "ge")
        note(end, "ge" if open_start else "le")
    rest = _RANGE.sub(" ", cell)
    for match in _PREFIXED.finditer(rest):
        note(match.group(2), _OPS[match.group(1)])
    # a number the cell also states without a bound ("more than one hour") is not checked
    for free in _numbers_in(_PREFIXED.sub(" ", rest)):
        found.pop(free, None)
    return found


def _numeric_field(cond: Condition) -> tuple[str, list[str]] | None:
    """``(field, bound fields)`` when the condition compares exactly one numeric input (other
    inputs it reads are yes/no or enumerated), else None."""
    names: set[str] = set()
    refs: list[str] = []
    for _, leaf in _leaves(cond, ()):
        if isinstance(leaf, Compare):
            names.add(leaf.field)
            refs.extend(b.field for _, b in leaf.bounds() if isinstance(b, FieldRef))
    if len(names) != 1:
        return None
    name = names.pop()
    return name, list(dict.fromkeys(refs))


def _neutral(field: str) -> Any:
    """The value of an input that adds nothing to a grade: no, ``none``; numbers unknown."""
    info = FIELDS.get(field)
    if info is None:
        return MISSING
    if info.kind == "bool":
        return False
    if info.kind == "enum" and "none" in info.values:
        return "none"
    return MISSING


def _default_of(ref: str, ranges: ReferenceRanges | None) -> Fraction | None:
    lab = ref.removeprefix("labs.").removesuffix(".lln")
    if ranges is None or not ref.endswith(".lln") or not hasattr(ranges, lab):
        return None
    value = getattr(ranges, lab)
    return count_to_canonical(value.lln, value.unit)


def _thresholds(cond: Condition) -> set[Fraction]:
    out: set[Fraction] = set()
    for _, leaf in _leaves(cond, ()):
        if isinstance(leaf, Compare):
            out.update(exact(b) for _, b in leaf.bounds() if not isinstance(b, FieldRef))
    return out


def _check_numeric(
    rf: RuleFile, term: TermRule, ranges: ReferenceRanges | None, out: _Collector
) -> None:
    """Probe the grades that read only one numeric input: overlap, gap, monotone."""
    groups: dict[str, list[tuple[int, list[str]]]] = {}
    for index, criterion in enumerate(term.grades):
        single = _numeric_field(criterion.when)
        if single is not None:
            groups.setdefault(single[0], []).append((index, single[1]))
    for name, members in groups.items():
        bounds = plausible_range(name)
        if bounds is None:
            continue
        refs = list(dict.fromkeys(r for _, rs in members for r in rs))
        criteria = [(i, term.grades[i]) for i, _ in members]
        thresholds: set[Fraction] = set()
        for _, criterion in criteria:
            thresholds |= _thresholds(criterion.when)
        compiled = [(i, c.grade, compile_condition(c.when)) for i, c in criteria]
        defaults = {r: _default_of(r, ranges) for r in refs}
        variants: list[dict[str, Fraction]] = []
        if refs:
            around = sorted(
                {t + d for t in thresholds for d in (-EPSILON, 0, EPSILON)} | {bounds[1]}
            )
            base = {r: d if d is not None else bounds[1] for r, d in defaults.items()}
            variants.append(base)
            for r in refs:
                for value in around:
                    variants.append({**base, r: value})
        else:
            variants.append({})
        reported: set[str] = set()

        def line_of(index: int) -> str:
            line = rf.document.position(("grades", index))[0]
            return f" (line {line})" if line is not None else ""

        for variant in variants:
            for key, message, index in _probe(name, bounds, thresholds, variant, compiled, line_of):
                if key in reported:
                    continue
                reported.add(key)
                out.add(rf, ("grades", index, "when"), message)


def _probe(
    name: str,
    bounds: tuple[Fraction, Fraction],
    thresholds: set[Fraction],
    variant: dict[str, Fraction],
    criteria: list[tuple[int, int, Compiled]],
    line_of: Callable[[int], str],
) -> Iterator[tuple[str, str, int]]:
    """Yield ``(dedup key, message, grade index)`` for each finding at one LLN variant: each
    criterion (grade index, grade, compiled condition) is tried by the evaluator that grades
    visits."""
    low, high = bounds
    marks = {low, high, *thresholds, *variant.values()}
    points = {m + d for m in marks for d in (-EPSILON, 0, EPSILON)}
    # the grades are piecewise constant between marks, so each mark and either side of it
    # visits every piece
    ordered = sorted(p for p in points if low <= p <= high)
    label = DESCRIBER.label(name)
    unit = FIELDS[name].unit
    context = ", ".join(f"{DESCRIBER.label(r)} {show(v)}" for r, v in variant.items())
    context = f" ({context})" if context else ""

    def lookup(field: str) -> Any:
        if field == name:
            return value
        return variant.get(field, _neutral(field))

    met_at: list[list[tuple[int, int]]] = []
    for value in ordered:
        met = [(i, grade) for i, grade, test in criteria if test.test(Probe(lookup))[0] is True]
        met_at.append(met)
        if len(met) > 1:
            grades = " and ".join(f"{g}{line_of(i)}" for i, g in met)
            yield (
                f"overlap {met}",
                f"overlap: grades {grades} are both met at {label} = {show(value)} {unit}{context}",
                met[-1][0],
            )
    covered = [v for v, met in zip(ordered, met_at, strict=True) if met]
    if not covered:
        return
    decreasing = _lower_is_worse(name)
    lowest = low if decreasing else covered[0]
    highest = covered[-1]
    below_normal = min(variant.values()) if variant else None
    for value, met in zip(ordered, met_at, strict=True):
        if met:
            continue
        inside = lowest <= value < highest if decreasing else lowest < value < highest
        abnormal = below_normal is not None and value < below_normal
        if inside or abnormal:
            why = "below the lower limit of normal" if abnormal and not inside else "between grades"
            yield (
                "gap",
                f"gap: no grade is met at {label} = {show(value)} {unit}, {why}{context}",
                criteria[0][0],
            )
            break
    sequence = [
        (v, max((g for _, g in met), default=0), met)
        for v, met in zip(ordered, met_at, strict=True)
        if decreasing or met
    ]
    if not sequence:
        return
    levels = [g for _, g, _ in sequence]
    if decreasing:
        ok = all(a >= b for a, b in itertools.pairwise(levels))
    else:
        ok = all(a >= b for a, b in itertools.pairwise(levels)) or all(
            a <= b for a, b in itertools.pairwise(levels)
        )
    if not ok:
        for (v1, g1, _), (v2, g2, met2) in itertools.pairwise(sequence):
            if (decreasing and g2 > g1) or (not decreasing and g2 != g1):
                where = met2[0][0] if met2 else criteria[0][0]
                if decreasing:
                    message = (
                        f"not monotone: grade {g1} at {label} = {show(v1)} {unit} but"
                        f" grade {g2} at {show(v2)} {unit}; a lower count must never give"
                        f" a lower grade{context}"
                    )
                else:
                    message = (
                        f"not monotone: grades go {', '.join(map(str, _runs(levels)))}"
                        f" as {label} rises{context}"
                    )
                yield ("monotone", message, where)
                break


def _lower_is_worse(name: str) -> bool:
    """A blood count that has a lower limit of normal: the lower it is, the worse."""
    return name.startswith("labs.") and f"{name}.lln" in FIELDS


def _runs(grades: list[int]) -> list[int]:
    return [g for i, g in enumerate(grades) if i == 0 or grades[i - 1] != g]


# --------------------------------------------------------------------------------------------
# Skin routes


def _check_skin_routes(version: str, files: list[RuleFile], out: _Collector) -> None:
    """Every morphology, at every BSA, is graded under some term; under more than one only when
    each of them takes the morphology unconditionally (bullous: SJS and TEN split by
    detachment)."""
    routed: list[tuple[RuleFile, Any]] = [
        (rf, rf.model) for rf in files if getattr(rf.model, "applies_to", None) is not None
    ]
    tests = {
        (rf.relpath, i): compile_condition(route.when)
        for rf, term in routed
        for i, route in enumerate(term.applies_to)
        if route.when is not None
    }
    if not routed:
        return
    thresholds: set[Fraction] = set()
    for _, term in routed:
        for route in term.applies_to:
            if route.when is not None:
                thresholds |= _thresholds(route.when)
    marks = {Fraction(0), Fraction(100), *thresholds}
    probes = sorted(
        p for p in {m + d for m in marks for d in (-EPSILON, 0, EPSILON)} if 0 <= p <= 100
    )
    reported: set[str] = set()
    for morphology in FIELDS["skin.morphology"].values:
        for bsa in probes:
            facts: dict[str, Any] = {"skin.bsa_percent": bsa, "skin.morphology": morphology}

            hits: list[tuple[RuleFile, int, bool]] = []
            for rf, term in routed:
                for i, route in enumerate(term.applies_to):
                    if route.morphology != morphology:
                        continue
                    if route.when is None:
                        hits.append((rf, i, False))
                        continue
                    value = tests[rf.relpath, i].test(facts)[0]
                    if value is None:
                        key = f"{rf.relpath}:{i}:unknown"
                        if key not in reported:
                            reported.add(key)
                            out.add(
                                rf,
                                ("applies_to", i, "when"),
                                "a route may only read skin.bsa_percent",
                            )
                    elif value:
                        hits.append((rf, i, True))
            if not hits:
                key = f"gap:{morphology}"
                if key not in reported:
                    reported.add(key)
                    near = [
                        (rf, i)
                        for rf, term in routed
                        for i, r in enumerate(term.applies_to)
                        if r.morphology == morphology
                    ]
                    message = (
                        f"skin morphology {morphology!r} at BSA {show(bsa)}% is graded"
                        " under no term (applies_to)"
                    )
                    if near:
                        out.add(near[0][0], ("applies_to", near[0][1]), message)
                    else:
                        out.add(f"{version_dir(version)}/", (), message)
            elif len(hits) > 1 and any(
                conditional and not getattr(rf.model, "applies_to", [])[i].shared
                for rf, i, conditional in hits
            ):
                key = f"overlap:{morphology}"
                if key not in reported:
                    reported.add(key)
                    names = ", ".join(rf.relpath for rf, _, _ in hits)
                    rf, i, _ = next(h for h in hits if h[2])
                    out.add(
                        rf,
                        ("applies_to", i, "when"),
                        f"skin morphology {morphology!r} at BSA {show(bsa)}% is routed to"
                        f" more than one term: {names}",
                    )


# --------------------------------------------------------------------------------------------
# Dosing: the loaded dosing rules; their numbers and term names are found by walking the loaded
# document, so that a section the dosing engine adds is covered without a change here


def _is_term_key(key: Any) -> bool:
    return isinstance(key, str) and (
        key in ("term", "term_id") or key.endswith(("terms", "term_ids"))
    )


def _numeric_leaves(node: Any, path: FieldPath) -> Iterator[tuple[FieldPath, Fraction]]:
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _numeric_leaves(value, (*path, key))
    elif isinstance(node, list):
        for i, item in enumerate(node):
            yield from _numeric_leaves(item, (*path, i))
    elif isinstance(node, int | float) and not isinstance(node, bool):
        yield path, exact(node)


def _words(term_id: str) -> str:
    return term_id.replace("_", " ")


def _plain_text(text: str) -> str:
    return re.sub(r"[^a-z0-9.]+", " ", text.lower())


def _check_dosing_wording(
    rf: RuleFile, data: dict[str, Any], known: set[str], out: _Collector
) -> None:
    """Every number of the dosing rules, and every term they stop the drug for, must stand in
    the source wording quoted for it (``wording``: dotted key -> the label's or the policy's
    text).  A number edited without its wording, or wording edited without its number, is a
    problem: this is what lets ``rules check`` catch a changed threshold or resume dose."""
    wording = data.get("wording")
    if not isinstance(wording, dict):
        out.add(rf, (), "no `wording:` block quoting the source of each dosing number")
        return
    for key, text in wording.items():
        if not isinstance(text, str) or not text.strip():
            out.add(rf, ("wording", key), "quotes no text")
    covered = {k: _numbers_in(v) for k, v in wording.items() if isinstance(v, str)}
    for path, value in _numeric_leaves({k: v for k, v in data.items() if k != "wording"}, ()):
        dotted = ".".join(str(p) for p in path if isinstance(p, str))
        keys = [k for k in covered if dotted == k or dotted.startswith(k + ".")]
        if not keys:
            out.add(
                rf,
                path,
                f"{dotted} = {show(value)} has no quoted source wording (add it under `wording:`)",
            )
            continue
        key = max(keys, key=len)
        if value not in covered[key]:
            out.add(
                rf,
                path,
                f"{dotted} = {show(value)} does not appear in its quoted wording"
                f" (wording.{key}: {wording[key]!r})",
            )
    ladder, ladder_text = data.get("ladder_mg"), wording.get("ladder_mg")
    if isinstance(ladder, list) and isinstance(ladder_text, str):
        levels = {exact(v) for v in ladder if isinstance(v, int | float)}
        for chain in re.finditer(r"\d+(?:\s*->\s*\d+)+", ladder_text):
            quoted = {Fraction(n) for n in re.findall(r"\d+", chain.group(0))}
            for level in sorted(quoted - levels, reverse=True):
                out.add(
                    rf,
                    ("ladder_mg",),
                    f"dose level {show(level)} of the quoted ladder is missing from"
                    " ladder_mg (a level dropped without its wording)",
                )
    for key, value in data.get("skin", {}).items() if isinstance(data.get("skin"), dict) else ():
        if not (_is_term_key(key) and isinstance(value, list)):
            continue
        dotted = f"skin.{key}"
        text = wording.get(dotted)
        if not isinstance(text, str):
            out.add(rf, ("skin", key), f"{dotted} has no quoted source wording")
            continue
        plain = _plain_text(text)
        listed = {v for v in value if isinstance(v, str)}
        for term_id in sorted(listed):
            if _words(term_id) not in plain:
                out.add(
                    rf,
                    ("skin", key),
                    f"{term_id} is listed but its wording does not name it ({text!r})",
                )
        for term_id in sorted(known - listed):
            if _words(term_id) in plain:
                out.add(
                    rf,
                    ("skin", key),
                    f"the wording names {_words(term_id)} but {term_id} is not listed",
                )


def _check_dose_steps(rf: RuleFile, out: _Collector) -> None:
    """Resume doses step one ladder level down; a hold ends only above where it starts;
    escalation goes up.  (That the ladder strictly decreases and each step is a lower ladder
    dose, the dosing model itself refuses.)"""
    from gist_tox.dosing.schema import DosingRules

    rules: DosingRules = rf.model  # type: ignore[assignment]
    ladder = list(rules.ladder_mg)
    for i, step in enumerate(rules.hematologic.label_recurrence_steps):
        at = ladder.index(step.from_mg) + 1
        below = ladder[at] if at < len(ladder) else None
        if step.to_mg != below:
            out.add(
                rf,
                ("hematologic", "label_recurrence_steps", i),
                f"resume dose {step.to_mg} mg after {step.from_mg} mg is not the next ladder"
                f" level ({below if below is not None else 'none: stop'} mg; ladder_mg"
                f" {ladder})",
            )
    hold, resume = rules.hematologic.hold_below, rules.hematologic.resume_at_least
    for name in ("anc", "platelets"):
        if exact(getattr(resume, name)) < exact(getattr(hold, name)):
            out.add(
                rf,
                ("hematologic", "resume_at_least", name),
                f"resume at {show(exact(getattr(resume, name)))} is below the hold threshold"
                f" {show(exact(getattr(hold, name)))} (hematologic.hold_below.{name})",
            )
    if rules.progression.escalate_to_mg <= rules.progression.escalate_from_mg:
        out.add(
            rf,
            ("progression", "escalate_to_mg"),
            "escalation must go to a higher dose than escalate_from_mg",
        )


def _walk_dosing(
    rf: RuleFile, node: Any, path: FieldPath, known: set[str], out: _Collector
) -> None:
    if isinstance(node, dict):
        for key, value in node.items():
            here = (*path, key)
            if here == ("wording",):
                continue  # quoted source text, checked by _check_dosing_wording
            if _is_term_key(key) and known:
                named: list[tuple[FieldPath, Any]]
                if isinstance(value, str):
                    named = [(here, value)]
                elif isinstance(value, list):
                    named = [((*here, i), v) for i, v in enumerate(value)]
                elif isinstance(value, dict):
                    named = [((*here, k), v) for k, v in value.items()]
                else:
                    named = []
                for where, name in named:
                    if isinstance(name, str) and name not in known and not _nci_id(name):
                        out.add(
                            rf,
                            where,
                            f"names term {name!r}, which is not a CTCAE term of these"
                            f" rules (known: {', '.join(sorted(known))})",
                        )
            if key == "source" and isinstance(value, str) and not value.strip():
                out.add(rf, here, "cites no source")
            _walk_dosing(rf, value, here, known, out)
    elif isinstance(node, list):
        for i, item in enumerate(node):
            _walk_dosing(rf, item, (*path, i), known, out)


def _nci_id(name: str) -> bool:
    """A term id of NCI's list (either version): the label's rules also name terms the
    clinician grades in ``other_events``."""
    from gist_tox.nci import VERSIONS, terms

    return any(name in terms(v) for v in VERSIONS)
