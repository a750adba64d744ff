"""Systematic mutation testing of the shipped rules (issue 5's must-show).

Copies ``rules/`` and applies, one at a time, small clinically meaningful edits to the YAML
text: every numeric bound of every CTCAE term nudged and its operator flipped, every grade
removed, adjacent grades made to overlap, references broken (an input field, a morphology, a
dosing term), every dosing number changed, a stop-term dropped, an LLN changed.  Each mutant is
run through ``rules check``, ``rules test`` (the repository's ``cases/``) and ``rules diff``
(against the shipped rules on ``examples/``); a command *catches* a mutant when it exits
non-zero.

Run as a script for the full catch matrix (``python tests/mutation_rules.py [-v]``); the test
suite runs a sample (tests/test_rule_mutations.py).
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import itertools

from conftest import REPO, RULES, invoke

COMMANDS = ("check", "test", "diff")
TERM_DIRS = ("ctcae-5.0", "ctcae-6.0")
DOSING = "dosing/imatinib-gist.yaml"
REFERENCE = "reference-ranges.yaml"

_BOUND = re.compile(r"\b(lt|le|gt|ge):\s*(-?\d+(?:\.\d+)?)\b")
_OPERATOR = re.compile(r"\b(lt|le|gt|ge):")
_FLIP = {"lt": "le", "le": "lt", "gt": "ge", "ge": "gt"}
_FIELD = re.compile(r"\bfield:\s*([a-z_][a-z0-9_.]*)")
_GRADE = re.compile(r"^(\s*)- grade:\s*(\d+)")
_NUMBER = re.compile(r"(?<![\w.])(\d+(?:\.\d+)?)(?![\w.])")


@dataclass(frozen=True)
class Mutant:
    """One edit of one rule file: ``text`` replaces the file's whole text."""

    name: str
    path: str  # relative to the rules folder
    text: str


def nudges(number: str) -> list[str]:
    """Neighbouring values of a number as written: one step of its last decimal place, or for
    whole numbers 1 (below 10), 5 (below 100) or 50 and 100 (doses in mg)."""
    value = Decimal(number)
    if "." in number:
        steps = [Decimal(1).scaleb(-len(number.split(".")[1]))]
    elif value < 10:
        steps = [Decimal(1)]
    elif value < 100:
        steps = [Decimal(5)]
    else:
        steps = [Decimal(50), Decimal(100)]
    out = []
    for step in steps:
        for new in (value - step, value + step):
            if new >= 0 and new != value:
                out.append(f"{new:f}")
    return out


def _lines(rules: Path, rel: str) -> list[str]:
    return (rules / rel).read_text(encoding="utf-8").splitlines(keepends=True)


def _replace_line(lines: list[str], index: int, new: str, rel: str, name: str) -> Mutant:
    copy = list(lines)
    copy[index] = new
    return Mutant(name, rel, "".join(copy))


def _code(line: str) -> tuple[str, str]:
    """A line split into its YAML and its trailing comment (bounds live in ``when`` flows)."""
    if "#" in line and not line.lstrip().startswith("#"):
        at = line.index("#")
        return line[:at], line[at:]
    return line, ""


def _grade_blocks(lines: list[str]) -> list[tuple[int, int, int]]:
    """(grade, first line, end line) of each entry of the ``grades:`` list."""
    try:
        start = next(i for i, ln in enumerate(lines) if ln.startswith("grades:"))
    except StopIteration:
        return []
    blocks: list[tuple[int, int, int]] = []
    for i in range(start + 1, len(lines) + 1):
        line = lines[i] if i < len(lines) else ""
        match = _GRADE.match(line)
        ends = i == len(lines) or match or (line.strip() and not line.startswith(" "))
        if ends and blocks and blocks[-1][2] == -1:
            blocks[-1] = (blocks[-1][0], blocks[-1][1], i)
        if match:
            blocks.append((int(match.group(2)), i, -1))
        elif i < len(lines) and line.strip() and not line.startswith(" "):
            break
    return [b for b in blocks if b[2] != -1]


def _when_span(lines: list[str], first: int, end: int) -> tuple[int, int]:
    """The lines of a grade entry's ``when`` (the key line and its nested lines)."""
    at = next(i for i in range(first, end) if lines[i].lstrip().startswith("when:"))
    indent = len(lines[at]) - len(lines[at].lstrip())
    stop = at + 1
    while stop < end and (len(lines[stop]) - len(lines[stop].lstrip())) > indent:
        stop += 1
    return at, stop


def term_mutants(rules: Path, rel: str) -> Iterator[Mutant]:
    lines = _lines(rules, rel)
    stem = rel.removesuffix(".yaml")
    blocks = _grade_blocks(lines)
    spans = {g: _when_span(lines, a, b) for g, a, b in blocks}
    in_when = {i for a, b in spans.values() for i in range(a, b)}
    present: set[int] = set()
    for i, ln in enumerate(lines):
        if ln.startswith("present_when:"):
            j = i + 1
            while j < len(lines) and lines[j].startswith(" "):
                present.add(j)
                j += 1
    for i, line in enumerate(lines):
        code, comment = _code(line)
        grade = next((g for g, (a, b) in spans.items() if a <= i < b), None)
        where = f"g{grade}" if grade is not None else f"present_when@L{i + 1}"
        named = _FIELD.search(code)
        if named:
            where += f":{named.group(1)}"
        if i not in in_when and i not in present:
            continue
        for m in _BOUND.finditer(code):
            for new in nudges(m.group(2)):
                text = code[: m.start(2)] + new + code[m.end(2) :] + comment
                yield _replace_line(
                    lines, i, text, rel, f"{stem}:{where}:{m.group(1)} {m.group(2)}->{new}"
                )
        for m in _OPERATOR.finditer(code):
            flipped = _FLIP[m.group(1)]
            text = code[: m.start(1)] + flipped + code[m.end(1) :] + comment
            yield _replace_line(lines, i, text, rel, f"{stem}:{where}:{m.group(1)}->{flipped}")
    seen: set[str] = set()
    for i, line in enumerate(lines):
        code, comment = _code(line)
        for m in _FIELD.finditer(code):
            if m.group(1) in seen:
                continue
            seen.add(m.group(1))
            text = code[: m.end(1)] + "_x" + code[m.end(1) :] + comment
            yield _replace_line(lines, i, text, rel, f"{stem}:field {m.group(1)}->_x")
        if line.lstrip().startswith("- morphology:"):
            copy = lines[:i] + lines[i + 1 :]
            yield Mutant(
                f"{stem}:applies_to -{line.split(':')[1].split('#')[0].strip()}", rel, "".join(copy)
            )
    for grade, first, end in blocks:
        yield Mutant(f"{stem}:remove grade {grade}", rel, "".join(lines[:first] + lines[end:]))
    for (g1, a1, b1), (g2, a2, b2) in itertools.pairwise(blocks):
        w1, w2 = _when_span(lines, a1, b1), _when_span(lines, a2, b2)
        when1, when2 = lines[w1[0] : w1[1]], lines[w2[0] : w2[1]]
        if when1 == when2:
            continue
        up = lines[: w1[0]] + when2 + lines[w1[1] :]  # grade g1 gets g2's criteria
        yield Mutant(f"{stem}:overlap g{g1}:=g{g2}", rel, "".join(up))
        down = lines[: w2[0]] + when1 + lines[w2[1] :]
        yield Mutant(f"{stem}:overlap g{g2}:=g{g1}", rel, "".join(down))


def dosing_mutants(rules: Path) -> Iterator[Mutant]:
    lines = _lines(rules, DOSING)
    section = ""
    for i, line in enumerate(lines):
        if line and not line[0].isspace() and not line.startswith("#"):
            section = line.split(":")[0]
        if section not in ("ladder_mg", "hematologic", "skin", "progression"):
            continue
        code, comment = _code(line)
        key = line.strip().split(":")[0]
        for m in _NUMBER.finditer(code):
            for new in nudges(m.group(1)):
                text = code[: m.start(1)] + new + code[m.end(1) :] + comment
                yield _replace_line(
                    lines,
                    i,
                    text,
                    DOSING,
                    f"dosing:{section}.{key}[{m.start(1)}] {m.group(1)}->{new}",
                )
        if section == "ladder_mg" and key == "ladder_mg":
            for m in _NUMBER.finditer(code):
                rest = code[: m.start(1)] + code[m.end(1) :]
                rest = rest.replace("[, ", "[").replace(", ,", ",").replace(", ]", "]")
                yield _replace_line(
                    lines, i, rest + comment, DOSING, f"dosing:ladder -{m.group(1)}"
                )
        if key == "discontinue_terms":
            for term in re.findall(r"[a-z_]+", code.split(":", 1)[1]):
                new = re.sub(rf"\b{term}\b,?\s*", "", code).replace(", ]", "]")
                yield _replace_line(lines, i, new + comment, DOSING, f"dosing:discontinue -{term}")
                yield _replace_line(
                    lines,
                    i,
                    code.replace(term, term + "_x") + comment,
                    DOSING,
                    f"dosing:discontinue {term}->_x",
                )
        if key == "episode_terms":
            for term in re.findall(r":\s*([a-z_]+)", code.split(":", 1)[1]):
                yield _replace_line(
                    lines,
                    i,
                    code.replace(term, term + "_x") + comment,
                    DOSING,
                    f"dosing:episode_terms {term}->_x",
                )


def reference_mutants(rules: Path) -> Iterator[Mutant]:
    lines = _lines(rules, REFERENCE)
    section = ""
    for i, line in enumerate(lines):
        if line and not line[0].isspace():
            section = line.split(":")[0]
        m = re.match(r"(\s+lln:\s*)(\d+(?:\.\d+)?)", line)
        if m:
            for new in nudges(m.group(2)):
                yield _replace_line(
                    lines,
                    i,
                    m.group(1) + new + line[m.end(2) :],
                    REFERENCE,
                    f"reference:{section}.lln {m.group(2)}->{new}",
                )


def all_mutants(rules: Path = RULES) -> list[Mutant]:
    out: list[Mutant] = []
    for folder in TERM_DIRS:
        for path in sorted((rules / folder).glob("*.yaml")):
            out.extend(term_mutants(rules, f"{folder}/{path.name}"))
    if (rules / DOSING).is_file():
        out.extend(dosing_mutants(rules))
    out.extend(reference_mutants(rules))
    return out


@contextlib.contextmanager
def _in_repo() -> Iterator[None]:
    """Cases name their visits by paths relative to the repository root (as the README runs
    them), so run from there."""
    here = os.getcwd()
    os.chdir(REPO)
    try:
        yield
    finally:
        os.chdir(here)


def run_commands(rules: Path, cases: str = "cases") -> dict[str, int]:
    """Exit code of each command on a rule folder (``rules test`` over ``cases``)."""
    with _in_repo():
        return {
            "check": invoke(["rules", "check", "--rules", str(rules)]).exit_code,
            "test": invoke(["rules", "test", cases, "--rules", str(rules)]).exit_code,
            "diff": invoke(["rules", "diff", str(RULES), str(rules), "examples"]).exit_code,
        }


def covering_cases(mutant: Mutant) -> str:
    """The golden cases of the edited file (a term's case file, the dosing cases, or the v5.0
    cases for a reference range): ``rules test`` over these alone costs a tenth of all."""
    if mutant.path.startswith(TERM_DIRS):
        return f"cases/{mutant.path}"
    return "cases/dosing" if mutant.path == DOSING else "cases/ctcae-5.0"


def catches(mutant: Mutant, workdir: Path, cases: str = "cases") -> dict[str, int]:
    """Apply ``mutant`` to a fresh copy of the rules under ``workdir`` and run the commands."""
    copy = workdir / "rules"
    if copy.exists():
        shutil.rmtree(copy)
    shutil.copytree(RULES, copy)
    (copy / mutant.path).write_text(mutant.text, encoding="utf-8")
    return run_commands(copy, cases)


def main(argv: list[str]) -> int:
    verbose = "-v" in argv
    pattern = next((a for a in argv if not a.startswith("-")), "")
    mutants = [m for m in all_mutants() if pattern in m.name]
    missed = 0
    with tempfile.TemporaryDirectory(prefix="gist-tox-mutants-") as tmp:
        base = catches(Mutant("unedited", REFERENCE, (RULES / REFERENCE).read_text()), Path(tmp))
        print(f"unedited: {base}")
        for mutant in mutants:
            codes = catches(mutant, Path(tmp))
            caught = "".join(c[0].upper() if codes[c] else "." for c in COMMANDS)
            if verbose or caught != "CTD":
                print(f"{caught}  {[int(codes[c]) for c in COMMANDS]}  {mutant.name}")
            missed += caught != "CTD"
    print(f"{len(mutants)} mutants, {len(mutants) - missed} caught by all three, {missed} not")
    return 1 if missed else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
