"""One patient's FHIR resources, each with where it came from, parsed by ``fhir.resources``.

Why keep the origin: a bad resource is reported as one line naming the file (and line, in an
NDJSON file), the resource (type/id) and the element, as a bad visit file names its field.
Resources are parsed only when the reader uses them (a Bundle may hold hundreds the tool never
looks at; those are ignored, not validated).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from fractions import Fraction
from typing import Any, NamedTuple, Protocol, TypeVar

from gist_tox.errors import InputError

R4B = "fhir.resources.R4B"


class Resource(NamedTuple):
    """A resource as read (a JSON object) and where it was read from."""

    data: dict[str, Any]
    file: str
    line: int | None = None
    url: str | None = None
    """The Bundle entry's ``fullUrl`` (references may use it: ``urn:uuid:...``)."""

    @property
    def type(self) -> str:
        return str(self.data.get("resourceType"))

    @property
    def label(self) -> str:
        """``Observation/anc-1`` (``Observation/(no id)`` when it has none)."""
        rid = self.data.get("id")
        return f"{self.type}/{rid if isinstance(rid, str) and rid else '(no id)'}"

    def error(self, element: str | None, message: str, code: str = "fhir") -> InputError:
        """An :class:`InputError` naming the file, this resource and ``element``."""
        field = self.label if not element else f"{self.label} {element}"
        return InputError(self.file, message, field=field, line=self.line, code=code)

    def parse(self) -> Any:
        """This resource as a ``fhir.resources`` R4B model; a bad one is an InputError."""
        from fhir.resources.R4B import get_fhir_model_class
        from pydantic import ValidationError

        try:
            model = get_fhir_model_class(self.type)
        except (KeyError, ValueError):
            raise self.error("resourceType", f"unknown FHIR resource type {self.type!r}") from None
        try:
            return model.model_validate(self.data)
        except ValidationError as exc:
            first = exc.errors(include_url=False)[0]
            more = len(exc.errors()) - 1
            extra = f" (and {more} more problem{'s' if more > 1 else ''})" if more > 0 else ""
            raise self.error(
                element_path(first["loc"]), f"not valid FHIR R4: {_message(first)}{extra}"
            ) from None


def element_path(loc: tuple[Any, ...]) -> str:
    """pydantic's ``loc`` as a FHIR element path: ``valueQuantity.value``, ``coding[0].code``."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif not str(part).startswith(("function-", "json-or-python", "lax-or-strict")):
            out += f".{part}" if out else str(part)
    return out


def _message(error: Any) -> str:
    if error["type"] == "extra_forbidden":
        return "unknown element"
    if error["type"] == "missing":
        return "required element is missing"
    text = str(error.get("msg", "invalid"))
    return text.removeprefix("Value error, ")


def number(value: Decimal | int | float) -> int | float:
    """A FHIR decimal as the visit holds numbers: an int when written whole, else the float of
    its text (read back exactly by :func:`gist_tox.units.exact`, as a YAML number is)."""
    if isinstance(value, Decimal):
        if value == value.to_integral_value() and value.as_tuple().exponent == 0:
            return int(value)
        return float(value)
    return value


def day_of(value: Any) -> dt.date | None:
    """The calendar day of a FHIR date or dateTime, as written (its own time zone); ``None``
    for a partial date (a year or a month), which names no day."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return None


def reference_id(reference: Any, kind: str) -> str | None:
    """``Patient/p1`` (or a full URL ending in it) -> ``p1`` when it names a ``kind``."""
    text = getattr(reference, "reference", None) if not isinstance(reference, str) else reference
    if not isinstance(text, str):
        return None
    parts = text.rstrip("/").split("/")
    if "_history" in parts:
        parts = parts[: parts.index("_history")]
    if len(parts) >= 2 and parts[-2] == kind:
        return parts[-1]
    return None


class Reading(Protocol):
    """One Observation's value as read (a blood count, a liver test, a weight...)."""

    @property
    def resource(self) -> Resource: ...
    @property
    def value(self) -> int | float: ...
    @property
    def unit(self) -> str | None: ...
    def canonical(self) -> Fraction: ...


R = TypeVar("R", bound=Reading)


def agreed(kind: str, entries: list[R], limit: str, same_limit: Callable[[R, R], bool]) -> R:
    """The one reading of a kind on a day; two different values (or reference limits, at the
    element ``limit``) are refused, naming both Observations: values are never averaged."""
    first = entries[0]
    for other in entries[1:]:
        if other.canonical() != first.canonical():
            raise other.resource.error(
                "valueQuantity",
                f"conflicting {kind} values on the same day: {first.resource.label} says"
                f" {first.value} {first.unit or '%'}, {other.resource.label} says {other.value}"
                f" {other.unit or '%'}; correct or remove one (values are never averaged)",
                code="fhir.conflict",
            )
        if not same_limit(first, other):
            raise other.resource.error(
                limit,
                f"conflicting {kind} reference ranges on the same day: {first.resource.label}"
                f" and {other.resource.label}; correct or remove one",
                code="fhir.conflict",
            )
    return first
