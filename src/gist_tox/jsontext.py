"""The one JSON writer of results and reports: ``--format json`` (indented), each line of
``ndjson`` (compact), and what a batch worker serialises for either.

Why pydantic-core's writer rather than the standard library's: a batch writes a 7 KB result
per visit, and ``json.dumps`` took about an eighth of a batch's time; this one writes the same
indented text (a number is written in its shortest form, ``0.00001`` rather than ``1e-05``) in
under half the time.  Results hold only finite numbers (a visit refuses others, and grading
computes with exact fractions), so ``json.dumps``'s ``allow_nan`` check has nothing to find.
"""

from __future__ import annotations

from typing import Any

from pydantic_core import to_json


def dumps(data: Any, *, indent: int | None = 2, ascii: bool = False) -> str:
    """``data`` as JSON: indented by ``indent``, or compact on one line when it is None
    (``"key":value``, no spaces: a line of ``ndjson``).  ``ascii``: every non-ASCII character
    escaped (``\\u2265``), for an output that cannot encode it: the same data."""
    if ascii:
        import json

        return json.dumps(data, indent=indent, ensure_ascii=True, allow_nan=False)
    return to_json(data, indent=indent).decode()
