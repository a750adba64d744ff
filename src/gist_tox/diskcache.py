"""A small per-user cache of pickled objects, to keep one-off work off the start-up path.

What it holds: validated rule sets (``ruleset/cache.py``) and pydantic validators
(``validators.py``), each under a key that changes whenever anything it was made from changes.
A key is never reused for different content, so an entry is either exactly right or absent.

The cache lives in ``$GIST_TOX_CACHE_DIR``, else ``$XDG_CACHE_HOME/gist-tox``, else
``~/.cache/gist-tox``; ``GIST_TOX_NO_CACHE=1`` turns it off.  Like Python's own ``__pycache__``,
files are trusted only when the current user owns them and nobody else can write them or their
folder (a pickle can run code when loaded).  Every failure to read or write is silent: the
caller then does the work again.  At most :data:`KEEP` entries of each kind are kept.
"""

from __future__ import annotations

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
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "gist-tox"


@lru_cache(maxsize=1)
def software_stamp() -> bytes:
    """What the installed software is: Python, pydantic and pydantic-core versions, and the
    size and modification time of every module of gist-tox (any edit or reinstall changes it).
    Read once per process; stat only, no file is read."""
    import pydantic
    import pydantic_core

    import gist_tox

    package = os.path.dirname(os.path.abspath(gist_tox.__file__))
    parts = [gist_tox.__version__, pydantic.VERSION, pydantic_core.__version__, sys.version]
    for root, dirs, files in os.walk(package):
        dirs.sort()
        for name in sorted(files):
            if name.endswith(".py"):
                info = os.stat(os.path.join(root, name))
                parts.append(
                    f"{os.path.relpath(os.path.join(root, name), package)}:"
                    f"{info.st_size}:{info.st_mtime_ns}"
                )
    return "\0".join(parts).encode()


def _trusted(path: Path) -> bool:
    """Owned by us and writable by nobody else (the file and its folder)."""
    if not hasattr(os, "getuid"):
        return False
    for item in (path.parent, path):
        info = item.stat()
        if info.st_uid != os.getuid() or info.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
            return False
    return True


def read(kind: str, key: str, header: bytes) -> Any:
    """The object stored as ``kind``/``key`` behind ``header`` (the format's tag), or None."""
    folder = cache_dir()
    if folder is None:
        return None
    path = folder / f"{kind}-{key}.pickle"
    try:
        if not path.is_file() or not _trusted(path):
            return None
        with path.open("rb") as handle:
            if handle.read(len(header)) != header:
                return None
            return pickle.load(handle)  # our own file; ownership checked above
    except Exception:  # a broken entry is simply not used
        return None


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
            with os.fdopen(fd, "wb") as handle:
                handle.write(header)
                pickle.dump(value, handle, protocol=pickle.HIGHEST_PROTOCOL)
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
