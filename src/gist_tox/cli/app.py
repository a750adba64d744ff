"""The typer application object and the options every command shares."""

from __future__ import annotations

import datetime
import sys
from collections.abc import Sequence
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from typer._click.core import Command, Context
from typer._click.exceptions import ClickException, NoArgsIsHelpError, UsageError
from typer.core import TyperGroup

from gist_tox import __version__
from gist_tox.cli import signals
from gist_tox.cli.conventions import ascii_fallback, polish, state, usage_line
from gist_tox.errors import ExitCode, GistToxError, Terminated, printable
from gist_tox.render import registry

# Each command's ``--format`` choices come from the registry of renderers; to the type checker
# they are plain strings (the enum is built at run time, for typer to list and check them).
if TYPE_CHECKING:
    from typing import TypeAlias

    ResultFormat: TypeAlias = str
    TimelineFormat: TypeAlias = str
    BatchFormat: TypeAlias = str
    DiffFormat: TypeAlias = str
else:
    ResultFormat = registry.choices(registry.RESULT, "ResultFormat")
    TimelineFormat = registry.choices(registry.TIMELINE, "TimelineFormat")
    BatchFormat = registry.choices(registry.BATCH, "BatchFormat")
    DiffFormat = registry.choices(registry.DIFF, "DiffFormat")


SHOWN_PROBLEMS = 19
"""A bad file's problems are listed one a line, as ruff lists them: the first and at most this
many others (the first line counts them all)."""


class SafeGroup(TyperGroup):
    """Maps errors to exit codes: a :class:`GistToxError` is one line on stderr and exit 2; any
    other exception is an "internal error" line, exit 2; a usage error is one line with a hint,
    exit 2.  ``--debug`` shows the traceback.  Every command it resolves gets the options all
    commands share (``cli/conventions.py``)."""

    def get_command(self, ctx: Context, cmd_name: str) -> Command | None:
        command = super().get_command(ctx, cmd_name)
        return None if command is None else polish(command)

    def main(  # type: ignore[override]
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> Any:
        """As typer's, but a usage error is one line (``usage_line``), and output falls back to
        ASCII where the terminal cannot encode it."""
        state.reset()
        polish(self)
        ascii_fallback()
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, False, **extra)
        try:
            code = super().main(args, prog_name, complete_var, False, **extra)
        except NoArgsIsHelpError as exc:
            typer.echo(exc.format_message())
            sys.exit(ExitCode.OK)
        except UsageError as exc:
            typer.echo(usage_line(exc), err=True)
            sys.exit(ExitCode.INPUT_ERROR)
        except GistToxError as exc:  # from an option's callback, before any command runs
            if state.debug:
                raise
            typer.echo(f"gist-tox: {exc.one_line()}", err=True)
            sys.exit(ExitCode.INPUT_ERROR)
        except ClickException as exc:
            typer.echo(f"gist-tox: {exc.format_message()}", err=True)
            sys.exit(exc.exit_code)
        except typer.Abort:
            typer.echo("gist-tox: aborted", err=True)
            sys.exit(ExitCode.INPUT_ERROR)
        sys.exit(code if isinstance(code, int) else ExitCode.OK)

    def invoke(self, ctx: typer.Context) -> object:  # type: ignore[override]
        previous = signals.install()
        try:
            done = super().invoke(ctx)
            signals.check()  # a signal whose exception was lost still ends the command so
            return done
        except (typer.Exit, typer.Abort, typer.TyperException):
            raise
        except GistToxError as exc:
            if state.debug:
                raise
            typer.echo(f"gist-tox: {exc.one_line()}", err=True)
            for problem in getattr(exc, "also", ())[:SHOWN_PROBLEMS]:
                typer.echo(f"gist-tox: {problem.one_line()}", err=True)
            raise typer.Exit(ExitCode.INPUT_ERROR) from None
        except KeyboardInterrupt:
            typer.echo("gist-tox: interrupted", err=True)
            raise typer.Exit(130) from None
        except Terminated as exc:
            signals.say(exc)
            raise typer.Exit(128 + exc.signum) from None
        except BrokenPipeError:
            # The reader went away (`| head`): not an error of ours, exit 0.  Handled here
            # because click's own handler would exit 1, which means "findings" to a script.
            import os
            import sys

            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            raise typer.Exit(ExitCode.OK) from None
        except Exception as exc:
            lost = signals.pending()
            if lost is not None:  # what a signal whose exception was lost led to
                signals.say(Terminated(lost))
                raise typer.Exit(128 + lost) from None
            if state.debug:
                raise
            typer.echo(f"gist-tox: {_describe(exc)}", err=True)
            raise typer.Exit(ExitCode.INPUT_ERROR) from None
        finally:
            signals.restore(previous)


def _describe(exc: Exception) -> str:
    """An exception that is not the input's fault: the system's refusal (a full disk, no
    permission: what and where; not a bug, so not "internal error"), or a bug."""
    if isinstance(exc, OSError):
        where = f"{printable(str(exc.filename))}: " if exc.filename else ""
        return f"{where}{exc.strerror or exc}"
    return f"internal error: {type(exc).__name__}: {exc} (rerun with --debug for the traceback)"


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


RULES_ENV = "GIST_TOX_RULES"
"""An institution's rules folder, made the default for every command."""


def _rules_default(ctx: typer.Context, value: Path | None) -> Path | None:
    """Which rules folder a command uses: ``--rules`` after the command, else ``--rules``
    before it, else ``$GIST_TOX_RULES``, else None (the shipped rules; ``rules check`` and
    ``rules test`` first look for a rules repository here, ``cli/rules.py``)."""
    from typer._click.core import ParameterSource

    if ctx.get_parameter_source("rules") is ParameterSource.COMMANDLINE:
        return value
    if state.rules is not None:
        return state.rules
    if value is not None:
        if not value.is_dir():
            from gist_tox.errors import UsageError

            raise UsageError(f"{RULES_ENV}={value}: no such folder of rules")
        state.rules_from_env = True
    return value


RulesOption = Annotated[
    Path | None,
    typer.Option(
        "--rules",
        help=f"Folder of rules to use (default: ${RULES_ENV}, else the shipped rules).",
        file_okay=False,
        show_default=False,
        envvar=RULES_ENV,
        callback=_rules_default,
        metavar="DIR",
    ),
]
OutputOption = Annotated[
    Path | None,
    typer.Option(
        "--output",
        "-o",
        help="Write to this file instead of stdout (a regular file atomically: nothing is "
        "left there if the command fails).",
        dir_okay=False,
        show_default=False,
    ),
]
FORMAT_FROM_OUTPUT = typer.Option(
    "--format",
    "-f",
    help="Output format (default: as the --output name says, .json; else table).",
    show_default=False,
)
"""The ``--format`` of a command whose JSON output is named ``.json`` (grade, timeline, rules
diff): each pairs it with its own choice of formats, ``Annotated[Choice | None, ...] = None``."""
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
        parser=lambda text: iso_day(text),
        metavar="YYYY-MM-DD",
        show_default=False,
    ),
]


def iso_day(text: str) -> datetime.date:
    """A YYYY-MM-DD option value (``--date``, ``--since``, ``--until``), refused in one line."""
    try:
        return datetime.date.fromisoformat(text)
    except ValueError:
        raise typer.BadParameter(f"{text!r} is not a date; expected YYYY-MM-DD") from None


def _print_version(rules: Path | None) -> None:
    from gist_tox.ruleset.loader import load_ruleset, shipped_rules_dir

    folder = shipped_rules_dir() if rules is None else rules
    ruleset = load_ruleset(folder)
    typer.echo(f"gist-tox {__version__}")
    typer.echo(
        f"rules {ruleset.config.name} (default CTCAE v{ruleset.ctcae_version}) {ruleset.digest}"
    )
    typer.echo(f"rules folder {folder}")


@app.callback(invoke_without_command=True)
def _root(
    ctx: typer.Context,
    version: Annotated[
        bool,
        typer.Option(
            "--version", help="Show the version, and the name and digest of the rules in use."
        ),
    ] = False,
    rules: RulesOption = None,
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks on errors.")] = False,
) -> None:
    """CTCAE grades and imatinib dose recommendations for GIST visits, with the reasons shown.

    Exits 0 when done; 1 on findings, only where an option or a check command asks for them;
    2 on a usage or input error.  --rules, -q, -v and --debug may also follow the command.
    """
    from typer._click.core import ParameterSource

    state.debug = state.debug or debug
    if ctx.get_parameter_source("rules") is ParameterSource.COMMANDLINE:
        state.rules = rules
    if version:
        _print_version(rules)
        raise typer.Exit(ExitCode.OK)
    if ctx.invoked_subcommand is None:
        raise UsageError(f"missing command (one of {', '.join(app_commands())})", ctx)


def app_commands() -> list[str]:
    from gist_tox.cli import COMMAND_MODULES

    return list(COMMAND_MODULES)


def chosen_format(fmt: str | None, output: Path | None, kind: str) -> str:
    """``--format`` as given, else as the ``--output`` name says (``.json``, ``.csv``...),
    else the first format of ``kind`` (the table); a format the name contradicts is refused."""
    from gist_tox.cli.output import output_format

    offered = registry.names(kind)
    return output_format(fmt, output, offered, offered[0])
