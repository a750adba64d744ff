"""The ``gist-tox`` command line: flags in, core calls, renderer out, exit code.

Only this package and ``render`` know about terminals.  Each command lives in its own module and
registers itself on the typer application (``cli/app.py``) when imported.  Errors are mapped to
exit codes in :class:`gist_tox.cli.app.SafeGroup`, so typer's test runner sees exactly what a
user sees.

Start-up time matters (a clinician runs ``gist-tox grade`` many times a day): :func:`main`
imports, and typer builds, only the command being run; :func:`full_app` gives the application
with every command, for tests, help and shell completion.
"""

from __future__ import annotations

import gc
import importlib
import os
import sys
from typing import TYPE_CHECKING

from gist_tox.errors import Terminated

if TYPE_CHECKING:
    import typer

STARTUP_GC_THRESHOLD = 100_000
"""Net allocations between two collections of the youngest generation (Python's default: 700).

Why: importing typer, rich and pydantic and creating the visit's and the rules' model classes
makes on the order of 100,000 objects that all live until the process ends; with the default
threshold the cycle collector walked them about 90 times during a `gist-tox grade` (~16 ms of
~220 ms) and never found anything to free.  The collector stays enabled: a long run (a batch
of 100,000 visits) still frees any reference cycle, after at most this many net allocations
(a few megabytes)."""

COMMAND_MODULES = ("grade", "timeline", "batch", "rules", "schema")
"""Each module registers the command (or command group) of the same name."""

__all__ = ["COMMAND_MODULES", "full_app", "main"]


def full_app() -> typer.Typer:
    """The application with every command registered."""
    for name in COMMAND_MODULES:
        importlib.import_module(f"gist_tox.cli.{name}")
    from gist_tox.cli.app import app

    return app


def _requested_command(argv: list[str]) -> str | None:
    """The command named on the command line, when only that one needs to be built."""
    if any(key.endswith("_COMPLETE") for key in os.environ):
        return None  # shell completion wants every command
    for arg in argv:
        if not arg.startswith("-"):
            return arg if arg in COMMAND_MODULES else None
    return None


def main() -> None:
    """Console-script entry point."""
    gc.set_threshold(STARTUP_GC_THRESHOLD)  # first: the imports below are most of the run
    # Start-up time: pydantic scans every installed distribution's entry points for plugins
    # when the first model is built (~50 ms); gist-tox uses none.  A user's own setting wins.
    os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")
    from gist_tox.cli import signals

    signals.install()  # from the start: a signal while importing ends as cleanly
    try:
        command = _requested_command(sys.argv[1:])
        if command is None:
            application = full_app()
        else:
            importlib.import_module(f"gist_tox.cli.{command}")
            from gist_tox.cli.app import app as application
        application()
    except Terminated as exc:  # outside a command (while importing, or after it)
        signals.say(exc)
        sys.exit(128 + exc.signum)
    except BrokenPipeError:
        # The reader went away (e.g. `| head`): not an error of ours.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        sys.exit(0)
    finally:
        _before_exit()


def _before_exit() -> None:
    """Spare the interpreter's shutdown a search for reference cycles among everything the run
    made: it took ~120 ms after a grade, more than grading, for memory the OS frees anyway.

    By now every output is written and closed (``cli/output.py``) and worker processes are shut
    down (``pool.py``); objects still die by reference counting as modules are cleared, and
    the standard streams are flushed by the interpreter as usual.  Only the process exits
    faster.  (Tests run the application, not this entry point, so their process is unaffected.)
    """
    gc.freeze()
