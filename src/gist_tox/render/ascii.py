"""ASCII for an output that cannot encode what gist-tox prints (``PYTHONIOENCODING=ascii``, a C
locale): ``>=`` for ``≥``, ``-`` for a dash, tables drawn with ``+-|``.

A table must be laid out with the characters it will show (``>=`` is two columns, ``≥`` one), so
renderers convert a document's texts before layout (:func:`ascii_data`); the codec error handler
:data:`ERRORS` catches anything else written to such a stream.
"""

from __future__ import annotations

import codecs
from typing import Any

_ASCII = {
    "≥": ">=",
    "≤": "<=",
    "≠": "!=",
    "–": "-",
    "—": "-",
    "−": "-",
    "…": "...",
    "→": "->",
    "←": "<-",
    "×": "x",
    "µ": "u",
    "μ": "u",
    "°": " deg ",
    "‘": "'",
    "’": "'",
    "“": '"',
    "”": '"',
    "•": "*",
}
ERRORS = "gist-tox-ascii"
"""The codec error handler that writes the nearest ASCII."""


def _to_ascii(char: str) -> str:
    import unicodedata

    if char in _ASCII:
        return _ASCII[char]
    name = unicodedata.name(char, "")
    if name.startswith(("BOX DRAWINGS", "HEAVY", "LIGHT")):
        if "HORIZONTAL" in name and "VERTICAL" not in name:
            return "-"
        if "VERTICAL" in name and "HORIZONTAL" not in name:
            return "|"
        return "+"
    decomposed = unicodedata.normalize("NFKD", char).encode("ascii", "ignore").decode()
    return decomposed or "?"


def _replace(exc: UnicodeError) -> tuple[str, int]:
    if not isinstance(exc, UnicodeEncodeError):
        raise exc
    return "".join(_to_ascii(c) for c in exc.object[exc.start : exc.end]), exc.end


codecs.register_error(ERRORS, _replace)


def ascii_text(text: str) -> str:
    """``text`` in the nearest ASCII: ``>=`` for ``≥``, ``-`` for a dash."""
    return text if text.isascii() else "".join(c if c.isascii() else _to_ascii(c) for c in text)


def ascii_data(data: Any) -> Any:
    """Every text in ``data`` (a result's JSON form) in ASCII, so that a table is laid out
    with the characters it will show (``>=`` is two columns wide, ``≥`` one)."""
    if isinstance(data, str):
        return ascii_text(data)
    if isinstance(data, dict):
        return {k: ascii_data(v) for k, v in data.items()}
    if isinstance(data, list | tuple):
        return [ascii_data(v) for v in data]
    return data


SAMPLE = "≥–…→≠━│"
"""Characters gist-tox prints; a stream that cannot encode them gets ASCII."""


def encodes(stream: Any, text: str = SAMPLE) -> bool:
    """Whether ``stream`` can write ``text`` as it is."""
    try:
        text.encode(getattr(stream, "encoding", None) or "utf-8")
    except (UnicodeEncodeError, LookupError):
        return False
    return True
