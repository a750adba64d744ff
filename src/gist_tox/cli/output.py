"""Where output goes: stdout, or a file written atomically (temporary file, then rename)."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from gist_tox.errors import UsageError

if TYPE_CHECKING:
    from rich.console import Console


def refuse_input_as_output(path: Path | None, inputs: Iterable[str]) -> None:
    """No command ever writes to its input files: ``-o visit.yaml`` naming the visit it reads
    would replace the clinical record by the report."""
    if path is None or str(path) == "-" or not path.is_file():
        return
    for name in inputs:
        with suppress(OSError):
            if name != "-" and os.path.samefile(name, path):
                raise UsageError(
                    f"--output {path}: is an input file; it is never overwritten,"
                    " choose another name"
                )


@contextmanager
def open_output(path: Path | None, inputs: Iterable[str] = ()) -> Iterator[TextIO]:
    """Yield a text stream; for a path, nothing appears there unless the block completes."""
    refuse_input_as_output(path, inputs)
    if path is None or str(path) == "-":
        yield sys.stdout
        sys.stdout.flush()
        return
    import tempfile  # only when writing a file: kept off the start-up path

    directory = path.parent if str(path.parent) else Path(".")
    if path.is_dir():
        raise UsageError(f"{path}: is a folder; --output needs a file name")
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=directory)
    except OSError as exc:  # no such folder, permission denied: one line, never a traceback
        raise UsageError(
            f"{path}: cannot write the output file here: {exc.strerror or exc} ({directory})"
        ) from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        with suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def color_allowed(stream: TextIO) -> bool:
    """Colour only on a terminal, and never when NO_COLOR is set (https://no-color.org)."""
    if os.environ.get("NO_COLOR"):
        return False
    return stream.isatty()


def terminal(stream: TextIO, width: int | None = None) -> Console:
    """A rich console for ``stream``: colour only where allowed, no emoji or highlighting
    (a term such as "rash" must never turn into a picture), the terminal's width or ``width``."""
    from rich.console import Console

    class _Console(Console):
        def on_broken_pipe(self) -> None:
            """rich would exit 1 ("findings" to a script); the CLI exits 0 for `| head`."""
            self.quiet = True
            raise BrokenPipeError

    return _Console(
        file=stream,
        no_color=not color_allowed(stream),
        emoji=False,
        width=width,
        highlight=False,
        soft_wrap=False,
    )


def emit(
    output: Path | None,
    data: Any,
    *,
    as_json: bool,
    render: Callable[[Console, Any], None],
    inputs: Iterable[str] = (),
) -> None:
    """Write ``data`` as JSON, or through ``render`` as a table, to stdout or ``output``."""
    with open_output(output, inputs) as stream:
        if as_json:
            from gist_tox.render.json import dumps

            stream.write(dumps(data) + "\n")
        else:
            render(terminal(stream), data)
