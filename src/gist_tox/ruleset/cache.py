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
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from gist_tox.ruleset.loader import RuleSet

_FORMAT = b"gist-tox-rules-cache/2"


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
    for part in (__version__, pydantic.VERSION, sys.version, os.path.realpath(root),
                 str(version)):
        hasher.update(part.encode() + b"\0")
    for relpath, path in sorted(_rule_files(str(root))):
        hasher.update(relpath.encode() + b"\0")
        with open(path, "rb") as handle:
            hasher.update(hashlib.sha256(handle.read()).digest())
    return hasher.hexdigest()


def _rule_files(folder: str, prefix: str = "",
                seen: set[tuple[int, int]] | None = None) -> list[tuple[str, str]]:
    """Every ``*.yaml``/``*.yml`` file under ``folder`` as (relative POSIX path, path).  Linked
    folders are followed (the loader reads through them), each real folder once, so a link loop
    ends.  ``os.scandir`` rather than pathlib: this runs at every start."""
    seen = set() if seen is None else seen
    info = os.stat(folder)
    if (info.st_dev, info.st_ino) in seen:
        return []
    seen.add((info.st_dev, info.st_ino))
    found: list[tuple[str, str]] = []
    with os.scandir(folder) as entries:
        for entry in entries:
            if entry.is_dir():
                found.extend(_rule_files(entry.path, f"{prefix}{entry.name}/", seen))
            elif entry.name.endswith((".yaml", ".yml")) and entry.is_file():
                found.append((prefix + entry.name, entry.path))
    return found


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
    import tempfile  # only when a rule set was validated: kept off the start-up path

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
        _prune(folder)
    except Exception:  # the cache is an optimisation only
        return


KEEP = 32
"""Cached rule sets kept per user: every edit of a rule file makes a new entry (a maintainer
editing rules, or a CI job checking rule changes), so the oldest beyond this are removed."""


def _prune(folder: Path) -> None:
    entries = sorted(folder.glob("rules-*.pickle"), key=lambda p: p.stat().st_mtime_ns,
                     reverse=True)
    for stale in entries[KEEP:]:
        stale.unlink(missing_ok=True)
