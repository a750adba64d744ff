"""The typer application object and the options every command shares."""

from __future__ import annotations

import datetime
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from typer.core import TyperGroup

from gist_tox import __version__
from gist_tox.errors import ExitCode, GistToxError
from gist_tox.render import registry

# Each command's ``--format`` choices come from the registry of renderers; to the type checker
# they are plain strings (the enum is built at run time, for typer to list and check them).
if TYPE_CHECKING:
    from typing import TypeAlias

    ResultFormat: TypeAlias = str
    TimelineFormat: TypeAlias = str
    BatchFormat: TypeAlias = str
else:
    ResultFormat = registry.choices(registry.RESULT, "ResultFormat")
    TimelineFormat = registry.choices(registry.TIMELINE, "TimelineFormat")
    BatchFormat = registry.choices(registry.BATCH, "BatchFormat")


class State:
    """Options of the whole run, set by the application's callback.  (A plain class, not a
    dataclass: every dataclass costs about a millisecond at start-up.)"""

    debug: bool = False


state = State()


class SafeGroup(TyperGroup):
    """Maps errors to exit codes: a :class:`GistToxError` is one line on stderr and exit 2; any
    other exception is an "internal error" line, exit 2.  ``--debug`` shows the traceback."""

    def invoke(self, ctx: typer.Context) -> object:  # type: ignore[override]
        try:
            return super().invoke(ctx)
        except (typer.Exit, typer.Abort, typer.TyperException):
            raise
        except GistToxError as exc:
            if state.debug:
                raise
            typer.echo(f"gist-tox: {exc.one_line()}", err=True)
            raise typer.Exit(ExitCode.INPUT_ERROR) from None
        except KeyboardInterrupt:
            typer.echo("gist-tox: interrupted", err=True)
            raise typer.Exit(130) from None
        except BrokenPipeError:
            # The reader went away (`| head`): not an error of ours, exit 0.  Handled here
            # because click's own handler would exit 1, which means "findings" to a script.
            import os
            import sys

            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            raise typer.Exit(ExitCode.OK) from None
        except Exception as exc:
            if state.debug:
                raise
            typer.echo(
                f"gist-tox: internal error: {type(exc).__name__}: {exc} "
                "(rerun with --debug for the traceback)",
                err=True,
            )
            raise typer.Exit(ExitCode.INPUT_ERROR) from None


app = typer.Typer(
    name="gist-tox",
    cls=SafeGroup,
    help="CTCAE grades and imatinib dose recommendations for GIST visits, with the reasons shown.",
    no_args_is_help=True,
    add_completion=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)


class Ctcae(StrEnum):
    v5 = "5.0"
    v6 = "6.0"


RulesOption = Annotated[
    Path | None,
    typer.Option(
        "--rules",
        help="Folder of rules to use (default: the shipped rules).",
        file_okay=False,
        show_default=False,
    ),
]
OutputOption = Annotated[
    Path | None,
    typer.Option(
        "--output",
        "-o",
        help="Write to this file (atomically: nothing is left there "
        "if the command fails) instead of stdout.",
        dir_okay=False,
        show_default=False,
    ),
]
CtcaeOption = Annotated[
    Ctcae | None,
    typer.Option(
        "--ctcae",
        help="CTCAE version (default: the visit's pin, else the rules' configured default, 5.0).",
    ),
]

DateOption = Annotated[
    datetime.date | None,
    typer.Option(
        "--date",
        help="FHIR input: the day to grade (YYYY-MM-DD; default: the latest day with a blood"
        " count).",
        parser=lambda text: _iso_day(text),
        metavar="YYYY-MM-DD",
        show_default=False,
    ),
]


def _iso_day(text: str) -> datetime.date:
    try:
        return datetime.date.fromisoformat(text)
    except ValueError:
        raise typer.BadParameter(f"{text!r} is not a date; expected YYYY-MM-DD") from None


def _version(value: bool) -> None:
    if not value:
        return
    from gist_tox.ruleset.loader import load_ruleset, shipped_rules_dir

    folder = shipped_rules_dir()
    ruleset = load_ruleset(folder)
    typer.echo(f"gist-tox {__version__}")
    typer.echo(
        f"rules {ruleset.config.name} (default CTCAE v{ruleset.ctcae_version}) {ruleset.digest}"
    )
    typer.echo(f"rules folder {folder}")
    raise typer.Exit(0)


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option(
            "--version",
            callback=_version,
            is_eager=True,
            help="Show the version and the rules digest.",
        ),
    ] = False,
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks on errors.")] = False,
) -> None:
    """CTCAE grades and imatinib dose recommendations for GIST visits, with the reasons shown.

    Exit codes: 0 done; 1 findings, only where an option or a check command asks for them;
    2 usage or input error.
    """
    state.debug = debug
