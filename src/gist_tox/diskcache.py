"""A small per-user cache of pickled objects, to keep one-off work off the start-up path.

What it holds: validated rule sets (``ruleset/cache.py``) and pydantic validators
(``validators.py``), each under a key that changes whenever anything it was made from changes.
A key is never reused for different content, and every entry carries the SHA-256 of its pickled
bytes, checked before they are unpickled: an entry is either exactly what was written or is
discarded (and the caller rebuilds it), never half-trusted.

The cache lives in ``$GIST_TOX_CACHE_DIR``, else ``$XDG_CACHE_HOME/gist-tox``, else
``~/.cache/gist-tox``; ``GIST_TOX_NO_CACHE=1`` turns it off.  Like Python's own ``__pycache__``,
files are trusted only when the current user owns them and nobody else can write them or their
folder (a pickle can run code when loaded).  Every failure to read or write is silent: the
caller then does the work again.  At most :data:`KEEP` entries of each kind are kept.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import pickle
import stat
import sys
from functools import lru_cache
from pathlib import Path
from typing import Any

KEEP = 32
"""Entries kept per kind: every edit of a rule file (a maintainer at work, a CI job checking
rule changes) or of gist-tox makes a new one, so the oldest beyond this are removed."""


def cache_dir() -> Path | None:
    if os.environ.get("GIST_TOX_NO_CACHE"):
        return None
    explicit = os.environ.get("GIST_TOX_CACHE_DIR")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME", "")
    if not os.path.isabs(base):  # unset, or relative: invalid, to be ignored (the XDG spec)
        base = os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "gist-tox"


@lru_cache(maxsize=1)
def software_stamp() -> bytes:
    """What the installed software is: Python, pydantic and pydantic-core versions, and the
    SHA-256 of the bytes of every module of gist-tox, so that any edit (even one that keeps a
    file's size and time) or reinstall changes it.  Read once per process."""
    import pydantic
    import pydantic_core

    import gist_tox

    package = os.path.dirname(os.path.abspath(gist_tox.__file__))
    hasher = hashlib.sha256()
    for part in (gist_tox.__version__, pydantic.VERSION, pydantic_core.__version__, sys.version):
        hasher.update(part.encode() + b"\0")
    for root, dirs, files in os.walk(package):
        dirs.sort()
        for name in sorted(files):
            if name.endswith(".py"):
                path = os.path.join(root, name)
                with open(path, "rb") as handle:
                    module = handle.read()
                relpath = os.path.relpath(path, package)
                hasher.update(relpath.encode() + b"\0" + hashlib.sha256(module).digest())
    return hasher.digest()


def _trusted(path: Path) -> bool:
    """Owned by us and writable by nobody else (the file and its folder)."""
    if not hasattr(os, "getuid"):
        return False
    for item in (path.parent, path):
        info = item.stat()
        if info.st_uid != os.getuid() or info.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
            return False
    return True


_CHECK = 32
"""Bytes of the SHA-256 stored between an entry's header and its pickle."""


def read(kind: str, key: str, header: bytes) -> Any:
    """The object stored as ``kind``/``key`` behind ``header`` (the format's tag), or None.

    An entry whose pickle does not match its stored SHA-256 (a damaged file), or that fails to
    load in any way (even a panic inside a compiled library), is deleted and reads as absent."""
    folder = cache_dir()
    if folder is None:
        return None
    path = folder / f"{kind}-{key}.pickle"
    try:
        if not path.is_file() or not _trusted(path):
            return None
        with path.open("rb") as handle:
            raw = handle.read()
        check, payload = raw[len(header) : len(header) + _CHECK], raw[len(header) + _CHECK :]
        if raw[: len(header)] != header or hashlib.sha256(payload).digest() != check:
            raise ValueError("damaged entry")
        return pickle.loads(payload)  # our own file; ownership and integrity checked above
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException:  # pyo3's PanicException is a BaseException
        _discard(path)
        return None


def _discard(path: Path) -> None:
    with contextlib.suppress(OSError):
        path.unlink(missing_ok=True)


def write(kind: str, key: str, header: bytes, value: Any) -> None:
    """Store ``value`` atomically (a temporary file, then a rename); never raises."""
    folder = cache_dir()
    if folder is None:
        return
    import tempfile  # only after work was done: kept off the start-up path

    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{kind}-", dir=folder)
        try:
            payload = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
            with os.fdopen(fd, "wb") as handle:
                handle.write(header + hashlib.sha256(payload).digest() + payload)
            os.replace(tmp, folder / f"{kind}-{key}.pickle")
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        _prune(folder, kind)
    except Exception:  # the cache is an optimisation only
        return


def _prune(folder: Path, kind: str) -> None:
    entries = sorted(
        folder.glob(f"{kind}-*.pickle"), key=lambda p: p.stat().st_mtime_ns, reverse=True
    )
    for stale in entries[KEEP:]:
        stale.unlink(missing_ok=True)
