"""Pydantic validators built once and kept across runs, so that no start-up rebuilds them.

Why: pydantic builds a model's validator (its core schema, then pydantic-core's
``SchemaValidator``) the first time the model is used, and imports the machinery for that on
the way: for the visit models that is about 30 ms of every ``gist-tox grade``, more than
grading the visit.  The models are declared with ``defer_build`` (importing them builds
nothing), and the validator pydantic builds is pickled — pydantic-core supports that — into the
per-user cache (:mod:`gist_tox.diskcache`).  Its key is the model's name and the installed
software (Python, pydantic, pydantic-core, and the size and time of every gist-tox module), so
any upgrade or edit builds it afresh.  The validator is pydantic's own, so validation, errors and
the model instances it makes are exactly those of ``Model.model_validate``; only the rebuild is
skipped.

When pydantic plugins are enabled (``PYDANTIC_DISABLE_PLUGINS`` unset by the user), the model's
validator is used as pydantic builds it, so that plugins see every validation.
"""

from __future__ import annotations

import hashlib
import os
from typing import TYPE_CHECKING, Any, TypeVar

from gist_tox import diskcache

if TYPE_CHECKING:
    from pydantic import BaseModel
    from pydantic_core import SchemaValidator

ModelT = TypeVar("ModelT", bound="BaseModel")

_FORMAT = b"gist-tox-validator/2"
_KIND = "validator"
_BUILT: dict[type[Any], SchemaValidator] = {}


def validate(model: type[ModelT], data: Any) -> ModelT:
    """``model.model_validate(data)``, with the validator from the cache when there is one."""
    result: ModelT = validator(model).validate_python(data)
    return result


def validator(model: type[BaseModel]) -> SchemaValidator:
    """The validator of ``model``: built by pydantic once per installed software and user."""
    found = _BUILT.get(model)
    if found is not None:
        return found
    if not _plugins_disabled():
        return model.__pydantic_validator__  # type: ignore[return-value]  # pydantic's own
    key = _key(model)
    cached = diskcache.read(_KIND, key, _FORMAT)
    from pydantic_core import SchemaValidator

    if isinstance(cached, SchemaValidator):
        found = cached
    else:
        if not model.__pydantic_complete__:
            model.model_rebuild(force=True)
        built = model.__pydantic_validator__
        if not isinstance(built, SchemaValidator):  # not built after all: never cache that
            return built  # type: ignore[return-value]
        found = built
        diskcache.write(_KIND, key, _FORMAT, found)
    _BUILT[model] = found
    return found


def _plugins_disabled() -> bool:
    """As pydantic reads ``PYDANTIC_DISABLE_PLUGINS`` (``gist-tox`` sets it unless the user
    did): with plugins, validation must go through pydantic's own validator."""
    return os.environ.get("PYDANTIC_DISABLE_PLUGINS") in ("__all__", "1", "true")


def _key(model: type[BaseModel]) -> str:
    hasher = hashlib.sha256(_FORMAT)
    hasher.update(diskcache.software_stamp())
    hasher.update(f"\0{model.__module__}.{model.__qualname__}".encode())
    return hasher.hexdigest()
