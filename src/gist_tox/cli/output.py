"""Where output goes: stdout, or a file written atomically (temporary file, then rename)."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import TextIO

from gist_tox.errors import UsageError


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
