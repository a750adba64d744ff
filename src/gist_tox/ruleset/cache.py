"""A per-user cache of validated rule sets, to keep rule validation off the start-up path.

Why: ``gist-tox grade`` should cost little more than importing its libraries, but validating
every rule file (and building the pydantic schemas that validation needs) costs as much again.
A rule set is therefore validated once, then stored under a key made from the exact bytes of
every YAML file in the rules folder, the folder's path, the CTCAE version asked for and the versions
of gist-tox and pydantic.  Any edit to any rule file changes the key, so a cached rule set is
never used for rules that differ from it; the digest in each result is computed from the same
bytes either way.

The cache lives in ``$GIST_TOX_CACHE_DIR``, else ``$XDG_CACHE_HOME/gist-tox``, else
``~/.cache/gist-tox``; ``GIST_TOX_NO_CACHE=1`` turns it off.  Like Python's own ``__pycache__``,
the files are trusted only when the current user owns them and nobody else can write them or
their folder.  Every failure to read or write it is silent and falls back to validating again.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import stat
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from gist_tox.ruleset.loader import RuleSet

_FORMAT = b"gist-tox-rules-cache/1"


def cache_dir() -> Path | None:
    if os.environ.get("GIST_TOX_NO_CACHE"):
        return None
    explicit = os.environ.get("GIST_TOX_CACHE_DIR")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "gist-tox"


def fingerprint(root: Path, version: str | None) -> str:
    """A key that changes whenever any rule file of the folder, or the software, changes."""
    import pydantic

    from gist_tox import __version__

    hasher = hashlib.sha256(_FORMAT)
    for part in (__version__, pydantic.VERSION, sys.version, str(root.resolve()), str(version)):
        hasher.update(part.encode() + b"\0")
    for path in sorted(p for pattern in ("*.yaml", "*.yml") for p in root.rglob(pattern)):
        if path.is_file():
            hasher.update(path.relative_to(root).as_posix().encode() + b"\0")
            hasher.update(hashlib.sha256(path.read_bytes()).digest())
    return hasher.hexdigest()


def _trusted(path: Path) -> bool:
    """Owned by us and writable by nobody else (the file and its folder)."""
    if not hasattr(os, "getuid"):
        return False
    for item in (path.parent, path):
        info = item.stat()
        if info.st_uid != os.getuid() or info.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
            return False
    return True


def load(key: str) -> RuleSet | None:
    folder = cache_dir()
    if folder is None:
        return None
    path = folder / f"rules-{key}.pickle"
    try:
        if not path.is_file() or not _trusted(path):
            return None
        with path.open("rb") as handle:
            if handle.read(len(_FORMAT)) != _FORMAT:
                return None
            ruleset = pickle.load(handle)  # our own file; ownership checked above
    except Exception:  # a broken cache entry is simply not used
        return None
    from gist_tox.ruleset.loader import RuleSet

    return ruleset if isinstance(ruleset, RuleSet) else None


def store(key: str, ruleset: RuleSet) -> None:
    folder = cache_dir()
    if folder is None:
        return
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".rules-", dir=folder)
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(_FORMAT)
                pickle.dump(ruleset, handle, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(tmp, folder / f"rules-{key}.pickle")
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    except Exception:  # the cache is an optimisation only
        return
