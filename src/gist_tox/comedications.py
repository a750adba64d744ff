"""Co-medications: each name a visit lists, matched against the rule set's interaction list.

Why a list and not a formulary: the label names a few drugs that change imatinib's exposure (or
whose own effect imatinib changes); the project keeps them, with their synonyms and where each
is named, in ``rules/interactions.yaml`` (extension A, "Co-medications").  A name that is not on
the list is echoed with a warning, never refused: "not on the list" means "no interaction rule
was checked", not "no interaction".

Matching is by one normalisation applied alike to the visit's names and to the list's ids and
synonyms (:func:`normalise`), so "St. John's Wort", "st johns wort" and the id ``st_johns_wort``
are the same drug.
"""

from __future__ import annotations

import re
import unicodedata
from typing import TYPE_CHECKING, Any, NamedTuple

if TYPE_CHECKING:
    from gist_tox.ruleset.interactions import InteractionList

_DELETED = str.maketrans("", "", "'\u2019.")
_OTHER = re.compile(r"[^a-z0-9]+")


def normalise(name: str) -> str:
    """The contract's normal form: NFKC; case-fold; delete ``'``, ``’`` and ``.``; every run of
    characters other than a-z and 0-9 becomes one space; trimmed.  (An id's ``_`` becomes a
    space, so ids and names compare alike.)"""
    folded = unicodedata.normalize("NFKC", name).casefold().translate(_DELETED)
    return _OTHER.sub(" ", folded).strip()


class Entry(NamedTuple):
    """One drug of the interaction list as grading needs it.  A plain record, not the file's
    pydantic model, so that a cached rule set is read back without importing that model."""

    id: str
    class_: str
    source: str


Index = dict[str, Entry]
"""Every normalised id and synonym of the interaction list -> its entry."""


class Comedication:
    """One visit item and the list entry it names (``None``: not on the list)."""

    __slots__ = ("entry", "name")

    def __init__(self, name: str, entry: Entry | None) -> None:
        self.name = name
        self.entry = entry

    def as_json(self) -> dict[str, Any]:
        """An item of ``patient_factors.comedications``."""
        e = self.entry
        return {
            "name": self.name,
            "id": None if e is None else e.id,
            "class": None if e is None else e.class_,
            "source": None if e is None else e.source,
        }

    def shown(self) -> str:
        """The name as written, and the list's id when that reads differently."""
        e = self.entry
        if e is None or normalise(self.name) == normalise(e.id):
            return self.name
        return f"{self.name} ({e.id.replace('_', ' ')})"


def index(interactions: InteractionList) -> Index:
    """Every normalised id and synonym -> its entry (the loader has refused duplicates); built
    once when the rules are validated, and cached with them."""
    out: Index = {}
    for item in interactions.entries:
        entry = Entry(item.id, item.class_, item.source)
        for name in (item.id, *item.synonyms):
            out.setdefault(normalise(name), entry)
    return out


def match(names: list[str] | None, found: Index | None, warnings: list[str]) -> list[Comedication]:
    """Each visit item with its entry, in visit order; a warning for each name not on the list
    and for each later name of an entry already named (which then counts once)."""
    if not names:
        return []
    found = found or {}
    out: list[Comedication] = []
    first: dict[str, str] = {}
    for name in names:
        entry = found.get(normalise(name))
        out.append(Comedication(name, entry))
        if entry is None:
            warnings.append(
                f"'{name}' is not in the interaction list: no interaction rule was checked"
            )
        elif entry.id in first:
            warnings.append(
                f"'{name}' names the same drug as '{first[entry.id]}' ({entry.id}): it counts once"
            )
        else:
            first[entry.id] = name
    return out


def by_class(items: list[Comedication]) -> dict[str, list[Comedication]]:
    """Matched items per interaction class, each entry once (its first name), in visit order."""
    out: dict[str, list[Comedication]] = {}
    seen: set[str] = set()
    for item in items:
        e = item.entry
        if e is None or e.id in seen:
            continue
        seen.add(e.id)
        out.setdefault(e.class_, []).append(item)
    return out


def duplicates(interactions: InteractionList) -> list[tuple[tuple[Any, ...], str]]:
    """(path in the file, message) for each id or synonym whose normal form is empty or is
    already another name's: two entries answering to one name would make the match depend on
    their order."""
    seen: dict[str, str] = {}
    out: list[tuple[tuple[Any, ...], str]] = []
    for i, entry in enumerate(interactions.entries):
        names = [(("entries", i, "id"), entry.id)] + [
            (("entries", i, "synonyms", j), s) for j, s in enumerate(entry.synonyms)
        ]
        for path, name in names:
            key = normalise(name)
            if not key:
                out.append((path, f"{name!r} has no letter or digit to match on"))
            elif key in seen:
                out.append(
                    (path, f"{name!r} reads as {key!r} once normalised, as {seen[key]!r} does")
                )
            else:
                seen[key] = name
    return out
