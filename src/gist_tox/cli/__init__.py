"""The ``gist-tox`` command line: flags in, core calls, renderer out, exit code.

Only this package and ``render`` know about terminals.  Each command lives in its own module and
registers itself on :data:`app`.  Every :class:`~gist_tox.errors.GistToxError` becomes one line on
stderr and exit code 2; a traceback is shown only with ``--debug``.
"""

from __future__ import annotations

import os
import sys

import typer

from gist_tox.cli.app import app, state
from gist_tox.errors import ExitCode, GistToxError

# Importing a command module registers its command on ``app``.
from gist_tox.cli import grade as _grade  # noqa: E402,F401  isort: skip

__all__ = ["app", "main"]


def main() -> None:
    """Console-script entry point."""
    try:
        app(standalone_mode=False)
    except GistToxError as exc:
        if state.debug:
            raise
        _error(exc.one_line())
        sys.exit(ExitCode.INPUT_ERROR)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except typer.Abort:
        _error("aborted")
        sys.exit(130)
    except KeyboardInterrupt:
        _error("interrupted")
        sys.exit(130)
    except BrokenPipeError:
        # The reader went away (e.g. `| head`): not an error of ours.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        sys.exit(0)
    except Exception as exc:  # noqa: BLE001 - the last line of defence: never a traceback
        import click

        if isinstance(exc, click.exceptions.ClickException):
            exc.show()
            sys.exit(ExitCode.INPUT_ERROR)
        if state.debug:
            raise
        _error(f"internal error: {type(exc).__name__}: {exc} (rerun with --debug for details)")
        sys.exit(ExitCode.INPUT_ERROR)


def _error(message: str) -> None:
    sys.stderr.write(f"gist-tox: {message}\n")
