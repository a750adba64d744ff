"""JSON output: the result contract, printed as is."""

from __future__ import annotations

import json
from typing import Any


def dumps(data: Any, *, indent: int | None = 2) -> str:
    return json.dumps(data, indent=indent, ensure_ascii=False, allow_nan=False)
