"""The rich console every table is printed on: colour only where it helps, nothing rich would
otherwise add on its own (emoji, highlighting)."""

from __future__ import annotations

import os
from typing import TextIO

from rich.console import Console


def color_allowed(stream: TextIO) -> bool:
    """Colour only on a terminal, and never when NO_COLOR is set (https://no-color.org)."""
    if os.environ.get("NO_COLOR"):
        return False
    return stream.isatty()


class _Console(Console):
    def on_broken_pipe(self) -> None:
        """rich would exit 1 ("findings" to a script); the CLI exits 0 for `| head`."""
        self.quiet = True
        raise BrokenPipeError


def terminal(stream: TextIO, width: int | None = None) -> Console:
    """A rich console for ``stream``: colour only where allowed, no emoji or highlighting
    (a term such as "rash" must never turn into a picture), the terminal's width or ``width``."""
    return _Console(
        file=stream,
        no_color=not color_allowed(stream),
        emoji=False,
        width=width,
        highlight=False,
        soft_wrap=False,
    )
