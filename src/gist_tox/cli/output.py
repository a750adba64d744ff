"""Where output goes: stdout, or a file; one function, :func:`open_output`, writes every file.

How a file is written, and why:

* **Atomically, for a regular file** (a new one, or one that exists): into a temporary file in
  the same folder, renamed over the name only when complete, so an interrupted or failed run
  never leaves half a report; the temporary file is removed on every failure (an error, Ctrl-C,
  SIGTERM, SIGHUP).  A symbolic link is kept: the file it points to is replaced.
* **Through, for anything else** (a character device such as ``/dev/null``, a named pipe, a
  terminal, ``/proc/self/fd/1``): written to as it is, never replaced by a regular file.  A named
  pipe that nothing reads is refused at once instead of waited on.
* **Permissions as other tools give them** (``ruff -o``, ``sort -o``): a new file gets what the
  umask allows (0644 under umask 022), so that colleagues on a shared drive can open a report;
  a file that exists keeps its mode (and, where the system allows it, its owner and group).
* **Never over what the user could not write**: a read-only file (``0444``) is refused, naming
  it, even when the folder would allow the rename; so is a visit (see
  :func:`refuse_visit_as_output`).
* **The system's refusals are one line naming the file** (a full disk, no permission, a folder
  with the sticky bit), exit 2, never "internal error".
"""

from __future__ import annotations

import errno
import io
import os
import re
import stat
import sys
from collections.abc import Iterable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import TextIO

from gist_tox.cli import signals
from gist_tox.errors import OutputError, UsageError
from gist_tox.render.registry import suffix_formats


def output_format(
    given: str | None, output: Path | None, offered: Iterable[str], default: str
) -> str:
    """The ``--format`` to write: as given, else the one the ``--output`` suffix names, else
    ``default``.  A format that contradicts the suffix (``-f table -o report.csv``) is refused:
    a file named ``.csv`` holding a table would open as garbage in a spreadsheet."""
    suffix = output.suffix if output is not None and str(output) != "-" else ""
    fitting = suffix_formats(suffix)
    offered = list(offered)
    if given is None:
        if not fitting:
            return default
        if fitting[0] not in offered:
            raise UsageError(
                f"--output {output}: a {suffix} name, but this command writes"
                f" {', '.join(offered)}; give --format, or another name"
            )
        return fitting[0]
    given = str(given)
    if fitting and given not in fitting:
        implied = fitting[0]
        raise UsageError(
            f"--format {given} does not match --output {output} (a {suffix} name means"
            f" {implied}); "
            + (f"give --format {implied}, or " if implied in offered else "choose ")
            + "another name"
        )
    return given


def refuse_input_as_output(
    path: Path | None, inputs: Iterable[str], option: str = "--output"
) -> None:
    """No command ever writes to its input files: ``-o visit.yaml`` naming the visit it reads
    would replace the clinical record by the report."""
    if path is None or str(path) == "-" or not path.is_file():
        return
    for name in inputs:
        with suppress(OSError, ValueError):
            if name != "-" and os.path.samefile(name, path):
                raise UsageError(
                    f"{option} {path}: is an input file; it is never overwritten,"
                    " choose another name"
                )


_REPORT_START = re.compile(
    rb'^(?:\xef\xbb\xbf)?\s*(?:$|\[|\{\s*(?:"\$schema"|"format"\s*:\s*"gist-tox/(?!visit@|patient@)))'
)
"""How a JSON file gist-tox wrote begins: empty, an array (``batch``), a JSON Schema, or an
object whose first key names a gist-tox output format (not the visit or patient formats)."""


def refuse_visit_as_output(path: Path | None, option: str = "--output") -> None:
    """Never write over a visit: an existing ``.yaml``/``.yml`` file, or an existing ``.json``
    file that is not a gist-tox report (a JSON array, or an object whose ``format`` is a
    gist-tox output), is refused.  ``batch -o visits/report.json`` re-run each day replaces its
    own report, but ``-o visits/2024-03-01.json`` never replaces a visit."""
    if path is None or str(path) == "-":
        return
    suffix = path.suffix.lower()
    if suffix not in (".yaml", ".yml", ".json") or not path.is_file():
        return
    if suffix == ".json":
        with suppress(OSError), path.open("rb") as handle:
            if _REPORT_START.match(handle.read(4096)):
                return
    raise UsageError(
        f"{option} {path}: is an existing {suffix[1:].upper()} file that is not a gist-tox"
        " report, likely a visit; it is never overwritten, choose another name"
    )


def check_output(path: Path | None, inputs: Iterable[str] = (), option: str = "--output") -> None:
    """Refuse, before any work is done, an ``--output`` that would be refused at the end: an
    input or a visit, a folder, a folder that does not exist, a read-only file."""
    if path is None or str(path) == "-":
        return
    refuse_input_as_output(path, inputs, option)
    refuse_visit_as_output(path, option)
    if path.is_dir():
        raise UsageError(f"{option} {path}: is a folder; it needs a file name")
    parent = path.parent if str(path.parent) else Path(".")
    if not path.exists() and not parent.is_dir():
        raise UsageError(f"{option} {path}: the folder {parent} does not exist")
    _refuse_read_only(path, option)


def _refuse_read_only(path: Path, option: str) -> None:
    try:
        info = os.stat(path)
    except OSError:
        return
    if not stat.S_ISREG(info.st_mode):
        return
    mode = stat.S_IMODE(info.st_mode)
    # root may write anything; a file nobody may write is still not replaced
    if not os.access(path, os.W_OK) or not mode & 0o222:
        raise UsageError(
            f"{option} {path}: is read-only (mode {mode:04o}); it is not replaced,"
            " choose another name or make it writable"
        )


@contextmanager
def open_output(
    path: Path | None, inputs: Iterable[str] = (), option: str = "--output"
) -> Iterator[TextIO]:
    """Yield a text stream to stdout or to ``path``; for a regular file, nothing appears there
    unless the block completes (see the module's docstring for the rest)."""
    if path is None or str(path) == "-":
        with _system_refusals("standard output"):
            yield sys.stdout
            sys.stdout.flush()
        return
    check_output(path, inputs, option)
    try:
        info: os.stat_result | None = os.stat(path)
    except OSError:
        info = None
    if info is not None and not stat.S_ISREG(info.st_mode):
        with _through(path) as stream:
            yield stream
        return
    with _atomic(path, info) as stream:
        yield stream


_WRITE_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EIO, errno.EROFS})


@contextmanager
def _system_refusals(name: str) -> Iterator[None]:
    """A write the system refused to standard output is one line naming it, exit 2."""
    try:
        yield
    except BrokenPipeError:
        raise  # a reader that went away is not an error (see cli/app.py)
    except OSError as exc:
        if exc.errno not in _WRITE_ERRNOS:
            raise
        raise OutputError(name, f"cannot write: {exc.strerror or exc}") from None


class _File(io.TextIOWrapper):
    """A text stream whose write failures (a full disk) name the output file."""

    shown: str = ""

    def write(self, text: str) -> int:
        try:
            return super().write(text)
        except BrokenPipeError:
            raise  # a reader that went away (``-o /proc/self/fd/1 | head``): not an error
        except OSError as exc:
            raise OutputError(self.shown, f"cannot write: {exc.strerror or exc}") from None

    def flush(self) -> None:
        try:
            super().flush()
        except BrokenPipeError:
            raise
        except OSError as exc:
            raise OutputError(self.shown, f"cannot write: {exc.strerror or exc}") from None


def _text(fd: int, shown: str) -> _File:
    # Buffered: a text stream straight over the raw file would drop the rest of a short write
    # (a file size limit, a nearly full disk) without an error.
    raw = io.BufferedWriter(io.FileIO(fd, "w", closefd=True))
    stream = _File(raw, encoding="utf-8", newline="")
    stream.shown = shown
    return stream


@contextmanager
def _through(path: Path) -> Iterator[TextIO]:
    """Write to a device, a named pipe or a terminal as it is (never replace it)."""
    try:
        fd = os.open(path, os.O_WRONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0))
    except OSError as exc:
        if exc.errno == errno.ENXIO:  # a named pipe with no reader: never wait for one
            raise OutputError(str(path), "is a named pipe that nothing reads from") from None
        raise OutputError(str(path), f"cannot write: {exc.strerror or exc}") from None
    with suppress(OSError):
        os.set_blocking(fd, True)
    try:
        with _text(fd, str(path)) as stream:
            yield stream
            stream.flush()
    except BrokenPipeError:
        raise
    except OSError as exc:  # closing flushes what is left
        raise OutputError(str(path), f"cannot write: {exc.strerror or exc}") from None


@contextmanager
def _atomic(path: Path, info: os.stat_result | None) -> Iterator[TextIO]:
    """Write a temporary file beside the target (where a symbolic link points), then rename."""
    import tempfile  # only when writing a file: kept off the start-up path

    shown = str(path)
    target = Path(os.path.realpath(path)) if path.is_symlink() else path
    directory = target.parent if str(target.parent) else Path(".")
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=directory)
    except OSError as exc:  # no such folder, permission denied, a full disk
        raise OutputError(
            shown, f"cannot create a file in {directory}: {exc.strerror or exc}"
        ) from None
    try:
        with _text(fd, shown) as stream:
            yield stream
            stream.flush()
            os.fsync(stream.fileno())
            _give_mode(stream.fileno(), info)
        signals.check()  # stopped by a signal: nothing is published
        os.replace(tmp, target)
    except OSError as exc:
        with suppress(OSError):
            os.unlink(tmp)
        raise OutputError(shown, _why_not(exc, directory)) from None
    except BaseException:
        with suppress(OSError):
            os.unlink(tmp)
        raise


def _give_mode(fd: int, info: os.stat_result | None) -> None:
    """The mode of the file replaced (and its owner and group where allowed), or what the
    umask gives a new file; the temporary file was private (0600) while it was written."""
    if info is None:
        mask = os.umask(0o022)
        os.umask(mask)
        os.fchmod(fd, 0o666 & ~mask)
        return
    with suppress(OSError):
        os.fchown(fd, info.st_uid, info.st_gid)
    os.fchmod(fd, stat.S_IMODE(info.st_mode))


def _why_not(exc: OSError, directory: Path) -> str:
    why = f"cannot write: {exc.strerror or exc}"
    if exc.errno in (errno.EPERM, errno.EACCES):
        with suppress(OSError):
            if os.stat(directory).st_mode & stat.S_ISVTX:
                why += f" ({directory} has the sticky bit: only a file's owner may replace it)"
    return why
