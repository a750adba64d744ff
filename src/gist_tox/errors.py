"""Error values and exit codes.

Every input problem becomes an :class:`InputError` that knows the file, the field (as a dotted
path), the position when the YAML parser knows it, and what was expected.  The CLI turns it into
one line and exit code 2; nothing below the CLI ever calls ``sys.exit`` or prints.
"""

from __future__ import annotations

from enum import IntEnum


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


class InputError(GistToxError):
    """A file that cannot be read as what it should be.

    ``field`` is a dotted path such as ``labs.anc.unit`` (list items as ``history[0].date``).
    """

    def __init__(
        self,
        source: str,
        message: str,
        *,
        field: str | None = None,
        line: int | None = None,
        column: int | None = None,
        code: str = "input",
    ) -> None:
        self.source = "<stdin>" if source == "-" else source  # never a bare "-" in a message
        self.message = message
        self.field = field
        self.line = line
        self.column = column
        self.code = code
        super().__init__(self.one_line())

    def one_line(self) -> str:
        where = printable(self.source)  # a file name's new line shows as \n
        if self.line is not None:
            where += f":{self.line}"
            if self.column is not None:
                where += f":{self.column}"
        parts = [where]
        if self.field:
            parts.append(self.field)
        parts.append(self.message)
        return printable(": ".join(parts).replace("\n", " "))

    def as_dict(self) -> dict[str, object]:
        return {
            "source": self.source,
            "field": self.field,
            "line": self.line,
            "column": self.column,
            "code": self.code,
            "message": self.message,
        }


class RulesError(GistToxError):
    """A rule set that fails validation; it is never used to grade."""

    code = "rules"

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("; ".join(problems))

    def one_line(self) -> str:
        first = self.problems[0] if self.problems else "invalid rules"
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
