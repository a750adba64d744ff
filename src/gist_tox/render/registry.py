"""Every ``--format`` by name: the kinds of documents it shows and the module of its renderer.

A table of names, not of imported renderers: the command line needs the names at start-up (typer
builds each ``--format``'s choices from :func:`choices`), and ``grade`` must not import rich,
csv or jinja2 to offer them.  A renderer module is imported only when its format is used
(:func:`renderer`).  A new format is one entry here and one module beside this one that defines
``RENDERER``; a test checks that each entry's kinds are exactly the methods its renderer has.
"""

from __future__ import annotations

import importlib
from enum import StrEnum
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from gist_tox.render.base import Renderer

RESULT = "result"
COMPARISON = "comparison"
TIMELINE = "timeline"
BATCH = "batch"
DIFF = "diff"
KINDS = (RESULT, COMPARISON, TIMELINE, BATCH, DIFF)

FORMATS: dict[str, tuple[str, frozenset[str], tuple[str, ...]]] = {
    "table": ("gist_tox.render.table", frozenset(KINDS), ()),
    "json": ("gist_tox.render.json", frozenset(KINDS), (".json",)),
    "ndjson": ("gist_tox.render.ndjson", frozenset({BATCH}), (".ndjson", ".jsonl")),
    "csv": ("gist_tox.render.csv", frozenset({BATCH}), (".csv",)),
    "fhir": (
        "gist_tox.render.fhir",
        frozenset({RESULT, TIMELINE, BATCH}),
        (".json", ".ndjson", ".jsonl"),
    ),
    "html": ("gist_tox.render.html", frozenset({BATCH}), (".html", ".htm")),
}
"""``--format`` name -> (module defining ``RENDERER``, the kinds of documents it shows, the
``--output`` suffixes that may hold it).  FHIR is JSON (NDJSON for a batch), so a suffix may
fit two formats: the one listed first here is the one it implies."""


def suffix_formats(suffix: str) -> tuple[str, ...]:
    """The formats an ``--output`` name ending in ``suffix`` may hold, the one it implies first
    (none: the suffix implies nothing)."""
    suffix = suffix.lower()
    return tuple(name for name, (_, _, suffixes) in FORMATS.items() if suffix in suffixes)


def names(kind: str) -> list[str]:
    """The formats that can show ``kind``, in the order above (the first is the default)."""
    return [name for name, (_, kinds, _) in FORMATS.items() if kind in kinds]


def choices(kind: str, class_name: str) -> type[StrEnum]:
    """The ``--format`` choices of a command that makes documents of ``kind``."""
    return StrEnum(class_name, {name: name for name in names(kind)})  # type: ignore[return-value]


def renderer(name: str) -> Renderer:
    """The renderer of format ``name`` (its module is imported now, and only now)."""
    module, _, _ = FORMATS[name]
    found: Renderer = importlib.import_module(module).RENDERER
    return found
