"""``rules check``: every term rule quotes NCI, character for character.

A rule file's ``term``, ``meddra_code``, ``soc`` and each grade's ``ctcae:`` text must equal NCI's
own (the term lists shipped with the package, ``gist_tox.nci``), and ``nci_grades`` must list the
grades NCI defines.  The only thing forgiven is how white space is laid out (a YAML folded string
breaks a long quotation across lines); a word, a sign or a digit that differs is reported with
both texts, so a quotation edited by one word cannot pass.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Protocol

from gist_tox.nci import NciTerm, normalise_cell, terms
from gist_tox.ruleset.schema import TermRule


class _Out(Protocol):
    def add(self, where: Any, path: tuple[Any, ...], message: str) -> None: ...


class _RuleFile(Protocol):
    @property
    def document(self) -> Any: ...
    @property
    def relpath(self) -> str: ...
    @property
    def model(self) -> Any: ...


def check_quotations(version: str, files: Iterable[_RuleFile], out: _Out) -> None:
    """Report every difference between the term rules of ``version`` and NCI's term list."""
    nci = terms(version)
    for rf in files:
        rule: TermRule = rf.model
        entry = nci.get(rule.id)
        if entry is None:
            out.add(
                rf,
                ("id",),
                f"{rule.id!r} is not the id of an NCI CTCAE v{version} term (ids: NCI's term in"
                " lower case, other characters as '_')",
            )
            continue
        _check_term(rf, rule, entry, version, out)


def _check_term(rf: _RuleFile, rule: TermRule, entry: NciTerm, version: str, out: _Out) -> None:
    where = f"NCI CTCAE v{version}"
    for key, ours, theirs in (
        ("term", rule.term, entry.term),
        ("meddra_code", rule.meddra_code, entry.meddra_code),
        ("soc", rule.soc, entry.soc),
    ):
        if ours != theirs:
            out.add(rf, (key,), f"{ours!r} differs from {where}: {theirs!r}")
    defined = entry.defined_grades
    if rule.nci_grades is not None and sorted(rule.nci_grades) != defined:
        out.add(
            rf,
            ("nci_grades",),
            f"{sorted(rule.nci_grades)} differs from the grades {where} defines for"
            f" {entry.term}: {defined}",
        )
    for i, criterion in enumerate(rule.grades):
        cell = entry.cell(criterion.grade)
        if cell is None:
            out.add(
                rf,
                ("grades", i, "grade"),
                f"{where} defines no grade {criterion.grade} for {entry.term} ('-')",
            )
            continue
        if normalise_cell(criterion.ctcae) != normalise_cell(cell):
            out.add(
                rf,
                ("grades", i, "ctcae"),
                f"the quotation differs from {where}, {entry.term}, grade {criterion.grade}"
                f" {_first_difference(criterion.ctcae, cell)}: rule {criterion.ctcae!r}; NCI"
                f" {cell!r}",
            )


def _first_difference(ours: str, theirs: str) -> str:
    a, b = normalise_cell(ours), normalise_cell(theirs)
    at = next(
        (i for i, (x, y) in enumerate(zip(a, b, strict=False)) if x != y), min(len(a), len(b))
    )
    return f"(from character {at + 1}: {a[at : at + 20]!r} vs {b[at : at + 20]!r})"
