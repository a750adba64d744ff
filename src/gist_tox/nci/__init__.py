"""NCI's CTCAE term lists (v5.0 and v6.0), shipped as package data.

Built once from NCI's tables by ``scripts/build_nci_terms.py`` and committed, so that the tool
never needs NCI's workbook at run time.  Each term: NCI's term, MedDRA code, SOC, the text of
grades 1-5 (``None`` where NCI prints ``-``), definition, and for a term of one version only the
terms NCI maps it to in the other.  Used to validate ``other_events`` ids, to show NCI's wording
of a grade the clinician gave, and by ``rules check`` to prove that every rule quotes NCI's cell.

Read lazily (a visit without ``other_events`` never loads them): about 1 MB of JSON.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

VERSIONS = ("5.0", "6.0")


class NciTerm:
    """One NCI CTCAE term of one version."""

    __slots__ = ("definition", "grades", "id", "mapped_to", "meddra_code", "soc", "term")

    def __init__(self, term_id: str, data: dict[str, Any]) -> None:
        self.id = term_id
        self.term: str = data["term"]
        self.meddra_code: str = data["meddra_code"]
        self.soc: str = data["soc"]
        self.grades: tuple[str | None, ...] = tuple(data["grades"])
        self.definition: str | None = data.get("definition")
        self.mapped_to: tuple[str, ...] = tuple(data.get("mapped_to", ()))

    def cell(self, grade: int) -> str | None:
        """NCI's text of ``grade`` (1-5), or ``None`` when NCI defines no such grade."""
        return self.grades[grade - 1] if 1 <= grade <= 5 else None

    @property
    def defined_grades(self) -> list[int]:
        return [g for g in range(1, 6) if self.grades[g - 1] is not None]

    @property
    def other_specify(self) -> bool:
        """An "- Other, specify" term: the event must be named in ``specify``."""
        return self.term.endswith("- Other, specify")


def term_id(term: str) -> str:
    """The contract's id of an NCI term: lower-case, every run of characters other than a-z and
    0-9 one ``_``, none at either end (visit format extension A, "Term ids")."""
    return re.sub(r"[^a-z0-9]+", "_", term.lower()).strip("_")


@lru_cache(maxsize=2)
def terms(version: str) -> dict[str, NciTerm]:
    """Every NCI term of CTCAE ``version`` by id."""
    import json
    from importlib.resources import files

    if version not in VERSIONS:
        raise KeyError(f"no NCI term list for CTCAE v{version}")
    text = files(__name__).joinpath(f"ctcae-v{version}.json").read_text(encoding="utf-8")
    document = json.loads(text)
    return {tid: NciTerm(tid, data) for tid, data in document["terms"].items()}


def normalise_cell(text: str) -> str:
    """A cell as compared by ``rules check``: runs of white space read as one space (a YAML
    folded string breaks long quotations across lines); nothing else is forgiven."""
    return " ".join(text.split())
