"""Many visits at once: find the files, grade and dose each one exactly as ``grade`` does, in a
stable order, without ever losing one.

Why it is built this way:

* **Nothing lost.**  Every path given becomes exactly one :class:`Outcome` per visit file found,
  or a failure record naming the file, field and reason; a bad file (or a bug) never stops the
  batch.  A folder that holds no visit files, a path that does not exist, a folder that cannot be
  read and a symbolic-link loop are failures too, so a pharmacist can see that nothing was skipped.
* **Stable order.**  Files are processed and reported sorted by path (component by component),
  whatever the number of worker processes.
* **Flat memory.**  Results are produced one at a time (:func:`run` is a generator); with worker
  processes only a bounded window of chunks is in flight, so the memory does not grow with the
  folder beyond the list of paths itself.
* **Little per-file overhead.**  Rules are loaded once per process (a pool initializer for the
  workers); the worker serialises the result JSON itself and sends back a small summary, so the
  parent never re-parses or re-encodes a result.

This module knows nothing about terminals or output formats (see ``gist_tox.render.batch``).
"""

from __future__ import annotations

import errno
import json
import os
import stat
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gist_tox.errors import GistToxError, InputError

VISIT_SUFFIXES = (".yaml", ".yml", ".json")
FILE_ERROR_FORMAT = "gist-tox/file-error@1"

ACTIONS = ("discontinue", "hold", "reduce", "resume", "escalate", "continue")
"""Recommendation actions, most severe first (the order of ``--fail-on`` and of the table)."""

UNKNOWN = "unknown"
"""The action of a visit without a recommendation: never assumed to be ``continue``."""

NEEDS_ACTION = frozenset({"discontinue", "hold", "reduce", "resume", "escalate", UNKNOWN})
"""Actions a pharmacist must look at; ``unknown`` is one of them (never guess)."""

_SEVERITY = {action: len(ACTIONS) - rank for rank, action in enumerate(ACTIONS)}


def severity(action: str) -> int:
    """Higher is more severe.  An unknown action ranks above every known one, so that
    ``--fail-on`` can never pass a visit whose action could not be told."""
    return _SEVERITY.get(action, len(ACTIONS) + 1)


@dataclass(frozen=True, slots=True)
class Outcome:
    """One file's result: a small summary for tables, filters and exit codes, plus the full
    record already serialised as JSON (``gist-tox/result@1`` or ``gist-tox/file-error@1``)."""

    source: str
    ok: bool
    text: str
    patient_id: str | None = None
    date: str | None = None
    ctcae_version: str | None = None
    action: str = UNKNOWN
    dose_mg: int | None = None
    worst_grade: int | None = None
    worst_term: str | None = None
    not_gradable: int = 0
    warnings: tuple[str, ...] = ()
    digest: str | None = None
    error: dict[str, Any] = field(default_factory=dict)

    @property
    def needs_action(self) -> bool:
        return self.ok and self.action in NEEDS_ACTION

    def at_least(self, action: str) -> bool:
        """Is this visit's action ``action`` or more severe?"""
        return self.ok and severity(self.action) >= severity(action)


# --------------------------------------------------------------------------------------------
# Finding the files


@dataclass(frozen=True, slots=True)
class Found:
    """A path to process, or a problem met while looking for files (``error`` set)."""

    path: str
    error: InputError | None = None


def _sort_key(path: str) -> tuple[str, ...]:
    return tuple(path.split(os.sep))


def discover(paths: Iterable[str], *, exclude: Iterable[str] = ()) -> list[Found]:
    """Every visit file under ``paths`` (files are taken whatever their suffix; folders are
    walked recursively for ``*.yaml``, ``*.yml`` and ``*.json``), plus one failure per path that
    does not exist, folder that cannot be read or holds no visit files, and symbolic-link loop.

    The result is sorted by path and has no duplicate paths.  ``exclude`` names files never to
    read (the batch's own ``--output``).
    """
    excluded = {os.path.realpath(p) for p in exclude}
    found: dict[str, Found] = {}
    for raw in paths:
        path = os.path.normpath(raw) if raw else raw
        if not path:
            continue
        try:
            info = os.stat(path)
        except OSError as exc:
            found.setdefault(path, Found(path, _os_error(path, exc, "file or folder")))
            continue
        if stat.S_ISDIR(info.st_mode):
            seen = _walk(path, found, excluded, frozenset({(info.st_dev, info.st_ino)}))
            if not seen:
                found.setdefault(path, Found(path, InputError(
                    path, "no visit files (*.yaml, *.yml, *.json) in this folder", code="empty")))
        elif os.path.realpath(path) not in excluded:
            found.setdefault(path, Found(path))
    return sorted(found.values(), key=lambda f: _sort_key(f.path))


def _walk(folder: str, found: dict[str, Found], excluded: set[str],
          ancestors: frozenset[tuple[int, int]]) -> int:
    """Depth-first walk that follows symbolic links to folders but never around a loop.

    Returns how many visit files (or problems) it met, including ones already in ``found``.
    """
    seen = 0
    try:
        with os.scandir(folder) as entries:
            listing = [(entry.name, entry.path) for entry in entries]
    except OSError as exc:
        found.setdefault(folder, Found(folder, _os_error(folder, exc, "folder")))
        return 1
    for name, path in listing:
        try:
            info = os.stat(path)
        except OSError as exc:
            if name.endswith(VISIT_SUFFIXES) or exc.errno == errno.ELOOP:
                found.setdefault(path, Found(path, _os_error(path, exc, "file")))
                seen += 1
            continue
        if stat.S_ISDIR(info.st_mode):
            key = (info.st_dev, info.st_ino)
            if key in ancestors:
                found.setdefault(path, Found(path, InputError(
                    path, f"symbolic link loop (points back to {os.path.realpath(path)}); "
                    "not followed", code="file")))
                seen += 1
                continue
            seen += _walk(path, found, excluded, ancestors | {key})
        elif name.endswith(VISIT_SUFFIXES) and not (
            excluded and os.path.realpath(path) in excluded
        ):
            found.setdefault(path, Found(path))
            seen += 1
    return seen


def _os_error(path: str, exc: OSError, what: str) -> InputError:
    if exc.errno == errno.ENOENT:
        if os.path.islink(path):
            message = f"broken symbolic link (to {os.readlink(path)})"
        else:
            message = f"no such {what}"
    elif exc.errno == errno.ELOOP:
        message = "symbolic link loop; not followed"
    elif exc.errno in (errno.EACCES, errno.EPERM):
        message = "permission denied"
    else:
        message = f"cannot read: {exc.strerror or exc}"
    return InputError(path, message, code="file")


# --------------------------------------------------------------------------------------------
# Processing one file


def failure(error: InputError) -> Outcome:
    record = {"format": FILE_ERROR_FORMAT, **error.as_dict()}
    return Outcome(source=error.source, ok=False, text=_dumps(record, None), error=record)


def summarise(result: dict[str, Any], text: str) -> Outcome:
    """The summary of a ``gist-tox/result@1`` object: the worst grade is the highest non-null
    grade (its term is the first one with it, in rule order); a missing recommendation is
    :data:`UNKNOWN`."""
    worst: int | None = None
    worst_term: str | None = None
    not_gradable = 0
    for term_id, grade in result["grades"].items():
        value = grade.get("grade")
        if value is None:
            not_gradable += 1
        elif worst is None or value > worst:
            worst, worst_term = value, grade.get("term", term_id)
    recommendation = result.get("recommendation") or {}
    return Outcome(
        source=result["source"], ok=True, text=text,
        patient_id=result["patient_id"], date=result["date"],
        ctcae_version=result["rules"]["ctcae_version"],
        action=recommendation.get("action") or UNKNOWN,
        dose_mg=recommendation.get("dose_mg"),
        worst_grade=worst, worst_term=worst_term if worst else None,
        not_gradable=not_gradable, warnings=tuple(result.get("warnings", ())),
        digest=result["rules"].get("digest"),
    )


class Processor:
    """Grades files with one set of rules, loaded once (per process)."""

    def __init__(self, rules: Path | None, ctcae: str | None, indent: int | None) -> None:
        from gist_tox.pipeline import RuleSets

        self.rulesets = RuleSets(rules, ctcae)
        self.indent = indent

    def warm(self) -> None:
        """Load (and so validate) the rules now, so that broken rules stop the batch before any
        visit is read rather than failing every file."""
        self.rulesets.get(self.rulesets.requested or self.rulesets.default_version)

    def __call__(self, path: str) -> Outcome:
        from gist_tox.pipeline import evaluate_file

        try:
            result = evaluate_file(path, self.rulesets).as_json()
        except InputError as exc:
            return failure(exc)
        except GistToxError as exc:  # e.g. the rules of a version a visit is pinned to
            return failure(InputError(path, exc.one_line(), code=exc.code))
        except RecursionError:
            return failure(InputError(path, "nested too deeply", code="syntax"))
        except Exception as exc:  # a bug must not stop the batch or lose the file
            return failure(InputError(
                path, f"internal error: {type(exc).__name__}: {exc}; please report it",
                code="internal"))
        return summarise(result, _dumps(result, self.indent))


def _dumps(data: Any, indent: int | None) -> str:
    return json.dumps(data, indent=indent, ensure_ascii=False, allow_nan=False)


# --------------------------------------------------------------------------------------------
# Running many: in-process, or in a pool with a bounded window


_worker: Processor | None = None


def _init_worker(rules: Path | None, ctcae: str | None, indent: int | None) -> None:
    global _worker
    _worker = Processor(rules, ctcae, indent)


def _work(paths: list[str]) -> list[Outcome]:
    assert _worker is not None, "worker used before its initializer ran"
    return [_worker(path) for path in paths]


def run(
    found: list[Found], *, rules: Path | None = None, ctcae: str | None = None, jobs: int = 1,
    indent: int | None = None, chunk: int = 64, on_done: Callable[[int], None] | None = None,
) -> Iterator[Outcome]:
    """Yield one :class:`Outcome` per item of ``found``, in the same order.

    ``jobs > 1`` grades in that many processes; at most ``4 * jobs`` chunks of ``chunk`` files
    are in flight at a time, so memory stays flat however many files there are.  ``on_done`` is
    called with the number of files just finished (for a progress bar).  Broken rules raise
    :class:`~gist_tox.errors.RulesError` before any file is read.
    """
    processor = Processor(rules, ctcae, indent)
    processor.warm()
    pending = [f.path for f in found if f.error is None]
    jobs = max(1, min(jobs, -(-len(pending) // chunk)))
    graded = _in_process(processor, pending) if jobs == 1 else _in_pool(
        pending, rules, ctcae, indent, jobs, chunk)
    for item in found:
        outcome = failure(item.error) if item.error is not None else next(graded)
        if on_done is not None:
            on_done(1)
        yield outcome


def _in_process(processor: Processor, paths: list[str]) -> Iterator[Outcome]:
    for path in paths:
        yield processor(path)


def _in_pool(paths: list[str], rules: Path | None, ctcae: str | None, indent: int | None,
             jobs: int, chunk: int) -> Iterator[Outcome]:
    chunks = (paths[i:i + chunk] for i in range(0, len(paths), chunk))
    window: list[Future[list[Outcome]]] = []
    with ProcessPoolExecutor(max_workers=jobs, initializer=_init_worker,
                             initargs=(rules, ctcae, indent)) as pool:
        try:
            for part in chunks:
                window.append(pool.submit(_work, part))
                if len(window) >= 4 * jobs:
                    yield from window.pop(0).result()
            while window:
                yield from window.pop(0).result()
        finally:
            for future in window:
                future.cancel()


# --------------------------------------------------------------------------------------------
# Selecting


def latest_only(outcomes: Iterable[Outcome]) -> list[Outcome]:
    """Each patient's latest visit (all of them when two share the latest date, so that none is
    dropped on a guess), plus every failure; in the original (path) order."""
    kept = list(outcomes)
    latest: dict[str, str] = {}
    for outcome in kept:
        if (outcome.ok and outcome.patient_id is not None and outcome.date is not None
                and outcome.date > latest.get(outcome.patient_id, "")):
            latest[outcome.patient_id] = outcome.date
    return [o for o in kept if not o.ok or latest.get(o.patient_id or "") == o.date]
