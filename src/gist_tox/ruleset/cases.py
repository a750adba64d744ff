"""Golden cases: named visits with the grades and recommendation a rule set must give them.

A case file (``cases/<rules path>.yaml``) says which rule file it ``covers``, an optional ``base``
visit fragment, and a list of cases, each a visit (inline, deep-merged onto ``base``, or a
``visit_file``) with what is expected, compared partially: only what a case states is checked.
The same :class:`Runner` serves ``gist-tox rules test`` and the project's own pytest suite
(``tests/test_rule_cases.py``), so what CI checks is exactly what a rules maintainer runs.

Matching: mappings compare recursively and partially; numbers, booleans and null exactly;
strings exactly, except under :data:`SUBSTRING_KEYS` and in the ``warnings`` list, where the
expected text must occur in the actual one.  ``alternatives`` is compared as an exact list;
``reasons`` is a list of partial mappings each of which must match some actual reason; so is a
non-empty ``review`` (``review: []`` says that nothing is under review).
"""

from __future__ import annotations

import copy
import datetime as dt
import os
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal, TextIO

from pydantic import BaseModel, ConfigDict, Field, model_validator

from gist_tox.documents import Document, read_document
from gist_tox.errors import GistToxError, InputError, Problem, RulesError
from gist_tox.units import exact
from gist_tox.visit_sections import TermId

CASE_SUFFIXES = (".yaml", ".yml")
SUBSTRING_KEYS = frozenset({"not_gradable", "basis", "text", "resume_when", "source"})

GradeValue = Annotated[int, Field(strict=True, ge=0, le=5)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Expect(_Strict):
    """What the result must contain (partially)."""

    grades: dict[TermId, GradeValue | dict[str, Any] | None] | None = None
    """Per term: a grade (shorthand for ``{grade: N}``), null, or a partial term result."""
    recommendation: dict[str, Any] | None = None
    patient_factors: dict[str, Any] | None = None
    """A partial ``patient_factors`` (renal, hepatic impairment, co-medications matched, the
    inducer dose)."""
    warnings: list[str] | None = None
    """Each text must occur in some warning."""
    other_events: list[dict[str, Any]] | None = None
    """The echoed ``other_events``, item by item (each partial)."""
    next_visit: dict[str, Any] | None = None
    """What the visit records for the next one: ``history`` entries, dose, holds."""


class CaseSpec(_Strict):
    """One golden case."""

    id: Annotated[str, Field(min_length=1, pattern=r"^\S+$")]
    visit: dict[str, Any] | None = None
    """Deep-merged onto the file's ``base``."""
    visit_file: str | None = None
    """A visit file, relative to the case file (instead of ``visit``)."""
    expect: Expect | None = None
    expect_error: Annotated[str, Field(min_length=1)] | None = None
    """The visit must be refused, with this text in the error."""
    skip: Annotated[str, Field(min_length=1)] | None = None
    """Why the case is not run (a skipped case fails ``rules test`` unless --allow-skipped)."""

    @model_validator(mode="after")
    def _one_of_each(self) -> CaseSpec:
        if self.visit is not None and self.visit_file is not None:
            raise ValueError("give either visit or visit_file, not both")
        if (self.expect is None) == (self.expect_error is None):
            raise ValueError("give exactly one of expect and expect_error")
        return self


class CaseFile(_Strict):
    """A file of golden cases (``cases/**/*.yaml``)."""

    covers: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9._/-]*$")]
    """The rule file these cases cover, relative to the rules folder, without ``.yaml``."""
    ctcae_version: Literal["5.0", "6.0"] | None = None
    """Grade with this CTCAE version (default: the visit's pin, else the rules' default)."""
    base: dict[str, Any] | None = None
    cases: Annotated[list[CaseSpec], Field(min_length=1)]


@dataclass
class Case:
    """A case ready to run, or a case file that could not be read (``error``)."""

    file: Path
    display: str
    spec: CaseSpec | None
    case_file: CaseFile | None
    error: Problem | None = None
    line: int | None = None
    """The line of the case's ``id`` in its file (where CI annotates a failure)."""

    @property
    def nodeid(self) -> str:
        return f"{self.display}::{self.spec.id if self.spec else '(file)'}"

    def mentions(self, term: str) -> bool:
        if self.case_file is not None and self.case_file.covers.rsplit("/", 1)[-1] == term:
            return True
        grades = self.spec.expect.grades if self.spec and self.spec.expect else None
        return bool(grades and term in grades)


CASE = "case"
"""The code of a problem with a case's own result (a difference from what it expects, why it
was skipped or not run): shown as ``[field: ]message`` under the case's id."""


@dataclass
class CaseResult:
    """How a case went, and each of its problems (:data:`CASE`, or a problem of another file:
    the case file unreadable, a rule file ``rules check`` finds wrong)."""

    nodeid: str
    status: Literal["passed", "failed", "skipped"]
    problems: list[Problem] = field(default_factory=list)
    seconds: float = 0.0
    file: str = ""
    path: str = ""
    """The case file as found from the paths given (``cases/ctcae-5.0/<term>.yaml``), so that a
    CI annotation names a file of the repository; ``file`` is relative to the cases folder."""
    line: int | None = None
    case_id: str = ""
    columns: bool = True
    """Whether a problem of another file names its column (``rules check`` names the line)."""

    @property
    def messages(self) -> list[str]:
        """Each problem as one line, as every report (text, JSON, GitHub, JUnit) shows it."""
        return [
            p.text if p.code == CASE else p.one_line(column=self.columns) for p in self.problems
        ]


# --------------------------------------------------------------------------------------------
# Finding and reading case files


def find_case_files(paths: Iterable[Path]) -> list[Path]:
    """Case files under ``paths``: files as given, folders walked for ``*.yaml``/``*.yml``."""
    out: list[Path] = []
    for path in paths:
        if path.is_dir():
            for folder, dirs, names in os.walk(path):
                dirs[:] = sorted(d for d in dirs if not d.startswith("."))
                out.extend(
                    Path(folder) / n
                    for n in sorted(names)
                    if n.endswith(CASE_SUFFIXES) and not n.startswith(".")
                )
        elif path.exists():
            out.append(path)
        else:
            raise InputError(str(path), "no such case file or folder", code="file")
    return list(dict.fromkeys(out))


def _display(path: Path, roots: list[Path]) -> str:
    for root in roots:
        if root.is_dir():
            try:
                return path.relative_to(root).as_posix()
            except ValueError:
                continue
    return path.as_posix()


def collect(paths: Iterable[Path]) -> list[Case]:
    """Every case under ``paths``, in file order; an unreadable file becomes one failing case."""
    roots = list(paths)
    out: list[Case] = []
    for path in find_case_files(roots):
        display = _display(path, roots)
        try:
            document = read_document(str(path))
            from gist_tox.validation import validate

            case_file = validate(document, CaseFile)
        except InputError as exc:
            out.append(Case(path, display, None, None, error=exc.problem))
            continue
        seen: dict[str, int] = {}
        for index, spec in enumerate(case_file.cases):
            if spec.id in seen:
                error = document.problem(
                    ("cases", index, "id"), f"case id {spec.id!r} is used twice in this file"
                )
                out.append(Case(path, display, spec, case_file, error=error))
                continue
            seen[spec.id] = index
            line = document.position(("cases", index, "id"))[0]
            out.append(Case(path, display, spec, case_file, line=line))
    return out


def deep_merge(base: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(base)
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = deep_merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


# --------------------------------------------------------------------------------------------
# Running


class Runner:
    """Runs cases against one rules folder, loading each CTCAE version's rules once."""

    def __init__(self, rules: Path | None = None) -> None:
        from gist_tox.pipeline import RuleSets

        self.rules = rules
        self._rulesets: dict[str | None, RuleSets] = {}
        self._broken: dict[tuple[str | None, str | None], RulesError] = {}
        self._make = RuleSets

    def _rulesets_for(self, version: str | None) -> Any:
        if version not in self._rulesets:
            self._rulesets[version] = self._make(self.rules, version)
        return self._rulesets[version]

    def run(self, case: Case) -> CaseResult:
        start = time.perf_counter()
        result = self._run(case)
        result.seconds = time.perf_counter() - start
        result.file = case.display
        result.path, result.line = str(case.file), case.line
        result.case_id = case.spec.id if case.spec else "(file)"
        return result

    def _run(self, case: Case) -> CaseResult:
        def failed(message: str) -> CaseResult:
            return CaseResult(case.nodeid, "failed", [Problem(case.display, message, code=CASE)])

        if case.error is not None or case.spec is None or case.case_file is None:
            error = case.error or Problem(case.display, "unreadable case", code=CASE)
            return CaseResult(case.nodeid, "failed", [error])
        spec = case.spec
        if spec.skip is not None:
            return CaseResult(case.nodeid, "skipped", [Problem(case.display, spec.skip, code=CASE)])
        from gist_tox.pipeline import evaluate, load_visit
        from gist_tox.validation import validate
        from gist_tox.visit import Visit

        source = case.nodeid
        try:
            if spec.visit_file is not None:
                path = case.file.parent / spec.visit_file
                source = str(path)
                visit, _ = load_visit(source)
            else:
                data = deep_merge(case.case_file.base or {}, spec.visit or {})
                visit = validate(Document(source=source, data=data), Visit)
            rulesets = self._rulesets_for(case.case_file.ctcae_version)
            key = (case.case_file.ctcae_version, visit.ctcae_version)
            if key in self._broken:  # invalid rules fail every case; load and show them once
                return failed(
                    "not run: the rules are invalid (shown at the first case that needed them)"
                )
            try:
                ruleset = rulesets.for_visit(visit, source)
            except RulesError as exc:
                self._broken[key] = exc
                raise
            actual = evaluate(visit, ruleset, source).as_json()
        except RulesError as exc:
            return failed(f"the rules are invalid: {exc.one_line()}")
        except GistToxError as exc:
            text = exc.one_line()
            if spec.expect_error is None:
                return failed(f"the visit was refused: {text}")
            if spec.expect_error not in text:
                return failed(f"expected an error containing {spec.expect_error!r}, got: {text}")
            return CaseResult(case.nodeid, "passed")
        if spec.expect_error is not None:
            return failed(
                f"expected the visit to be refused with {spec.expect_error!r}, but it was"
                f" graded: {_summary(actual)}"
            )
        assert spec.expect is not None
        problems = compare(spec.expect, actual, case.display)
        return CaseResult(case.nodeid, "failed" if problems else "passed", problems)

    def run_all(self, cases: Iterable[Case]) -> list[CaseResult]:
        return [self.run(case) for case in cases]


def _summary(actual: dict[str, Any]) -> str:
    grades = ", ".join(f"{k}={v.get('grade')}" for k, v in actual.get("grades", {}).items())
    rec = actual.get("recommendation") or {}
    action = f"; {rec.get('action')} {rec.get('dose_mg')} mg" if rec else ""
    return grades + action


# --------------------------------------------------------------------------------------------
# Matching


Difference = tuple[str, str]
"""Where a result differs from what a case expects (a dotted path in it) and how."""


def compare(expect: Expect, actual: dict[str, Any], source: str = "") -> list[Problem]:
    """Every difference between what a case (in file ``source``) expects and the actual result,
    each a problem at its path: ``expected X, got Y`` (empty when it matches)."""
    out: list[Difference] = []
    detail: dict[int, str] = {}
    if expect.grades is not None:
        grades = actual.get("grades", {})
        for term, wanted in expect.grades.items():
            wanted_map = wanted if isinstance(wanted, dict) else {"grade": wanted}
            if term not in grades:
                out.append(
                    (
                        f"grades.{term}",
                        f"expected {_show(wanted_map)}, but these rules do not grade {term}"
                        f" (terms: {', '.join(grades)})",
                    )
                )
                continue
            found = match(wanted_map, grades[term], f"grades.{term}")
            if found:
                got = grades[term]
                out.extend(found)
                shown = got.get("not_gradable") or got.get("basis")
                detail[len(out) - 1] = f"  actual {term}: grade {got.get('grade')}; {shown}"
    if expect.recommendation is not None:
        rec = actual.get("recommendation")
        if rec is None:
            out.append(
                ("recommendation", "expected one, but these rules give none (no dosing rules?)")
            )
        else:
            out.extend(match(expect.recommendation, rec, "recommendation"))
    if expect.warnings is not None:
        out.extend(_match_texts(expect.warnings, actual.get("warnings", []), "warnings"))
    for name in ("patient_factors", "other_events", "next_visit"):
        wanted = getattr(expect, name)
        if wanted is not None:
            out.extend(match(wanted, actual.get(name), name))
    problems: list[Problem] = []
    for i, (path, message) in enumerate(out):
        problems.append(Problem(source, message, field=path, code=CASE))
        if i in detail:  # what the term was graded, under the last of its differences
            problems.append(Problem(source, detail[i], code=CASE))
    return problems


def match(expected: Any, actual: Any, path: str, key: str = "") -> list[Difference]:
    """Partial, recursive comparison (see the module docstring)."""
    if isinstance(expected, dict):
        if not isinstance(actual, dict):
            return [(path, f"expected {_show(expected)}, got {_show(actual)}")]
        out: list[Difference] = []
        for name, wanted in expected.items():
            here = f"{path}.{name}"
            if name not in actual:
                out.append((here, f"expected {_show(wanted)}, got nothing (no such key)"))
            elif isinstance(wanted, list) and (
                name == "reasons" or (name == "review" and wanted)
            ):  # each expected item matches some actual one; `review: []` is exact
                out.extend(_match_reasons(wanted, actual[name], here))
            elif name == "warnings" and isinstance(wanted, list):
                out.extend(_match_texts(wanted, actual[name], here))
            else:
                out.extend(match(wanted, actual[name], here, name))
        return out
    if isinstance(expected, list):
        if not isinstance(actual, list) or len(actual) != len(expected):
            return [(path, f"expected {_show(expected)}, got {_show(actual)}")]
        if key == "alternatives":
            return (
                []
                if expected == actual
                else [(path, f"expected {_show(expected)}, got {_show(actual)}")]
            )
        return [
            p
            for i, (e, a) in enumerate(zip(expected, actual, strict=True))
            for p in match(e, a, f"{path}[{i}]", key)
        ]
    if _same(expected, actual, key):
        return []
    how = "containing " if isinstance(expected, str) and key in SUBSTRING_KEYS else ""
    return [(path, f"expected {how}{_show(expected)}, got {_show(actual)}")]


def _same(expected: Any, actual: Any, key: str) -> bool:
    if expected is None or actual is None:
        return expected is None and actual is None
    if isinstance(expected, bool) or isinstance(actual, bool):
        return isinstance(expected, bool) and isinstance(actual, bool) and expected == actual
    if isinstance(expected, int | float):
        return isinstance(actual, int | float) and exact(expected) == exact(actual)
    if isinstance(expected, dt.date):
        return isinstance(actual, str) and expected.isoformat() == actual
    if isinstance(expected, str):
        if not isinstance(actual, str):
            return False
        return expected in actual if key in SUBSTRING_KEYS else expected == actual
    return bool(expected == actual)


def _match_texts(expected: list[str], actual: Any, path: str) -> list[Difference]:
    texts = [t for t in actual if isinstance(t, str)] if isinstance(actual, list) else []
    return [
        (path, f"expected one containing {text!r}, got {_show(texts)}")
        for text in expected
        if not any(str(text) in t for t in texts)
    ]


def _match_reasons(expected: list[Any], actual: Any, path: str) -> list[Difference]:
    items = actual if isinstance(actual, list) else []
    return [
        (path, f"expected one matching {_show(wanted)}, got {_show(items)}")
        for wanted in expected
        if not any(not match(wanted, item, path) for item in items)
    ]


def _show(value: Any) -> str:
    import json

    return json.dumps(value, default=str, ensure_ascii=False)


# --------------------------------------------------------------------------------------------
# Reports


def write_junit(
    results: list[CaseResult], path: Path | TextIO, name: str = "gist-tox rules test"
) -> None:
    """A JUnit XML report (the format CI systems read), one testcase per golden case; ``path``
    may be an open text stream (the CLI writes it atomically)."""
    import xml.etree.ElementTree as ET

    suite = ET.Element(
        "testsuite",
        {
            "name": name,
            "tests": str(len(results)),
            "failures": str(sum(r.status == "failed" for r in results)),
            "skipped": str(sum(r.status == "skipped" for r in results)),
            "errors": "0",
            "time": f"{sum(r.seconds for r in results):.3f}",
        },
    )
    for result in results:
        case = ET.SubElement(
            suite,
            "testcase",
            {"classname": result.file, "name": result.case_id, "time": f"{result.seconds:.3f}"},
        )
        if result.status == "failed":
            failure = ET.SubElement(
                case, "failure", {"message": result.messages[0] if result.messages else "failed"}
            )
            failure.text = "\n".join(result.messages)
        elif result.status == "skipped":
            ET.SubElement(case, "skipped", {"message": "; ".join(result.messages)})
    root = ET.Element("testsuites")
    root.append(suite)
    tree = ET.ElementTree(root)
    ET.indent(tree)
    if isinstance(path, Path):
        tree.write(path, encoding="utf-8", xml_declaration=True)
    else:
        tree.write(path, encoding="unicode", xml_declaration=True)


def rules_check_result(rules: Path | None) -> CaseResult | None:
    """``rules check`` as one result: golden cases only mean something against a sound rule
    set, so ``rules test`` reports its problems (a broken reference, an overlap) as a failure
    even when no case happens to reach them."""
    from gist_tox.ruleset.checks import check_rules
    from gist_tox.ruleset.loader import shipped_rules_dir

    root = shipped_rules_dir() if rules is None else rules
    problems = check_rules(root)
    if not problems:
        return None
    return CaseResult(
        "rules check", "failed", problems, file=str(root), case_id="rules check", columns=False
    )


def uncovered_rule_files(rules: Path, cases: list[Case]) -> list[str]:
    """Rule files (relative, without ``.yaml``) that no case file covers."""
    covered = {c.case_file.covers for c in cases if c.case_file is not None}
    out: list[str] = []
    for folder in sorted(p for p in rules.iterdir() if p.is_dir()):
        for path in sorted(folder.glob("*.yaml")):
            name = path.relative_to(rules).with_suffix("").as_posix()
            if name not in covered:
                out.append(name)
    return out
