"""Error values and exit codes.

Every input problem becomes an :class:`InputError` that knows the file, the field (as a dotted
path), the position when the YAML parser knows it, and what was expected.  The CLI turns it into
one line and exit code 2; nothing below the CLI ever calls ``sys.exit`` or prints.
"""

from __future__ import annotations

from enum import IntEnum
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from typing import TypedDict, Unpack

    class Where(TypedDict, total=False):
        """Where in its file a :class:`Problem` is, and its kind (the keyword arguments of
        ``Problem`` and ``InputError``)."""

        field: str | None
        line: int | None
        column: int | None
        code: str


class ExitCode(IntEnum):
    """Exit codes shared by every command (see the README)."""

    OK = 0
    FINDINGS = 1  # only where an option or a check command asks for findings to fail
    INPUT_ERROR = 2  # usage or input error


def printable(text: str) -> str:
    """Escape control characters (a file name or value could hold terminal escape codes)."""
    if text.isprintable():
        return text
    return "".join(ch if ch.isprintable() else repr(ch)[1:-1] for ch in text)


ECHO_MAX = 24
"""The longest text a message repeats from a file (see :func:`echo`)."""


def echo(text: str) -> str:
    """A text value from a file as a message may repeat it: a single short word (``'g/L'``,
    ``'hematological'``, ``'2024-02-30'``) quoted, so the writer sees what was read; anything
    longer or with spaces only by its length.  A message goes to stderr, to a CSV's
    ``error_message`` and into logs: it must not copy patient data (``age: 'Jane Doe is
    71'``) there."""
    if len(text) <= ECHO_MAX and text.isprintable() and not any(c.isspace() for c in text):
        return repr(text)
    return f"text of {len(text)} characters"


class GistToxError(Exception):
    """Base class of the errors the CLI reports as one line with exit code 2."""

    code = "error"

    def one_line(self) -> str:
        return str(self)


class Problem:
    """One problem with one file, from where it is found to where it is shown: the file, the
    line and column when known, the field as a dotted path (``labs.anc.unit``, list items as
    ``history[0].date``), a short code and the message.  A bad visit (:class:`InputError`), a
    failed file in a batch (its ``gist-tox/file-error@1`` record, its CSV row, its table row,
    its stderr line), a broken rule file (:class:`RulesError`, ``rules check``) and a golden
    case's failure (``rules test``) all carry this one record; nothing rebuilds it from a dict.

    (A plain slotted class, not a dataclass: every dataclass costs about a millisecond at
    start-up, and this module is imported by every command.)"""

    __slots__ = ("code", "column", "field", "line", "message", "source")

    def __init__(self, source: str, message: str, **where: Unpack[Where]) -> None:
        self.source = "<stdin>" if source == "-" else source  # never a bare "-" in a message
        self.message = message
        self.field = where.get("field")
        self.line = where.get("line")
        self.column = where.get("column")
        self.code = where.get("code", "input")

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Problem) and self.as_dict() == other.as_dict()

    def __hash__(self) -> int:
        return hash(tuple(self.as_dict().values()))

    def __repr__(self) -> str:
        return f"Problem({self.one_line()!r}, code={self.code!r})"

    @property
    def at_line(self) -> str:
        """``FILE[:LINE]``."""
        return self.source if self.line is None else f"{self.source}:{self.line}"

    @property
    def where(self) -> str:
        """``FILE[:LINE[:COLUMN]]``."""
        if self.line is None or self.column is None:
            return self.at_line
        return f"{self.at_line}:{self.column}"

    @property
    def text(self) -> str:
        """``[FIELD: ]MESSAGE``: the problem without where its file is (a golden case's
        difference, a GitHub annotation's message)."""
        return f"{self.field}: {self.message}" if self.field else self.message

    def one_line(self, column: bool = True) -> str:
        """``FILE[:LINE[:COLUMN]]: [FIELD: ]MESSAGE``, as compilers say it (control
        characters escaped: a file name's new line shows as ``\\n``); ``rules check`` has
        always named file and line only (``column=False``)."""
        where = printable(self.where if column else self.at_line)
        return printable(f"{where}: {self.text}".replace("\n", " "))

    def as_dict(self) -> dict[str, object]:
        """The fields of a ``gist-tox/file-error@1`` record, in its order."""
        return {
            "source": self.source,
            "field": self.field,
            "line": self.line,
            "column": self.column,
            "code": self.code,
            "message": self.message,
        }


class InputError(GistToxError):
    """A file that cannot be read as what it should be: raised with its :class:`Problem`
    (``InputError(source, message, field=...)`` makes the record; :meth:`of` raises one
    already made)."""

    def __init__(self, source: str, message: str, **where: Unpack[Where]) -> None:
        self._refuse(Problem(source, message, **where))

    def _refuse(self, problem: Problem) -> None:
        self.problem = problem
        self.also: list[Problem] = []
        """The file's other problems, in file order (a visit with four mistakes is reported
        with all four at once); the message above counts them."""
        super().__init__(problem.one_line())

    @classmethod
    def of(cls, problem: Problem) -> InputError:
        """The error that refuses a file for ``problem`` (that record, not a copy)."""
        error = cls.__new__(cls)
        error._refuse(problem)
        return error

    @property
    def source(self) -> str:
        return self.problem.source

    @property
    def message(self) -> str:
        return self.problem.message

    @property
    def field(self) -> str | None:
        return self.problem.field

    @property
    def line(self) -> int | None:
        return self.problem.line

    @property
    def column(self) -> int | None:
        return self.problem.column

    @property
    def code(self) -> str:  # type: ignore[override]
        return self.problem.code

    def one_line(self) -> str:
        return self.problem.one_line()

    def as_dict(self) -> dict[str, object]:
        return self.problem.as_dict()


class RulesError(GistToxError):
    """A rule set that fails validation; it is never used to grade."""

    code = "rules"

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("; ".join(p.one_line() for p in problems))

    def one_line(self) -> str:
        first = self.problems[0].one_line() if self.problems else "invalid rules"
        more = len(self.problems) - 1
        hint = f" (and {more} more problem(s); run `gist-tox rules check`)" if more else ""
        return first + hint


class OutputError(GistToxError):
    """The system refused to write an output (a full disk, no permission, a sticky folder):
    one line naming the file, exit 2; not a bug."""

    code = "output"

    def __init__(self, path: str, message: str) -> None:
        self.path = path
        self.message = message
        super().__init__(printable(f"{path}: {message}"))


class Terminated(BaseException):
    """SIGTERM or SIGHUP arrived: unwind as Ctrl-C does (workers stopped, temporary files
    removed), then exit 128 + the signal's number.  Not an :class:`Exception`, so that no
    ``except Exception`` on the way can swallow it."""

    def __init__(self, signum: int) -> None:
        self.signum = signum
        super().__init__(signum)


class UsageError(GistToxError):
    """A command-line usage problem found after option parsing (exit 2)."""

    code = "usage"
