"""SIGTERM and SIGHUP end a command as Ctrl-C does: unwinding, so that worker processes are
stopped and temporary files removed, then one line and exit 128 + the signal's number (143,
129).  Without this, ``timeout`` or a closed terminal left a temporary file full of patient
rows behind, and worker processes running."""

from __future__ import annotations

import contextlib
import signal
import sys
from typing import Any

from gist_tox.errors import Terminated

WORDS: dict[int, str] = {
    signal.SIGTERM: "terminated (SIGTERM)",
    signal.SIGHUP: "hung up (SIGHUP)",
}

Handlers = dict[int, Any]


def _terminate(signum: int, frame: object) -> None:
    """Turn SIGTERM/SIGHUP into :class:`Terminated`, once: a second signal must not interrupt
    the clean-up the first one started (SIGKILL still stops everything)."""
    for number in WORDS:
        signal.signal(number, signal.SIG_IGN)
    raise Terminated(signum)


def install() -> Handlers:
    """Handle SIGTERM and SIGHUP; return the handlers in place before."""
    previous: Handlers = {}
    for number in WORDS:
        try:
            previous[number] = signal.signal(number, _terminate)
        except ValueError:  # not the main thread (an embedding application): left alone
            break
    return previous


def restore(previous: Handlers) -> None:
    for number, handler in previous.items():
        signal.signal(number, handler)


def say(exc: Terminated) -> None:
    """The one line, on a stderr that a hang-up may have closed."""
    with contextlib.suppress(OSError, ValueError):
        sys.stderr.write(f"gist-tox: {WORDS.get(exc.signum, 'terminated')}\n")
        sys.stderr.flush()
