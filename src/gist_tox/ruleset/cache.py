"""The rule-set cache: a rule set is validated once, then read back at every start.

Why: ``gist-tox grade`` should cost little more than importing its libraries, but validating
every rule file (and building the pydantic schemas that validation needs) costs as much again.
A validated rule set is therefore stored in the per-user cache (:mod:`gist_tox.diskcache`).

Why it is exact: every YAML file of the rules folder is read once (:func:`read_folder`), and the
key, the parsed rules and the digest a result prints all come from those same bytes, so a file
saved during a run can never be cached under a key it does not match.  The key is made of those
bytes, the CTCAE version asked for and the installed software
(:func:`gist_tox.diskcache.software_stamp`), never of the folder's path: a cached rule set is pure
data, the same whichever way its folder is named.  A file the set is built from that lies outside
the folder (a dosing file named with ``..``) is recorded in the rule set with the digest of its
bytes, and checked before a cached rule set is used.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import TYPE_CHECKING

from gist_tox import diskcache
from gist_tox.documents import read_bytes
from gist_tox.errors import InputError

if TYPE_CHECKING:
    from gist_tox.ruleset.loader import RuleSet

_FORMAT = b"gist-tox-rules-cache/5"
_KIND = "rules"

FolderBytes = dict[str, bytes | InputError]
"""Every rule file of a folder by relative POSIX path: its bytes, or why it could not be read."""


def read_folder(root: Path) -> FolderBytes:
    """Every ``*.yaml``/``*.yml`` file under ``root``, read once."""
    files: FolderBytes = {}
    for relpath, path in sorted(_rule_files(str(root))):
        try:
            files[relpath] = read_bytes(path)
        except InputError as exc:  # reported if the loader needs the file
            files[relpath] = exc
    return files


def key(files: FolderBytes, version: str | None) -> str:
    """A key that changes whenever any rule file of the folder, or the software, changes."""
    hasher = hashlib.sha256(_FORMAT)
    hasher.update(diskcache.software_stamp())
    hasher.update(b"\0" + str(version).encode())
    for relpath, raw in files.items():
        content = raw if isinstance(raw, bytes) else b"unreadable:" + str(raw).encode()
        hasher.update(relpath.encode() + b"\0" + hashlib.sha256(content).digest())
    return hasher.hexdigest()


def _rule_files(
    folder: str, prefix: str = "", seen: set[tuple[int, int]] | None = None
) -> list[tuple[str, str]]:
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


def load(key: str) -> RuleSet | None:
    ruleset = diskcache.read(_KIND, key, _FORMAT)
    if ruleset is None:
        return None
    from gist_tox.ruleset.loader import RuleSet

    return ruleset if isinstance(ruleset, RuleSet) else None


def store(key: str, ruleset: RuleSet) -> None:
    diskcache.write(_KIND, key, _FORMAT, ruleset)
