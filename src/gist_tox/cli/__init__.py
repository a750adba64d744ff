"""The ``gist-tox`` command line: flags in, core calls, renderer out, exit code.

Only this package and ``render`` know about terminals.  Each command lives in its own module and
registers itself on :data:`app` when imported below.  Errors are mapped to exit codes in
:class:`gist_tox.cli.app.SafeGroup`, so typer's test runner sees exactly what a user sees.
"""

from __future__ import annotations

import os
import sys

from gist_tox.cli.app import app

# Importing a command module registers its command on ``app``.
from gist_tox.cli import grade as _grade  # noqa: F401  isort: skip
from gist_tox.cli import timeline as _timeline  # noqa: F401  isort: skip
from gist_tox.cli import batch as _batch  # noqa: F401  isort: skip
from gist_tox.cli import rules as _rules  # noqa: F401  isort: skip
from gist_tox.cli import schema as _schema  # noqa: F401  isort: skip

__all__ = ["app", "main"]


def main() -> None:
    """Console-script entry point."""
    # Start-up time: pydantic scans every installed distribution's entry points for plugins
    # when the first model is built (~50 ms); gist-tox uses none.  A user's own setting wins.
    os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")
    try:
        app()
    except BrokenPipeError:
        # The reader went away (e.g. `| head`): not an error of ours.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        sys.exit(0)
