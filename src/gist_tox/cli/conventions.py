"""What every command shares, so that each behaves as users of mature tools expect.

- ``-q/--quiet``, ``-v/--verbose`` and ``--debug`` are accepted on every command, before or after
  its name (:func:`polish`, applied to each command as the application resolves it, so a
  command added later gets them too).
- A usage error is one line on stderr with a hint, exit 2 (:func:`usage_line`).
- Help text shows plain metavars: ``FILE|-``, not ``{FILE|-}``; ``N``, not ``<int range>``.
- Output that the terminal's encoding cannot show falls back to ASCII (``>=``, ``-``) instead
  of failing (:func:`ascii_fallback`, ``render/ascii.py``).
"""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Any

from typer._click.core import Command, Context, Parameter
from typer._click.exceptions import NoSuchOption, UsageError
from typer._click.types import _NumberRangeBase
from typer.core import TyperGroup, TyperOption

# typer 0.28 parses with its own copy of click (``typer._click``): the classes above are the ones
# its commands are made of.


class State:
    """Options of the whole run.  (A plain class, not a dataclass: every dataclass costs about
    a millisecond at start-up.)"""

    debug: bool = False
    quiet: bool = False
    verbose: bool = False
    rules: Path | None = None  # --rules given before the command
    rules_from_env: bool = False  # the rules folder came from $GIST_TOX_RULES

    def reset(self) -> None:
        self.debug = self.quiet = self.verbose = self.rules_from_env = False
        self.rules = None


state = State()


# --- -q / -v / --debug on every command --------------------------------------------------------


def _set(name: str) -> Any:
    def callback(ctx: Context, param: Parameter, value: bool) -> None:
        if value:  # a flag left out never undoes the same flag given before the command
            setattr(state, name, True)
        if state.quiet and state.verbose:
            raise UsageError("-q/--quiet and -v/--verbose contradict each other", ctx)

    return callback


def shared_options() -> list[TyperOption]:
    """The options every command takes; they set :data:`state`, never a command's argument."""
    return [
        TyperOption(
            param_decls=["-q", "--quiet"],
            is_flag=True,
            expose_value=False,
            callback=_set("quiet"),
            help="Print only the result: no notes, counts or progress.",
        ),
        TyperOption(
            param_decls=["-v", "--verbose"],
            is_flag=True,
            expose_value=False,
            callback=_set("verbose"),
            help="Print more detail (grade: every term, each in full).",
        ),
        TyperOption(
            param_decls=["--debug"],
            is_flag=True,
            expose_value=False,
            callback=_set("debug"),
            help="Show the Python traceback of an error, for a bug report.",
        ),
    ]


def polish(command: Command) -> Command:
    """Give ``command`` the shared options and plain help text (once; idempotent)."""
    if getattr(command, "_gist_tox_polished", False):
        return command
    names = {p.name for p in command.params}
    command.params.extend(o for o in shared_options() if o.name not in names)
    for param in command.params:
        _plain_help(param)
    command.collect_usage_pieces = _plain_usage(command.collect_usage_pieces)  # type: ignore[method-assign]
    command._gist_tox_polished = True  # type: ignore[attr-defined]
    return command


def _plain_usage(original: Any) -> Any:
    """Typer writes a required argument as ``{FILE}``; the usage line reads better as ``FILE``."""

    def collect(ctx: Context) -> list[str]:
        return [
            piece[1:-1] if piece.startswith("{") and piece.endswith("}") else piece
            for piece in original(ctx)
        ]

    return collect


def _plain_help(param: Parameter) -> None:
    """A number range's option reads ``-j, --jobs N  ... (at least 1)``, not
    ``<int range> ... [x>=1]``."""
    kind = param.type
    if not isinstance(param, TyperOption) or not isinstance(kind, _NumberRangeBase):
        return
    if param.metavar is None:
        param.metavar = "N"
    words = []
    if kind.min is not None:
        words.append(f"at least {kind.min}" if not kind.min_open else f"more than {kind.min}")
    if kind.max is not None:
        words.append(f"at most {kind.max}" if not kind.max_open else f"less than {kind.max}")
    described = kind._describe_range()
    original = param.get_help_record

    def help_record(ctx: Context) -> tuple[str, str] | None:
        record = original(ctx)
        if record is None:
            return None
        names, text = record
        text = text.replace(f"  [{described}]", "").replace(f"; {described}]", "]")
        if not words:
            return names, text
        limits = ", ".join(words)
        if text.endswith("."):
            return names, f"{text} {limits[:1].upper()}{limits[1:]}."
        return names, f"{text} ({limits})"

    param.get_help_record = help_record  # type: ignore[method-assign]


# --- usage errors in one line ----------------------------------------------------------------

_NO_SUCH_COMMAND = re.compile(r"No such command '(?P<name>[^']*)'")


def usage_line(exc: UsageError) -> str:
    """One line for a usage error: what is wrong, and a hint (a close name, else where help
    is)."""
    import difflib

    ctx = exc.ctx
    path = ctx.command_path if ctx is not None else "gist-tox"
    hint = ""
    message = exc.format_message()
    unknown = _NO_SUCH_COMMAND.match(message)
    if isinstance(exc, NoSuchOption):
        message = f"unknown option {exc.option_name!r}"
        close = sorted(exc.possibilities or [])
        if not close and ctx is not None:
            known = [o for p in ctx.command.params for o in getattr(p, "opts", [])]
            close = difflib.get_close_matches(exc.option_name, known, n=1)
        if close:
            hint = f"did you mean {close[0]!r}?"
    elif unknown is not None and ctx is not None and isinstance(ctx.command, TyperGroup):
        name = unknown["name"]
        message = f"unknown command {name!r}"
        close = difflib.get_close_matches(name, ctx.command.list_commands(ctx), n=1)
        if close:
            hint = f"did you mean {close[0]!r}?"
    else:
        message = message.rstrip(".")
        message = message[:1].lower() + message[1:]
        param = getattr(exc, "param", None)
        choices = getattr(getattr(param, "type", None), "choices", None)
        value = _bad_value(message)
        if choices and value is not None:
            close = difflib.get_close_matches(value, [str(c) for c in choices], n=1)
            if close:
                hint = f"did you mean {close[0]!r}?"
        elif message.startswith("got unexpected extra argument") and path in _ONE_FILE:
            hint = _ONE_FILE[path]
    if not hint:
        hint = f"see '{path} -h'"
    where = "" if path == "gist-tox" else f"{path.removeprefix('gist-tox ')}: "
    return f"gist-tox: {where}{' '.join(message.split())} ({hint})"


_ONE_FILE = {
    "gist-tox grade": "grade reads one visit; gist-tox batch grades many",
    "gist-tox timeline": "timeline reads one patient file; run it once per patient",
}
"""The hint for more files than a command reads (``gist-tox grade visits/*.yaml``)."""


def _bad_value(message: str) -> str | None:
    found = re.search(r": '([^']*)' is not", message)
    return found.group(1) if found else None


# --- ASCII when the output cannot encode ---------------------------------------------------------


def ascii_fallback() -> None:
    """Where stdout or stderr cannot encode what gist-tox prints (``PYTHONIOENCODING=ascii``,
    a C locale), write the nearest ASCII (``>=``, ``-``, ``x10^9/L``) instead of failing.

    Renderers lay tables out in ASCII from the start (``render/ascii.py``); this catches every
    other line (messages, warnings)."""
    from gist_tox.render.ascii import ERRORS, encodes

    for stream in (sys.stdout, sys.stderr):
        if not encodes(stream):
            reconfigure = getattr(stream, "reconfigure", None)
            if reconfigure is not None:
                reconfigure(errors=ERRORS)
