"""The one interface every ``--format`` implements (after pip-audit's ``_format/interface.py``).

A renderer turns a finished document into text on a stream; it never decides what is shown
(filters, exit codes and messages on stderr are the command's) and it never grades.  A format
shows only some kinds of documents (CSV has no single-visit view): the registry
(:mod:`gist_tox.render.registry`) says which, so a command offers only formats that can show what it
makes, and the methods a format does not override are never called.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar, TextIO

if TYPE_CHECKING:
    from gist_tox.batch import Outcome, Tally


@dataclass
class BatchReport:
    """What ``batch`` hands a renderer: the outcomes to show (visits and failed files, in path
    order, produced as they are graded) and the tally of everything read.

    The tally is complete only once ``outcomes`` is exhausted: a renderer that prints counts
    before the rows (the table, HTML) reads all the outcomes first; the streaming formats never
    need the counts.
    """

    outcomes: Iterable[Outcome]
    tally: Tally
    filters: tuple[str, ...] = ()
    """The options that narrowed what is shown (``--latest``, ``--since 2024-01-01``, ...)."""
    extra: dict[str, Any] = field(default_factory=dict)


class Renderer:
    """One output format.  Each method writes one kind of document to ``stream``."""

    json_indent: ClassVar[int | None] = None
    """How ``batch`` workers serialise each result's JSON for this format (``None``: compact);
    they do it once, in the worker, so the parent never re-encodes a result."""

    def configured(self, *, quiet: bool = False, verbose: bool = False) -> Renderer:
        """This format with less (``-q``) or more (``-v``) detail, where it has such levels
        (the table of one visit does); a format without them is itself."""
        return self

    def result(self, stream: TextIO, result: dict[str, Any]) -> None:
        """One graded visit (``gist-tox/result@1``), as ``grade`` prints it."""
        raise NotImplementedError

    def comparison(self, stream: TextIO, data: dict[str, Any]) -> None:
        """``grade --compare-ctcae`` (``gist-tox/ctcae-comparison@1``)."""
        raise NotImplementedError

    def timeline(self, stream: TextIO, data: dict[str, Any]) -> None:
        """A replayed patient (``gist-tox/timeline@1``)."""
        raise NotImplementedError

    def batch(self, stream: TextIO, report: BatchReport) -> None:
        """Many visits and the files that failed."""
        raise NotImplementedError

    def diff(self, stream: TextIO, data: dict[str, Any]) -> None:
        """``rules diff`` (``gist-tox/rules-diff@1``): what a rule change does to visits."""
        raise NotImplementedError
