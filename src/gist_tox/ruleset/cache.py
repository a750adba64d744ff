"""The rule-set cache: a rule set is validated once, then read back at every start.

Why: ``gist-tox grade`` should cost little more than importing its libraries, but validating
every rule file (and building the pydantic schemas that validation needs) costs as much again.
A validated rule set is therefore stored in the per-user cache (:mod:`gist_tox.diskcache`) under
a key made from the exact bytes of every YAML file in the rules folder, the folder's path, the
CTCAE version asked for and the installed software (:func:`gist_tox.diskcache.software_stamp`).
Any edit to any rule file changes the key, so a cached rule set is never used for rules that
differ from it; the digest in each result is computed from the same bytes either way.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import TYPE_CHECKING

from gist_tox import diskcache

if TYPE_CHECKING:
    from gist_tox.ruleset.loader import RuleSet

_FORMAT = b"gist-tox-rules-cache/4"
_KIND = "rules"


def fingerprint(root: Path, version: str | None) -> str:
    """A key that changes whenever any rule file of the folder, or the software, changes."""
    hasher = hashlib.sha256(_FORMAT)
    hasher.update(diskcache.software_stamp())
    for part in (os.path.realpath(root), str(version)):
        hasher.update(b"\0" + part.encode())
    for relpath, path in sorted(_rule_files(str(root))):
        hasher.update(relpath.encode() + b"\0")
        with open(path, "rb") as handle:
            hasher.update(hashlib.sha256(handle.read()).digest())
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
