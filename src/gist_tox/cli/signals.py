"""SIGTERM and SIGHUP end a command as Ctrl-C does: unwinding, so that worker processes are
stopped and temporary files removed, then one line and exit 128 + the signal's number (143,
129).  Without this, ``timeout`` or a closed terminal left a temporary file full of patient
rows behind, and worker processes running."""

from __future__ import annotations

import contextlib
import os
import signal
import sys
from collections.abc import Callable, Iterable, Iterator
from typing import Any, TypeVar

from gist_tox.errors import Terminated

WORDS: dict[int, str] = {
    signal.SIGTERM: "terminated (SIGTERM)",
    signal.SIGHUP: "hung up (SIGHUP)",
}

Handlers = dict[int, Any]
T = TypeVar("T")
_registered: list[bool] = []


class _State:
    pending: int | None = None  # a signal that arrived and has not ended the command yet
    forking = False


_state = _State()


def _terminate(signum: int, frame: object) -> None:
    """Turn SIGTERM/SIGHUP into :class:`Terminated`, once: a second signal must not interrupt
    the clean-up the first one started (SIGKILL still stops everything).

    The signal is also remembered, and :func:`check` raises it again: an exception raised where
    Python only prints and ignores it (a fork's hooks, while worker processes start) would
    otherwise be lost, and the batch would run on to the end."""
    for number in WORDS:
        signal.signal(number, signal.SIG_IGN)
    _state.pending = signum
    if not _state.forking:  # in a fork's hooks it would be printed and ignored: left to check()
        raise Terminated(signum)


def _quiet(hook: Callable[[Any], object]) -> Callable[[Any], object]:
    """Python prints, and then ignores, an exception raised where it cannot propagate (a
    weak reference's callback, a fork's hooks): a :class:`Terminated` lost so is not news, as
    :func:`check` raises it again."""

    def unraisable(info: Any) -> object:
        if isinstance(info.exc_value, Terminated):
            return None
        return hook(info)

    return unraisable


def _forking(value: bool) -> None:
    _state.forking = value


def pending() -> int | None:
    """The signal that arrived, if any."""
    return _state.pending


def check() -> None:
    """Raise :class:`Terminated` if a signal arrived whose exception was lost."""
    if _state.pending is not None:
        raise Terminated(_state.pending)


def checked(items: Iterable[T]) -> Iterator[T]:
    """``items``, stopping with :class:`Terminated` at the first item after a signal."""
    for item in items:
        check()
        yield item


def install() -> Handlers:
    """Handle SIGTERM and SIGHUP; return the handlers in place before."""
    if not _registered:
        _registered.append(True)
        sys.unraisablehook = _quiet(sys.unraisablehook)
        os.register_at_fork(
            before=lambda: _forking(True),
            after_in_parent=lambda: _forking(False),
            after_in_child=lambda: _forking(False),
        )
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
