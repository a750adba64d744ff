"""Many visits at once: find the files, grade and dose each one exactly as ``grade`` does, in a
stable order, without ever losing one.

Why it is built this way:

* **Nothing lost.**  Every path given becomes exactly one :class:`Outcome` per visit file found,
  or a failure record naming the file, field and reason; a bad file (or a bug) never stops the
  batch.  A folder that holds no visit files, a path that does not exist, a folder that cannot be
  read and a symbolic-link loop are failures too, so a pharmacist can see that nothing was skipped.
* **Stable order.**  Files are processed and reported sorted by path (component by component),
  whatever the number of worker processes.
* **Flat memory.**  Files are found lazily (one sorted listing per folder level being walked)
  and results are produced one at a time (:func:`discover` and :func:`run` are generators); with
  worker processes only a bounded window of chunks is in flight.  So memory does not grow with
  the number of files (only a list of paths read from stdin is held whole).
* **Little per-file overhead.**  Rules are loaded once per process (a pool initializer for the
  workers); the worker serialises the result JSON itself and sends back a small summary, so the
  parent never re-parses or re-encodes a result.

This module knows nothing about terminals or output formats (see ``gist_tox.render``).
"""

from __future__ import annotations

import contextlib
import errno
import heapq
import itertools
import os
import signal
import stat
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gist_tox.errors import GistToxError, InputError, Problem
from gist_tox.jsontext import dumps
from gist_tox.result_grades import every_grade

VISIT_SUFFIXES = (".yaml", ".yml", ".json")
FILE_ERROR_FORMAT = "gist-tox/file-error@1"

ACTIONS = ("discontinue", "hold", "reduce", "resume", "escalate", "continue")
"""Recommendation actions, most severe first (the order of ``--fail-on`` and of the table)."""

UNKNOWN = "unknown"
"""The action of a visit without a recommendation: never assumed to be ``continue``."""

NEEDS_ACTION = frozenset({"discontinue", "hold", "reduce", "resume", "escalate", UNKNOWN})
"""Actions a pharmacist must look at; ``unknown`` is one of them (never guess)."""

_SEVERITY = {action: len(ACTIONS) - rank for rank, action in enumerate(ACTIONS)}

REVIEW = "review"
"""The worklist's name for a visit whose action is not a stop (``reduce`` to ``continue``) but
whose recommendation a clinician must review before it is acted on."""

URGENCY = (UNKNOWN, "discontinue", "hold", REVIEW, "reduce", "resume", "escalate", "continue")
"""The worklist's order, most urgent first: a visit without a recommendation, then stops, then
visits under review, then the dose changes."""

_URGENCY = {name: rank for rank, name in enumerate(URGENCY)}


def severity(action: str) -> int:
    """Higher is more severe.  An unknown action ranks above every known one, so that
    ``--fail-on`` can never pass a visit whose action could not be told."""
    return _SEVERITY.get(action, len(ACTIONS) + 1)


@dataclass(slots=True)
class Outcome:
    """One file's result: a small summary for tables, filters and exit codes, plus the full
    record already serialised as JSON (``gist-tox/result@1`` or ``gist-tox/file-error@1``).

    Never changed once made (a different one is made with ``dataclasses.replace``), but not
    declared frozen: a frozen dataclass sets each of its 20 fields through
    ``object.__setattr__``, which made creating one (once per visit) about twice as slow."""

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
    problem: Problem | None = None  # why a file failed
    resume_dose_mg: int | None = None
    resume_when: str | None = None
    alternatives: tuple[str, ...] = ()
    review: tuple[tuple[str, str], ...] = ()
    """``(code, text)`` of what a clinician must judge before acting (``recommendation.review``)."""
    rules: tuple[str, ...] = ()
    """The dosing rules that fired (each reason's rule id), in the recommendation's order."""

    @property
    def needs_action(self) -> bool:
        """A dose change, a visit without a recommendation, or one a clinician must review."""
        return self.ok and (self.action in NEEDS_ACTION or bool(self.review))

    @property
    def category(self) -> str:
        """Where the visit stands on the worklist (:data:`URGENCY`): its action, or
        :data:`REVIEW` when it is under review and its action is not a stop."""
        if self.review and _URGENCY.get(self.action, 0) > _URGENCY[REVIEW]:
            return REVIEW
        return self.action if self.action in _URGENCY else UNKNOWN

    @property
    def urgency(self) -> int:
        """Lower is more urgent (the rank of :attr:`category` in :data:`URGENCY`)."""
        return _URGENCY[self.category]

    def at_least(self, action: str) -> bool:
        """Is this visit's action ``action`` or more severe?"""
        return self.ok and severity(self.action) >= severity(action)


# --------------------------------------------------------------------------------------------
# Finding the files


@dataclass(slots=True)
class Found:
    """A path to process, or a problem met while looking for files (``error`` set).

    ``ident`` (device, inode) is set only for a file that could be met again under another
    name (named on the command line, reached through a symbolic link, or hard-linked), so
    that :func:`discover` lists it once while remembering only those few files.

    Never changed once made, but not declared frozen (one is made per file found; a frozen
    dataclass sets each field through ``object.__setattr__``), as :class:`Outcome`."""

    path: str
    error: InputError | None = None
    ident: tuple[int, int] | None = None
    payload: Any = None
    """For one patient of a FHIR Bulk Data export: its resources and day (``gist_tox.fhir``)."""


def _sort_key(item: Found) -> tuple[str, ...]:
    return tuple(os.path.normpath(item.path).split(os.sep))


def discover(
    paths: Iterable[str], *, exclude: Iterable[str] = (), every_day: bool = False
) -> Iterator[Found]:
    """Every visit file under ``paths`` (files are taken whatever their suffix; folders are
    walked for ``*.yaml``, ``*.yml`` and ``*.json``, to any depth), plus one failure per path
    that does not exist, folder that cannot be read or holds no visit files, and symbolic-link
    loop.

    Yielded lazily, sorted by path (component by component), each file once however many
    spellings name it (``visits`` and ``/abs/visits``, a link to a file in the same folder, a
    hard link); only the listings of the folders being walked are held, so memory does not grow
    with the number of files.  ``exclude`` names files never to read (the batch's own
    ``--output``).  A folder given or met that holds ``*.ndjson`` files is a FHIR Bulk Data export:
    one item per patient (``every_day``: per patient and day), see :mod:`gist_tox.fhir.export`.
    """
    excluded: set[tuple[int, int]] = set()
    for path in exclude:
        with contextlib.suppress(OSError):
            info = os.stat(path)
            excluded.add((info.st_dev, info.st_ino))
    files: list[Found] = []
    folders: list[tuple[str, os.stat_result]] = []
    roots: list[str] = []
    for raw in paths:
        if not raw:
            continue
        path = raw.rstrip(os.sep) or os.sep  # as the user wrote it, so results name it so too
        try:
            info = os.stat(path)
        except OSError as exc:
            files.append(Found(path, _os_error(path, exc, "file or folder")))
            continue
        except ValueError:  # a NUL character, from a list of paths read from stdin
            files.append(
                Found(
                    path,
                    InputError(
                        path, "the path contains a NUL character; no such file", code="file"
                    ),
                )
            )
            continue
        if stat.S_ISDIR(info.st_mode):
            real = os.path.realpath(path)
            if not _inside(real, roots):  # the same folder, or one inside it, is walked once
                roots.append(real)
                folders.append((path, info))
        elif (info.st_dev, info.st_ino) not in excluded:
            files.append(Found(path, ident=(info.st_dev, info.st_ino)))
    walks = [
        _export(path, every_day)
        if _is_export(path)
        else _folder(path, info, excluded, roots, every_day)
        for path, info in folders
    ]
    files = [f for f in files if f.error is not None or not _listed_by_walk(f.path, roots)]
    files.sort(key=_sort_key)
    previous: tuple[str, ...] | None = None
    seen: set[tuple[int, int]] = set()
    for item in heapq.merge(iter(files), *walks, key=_sort_key):
        key = _sort_key(item)
        if key == previous:
            continue
        previous = key
        if item.ident is not None:
            if item.ident in seen:
                continue
            seen.add(item.ident)
        yield item


def _is_export(folder: str) -> bool:
    from gist_tox.fhir import is_export

    return is_export(folder)


def _export(folder: str, every_day: bool) -> Iterator[Found]:
    """The patients of a FHIR Bulk Data export folder, each with its resources; first, a
    failure naming the visit files beside them, which an export folder's reading leaves out."""
    from gist_tox.fhir.export import items

    with contextlib.suppress(OSError):
        beside = sum(1 for name in os.listdir(folder) if _is_visit_name(name))
        if beside:
            yield Found(
                folder,
                InputError(
                    folder,
                    f"holds {beside} visit file(s) (*.yaml, *.yml, *.json) beside FHIR Bulk"
                    " Data files (*.ndjson), read as an export: the visit files are not read;"
                    " move them to a folder of their own",
                    code="file",
                ),
            )

    for item in items(folder, every_day=every_day):
        payload = None if item.error is not None else (item.resources, item.day)
        yield Found(item.path, item.error, payload=payload)


def _inside(real: str, roots: Iterable[str]) -> bool:
    """Is the real path ``real`` one of ``roots`` or inside one of them?"""
    return any(real == root or real.startswith(root.rstrip(os.sep) + os.sep) for root in roots)


def _listed_by_walk(path: str, roots: list[str]) -> bool:
    """Will a folder walk list the file ``path`` names under its own name anyway?"""
    real = os.path.realpath(path)
    return _is_visit_name(os.path.basename(real)) and _inside(os.path.dirname(real), roots)


def _folder(
    path: str,
    info: os.stat_result,
    excluded: set[tuple[int, int]],
    roots: list[str],
    every_day: bool = False,
) -> Iterator[Found]:
    """A folder given by the user: its files, or one failure saying it holds none."""
    empty = True
    for item in _walk(path, (info.st_dev, info.st_ino), excluded, roots, every_day):
        empty = False
        yield item
    if empty:
        yield Found(
            path,
            InputError(path, "no visit files (*.yaml, *.yml, *.json) in this folder", code="empty"),
        )


_Level = tuple[str, Iterator[tuple[str, bool]], frozenset[tuple[int, int]], bool]
"""A folder being walked: its path, the rest of its sorted entries (name, is a link), the
folders above it (device, inode), and whether it was reached through a symbolic link."""


def _walk(
    top: str,
    top_key: tuple[int, int],
    excluded: set[tuple[int, int]],
    roots: list[str],
    every_day: bool = False,
) -> Iterator[Found]:
    """Depth-first walk in name order, with a stack rather than recursion (a folder nested
    thousands of levels deep is walked, not a crash), that follows symbolic links to folders
    but never around a loop, nor into a folder that is walked under its own name anyway.  A
    folder inside that holds ``*.ndjson`` files is read as the FHIR Bulk Data export it is, as
    if it had been given (its patients were silently left out)."""
    stack: list[_Level] = []

    def enter(folder: str, ancestors: frozenset[tuple[int, int]], linked: bool) -> Found | None:
        try:
            with os.scandir(folder) as entries:
                names = sorted((entry.name, entry.is_symlink()) for entry in entries)
        except OSError as exc:
            return Found(folder, _os_error(folder, exc, "folder"))
        stack.append((folder, iter(names), ancestors, linked))
        return None

    problem = enter(top, frozenset({top_key}), False)
    if problem is not None:
        yield problem
    while stack:
        folder, names, ancestors, linked = stack[-1]
        entry = next(names, None)
        if entry is None:
            stack.pop()
            continue
        name, is_link = entry
        path = os.path.join(folder, name)
        try:
            info = os.stat(path)
        except OSError as exc:
            if _is_visit_name(name) or exc.errno in (errno.ELOOP, errno.ENAMETOOLONG):
                yield Found(path, _os_error(path, exc, "file"))
            continue
        key = (info.st_dev, info.st_ino)
        if stat.S_ISDIR(info.st_mode):
            if key in ancestors:
                yield Found(
                    path,
                    InputError(
                        path,
                        f"symbolic link loop (points back to {os.path.realpath(path)}); "
                        "not followed",
                        code="file",
                    ),
                )
            elif is_link and _inside(os.path.realpath(path), roots):
                continue
            elif _is_export(path):
                yield from _export(path, every_day)
            else:
                problem = enter(path, ancestors | {key}, linked or is_link)
                if problem is not None:
                    yield problem
        elif _is_visit_name(name) and key not in excluded:
            if is_link and _listed_by_walk(path, roots):
                continue  # listed under the name it has in its own folder
            may_repeat = linked or is_link or info.st_nlink > 1
            yield Found(path, ident=key if may_repeat else None)


def _is_visit_name(name: str) -> bool:
    """``*.yaml``, ``*.yml`` or ``*.json`` in any case: ``VISIT.YAML`` saved on Windows must not
    be skipped silently (``grade`` reads a ``.JSON`` file as JSON too)."""
    return name.lower().endswith(VISIT_SUFFIXES)


def _os_error(path: str, exc: OSError, what: str) -> InputError:
    if exc.errno == errno.ENOENT:
        if os.path.islink(path):
            message = f"broken symbolic link (to {os.readlink(path)})"
        else:
            message = f"no such {what}"
    elif exc.errno == errno.ELOOP:
        message = "symbolic link loop; not followed"
    elif exc.errno == errno.ENAMETOOLONG:
        message = "path too long for the system (nested too deeply); not searched"
    elif exc.errno in (errno.EACCES, errno.EPERM):
        message = "permission denied"
    else:
        message = f"cannot read: {exc.strerror or exc}"
    return InputError(path, message, code="file")


# --------------------------------------------------------------------------------------------
# Processing one file


def failure(error: InputError) -> Outcome:
    record = {"format": FILE_ERROR_FORMAT, **error.problem.as_dict()}
    return Outcome(
        source=error.source, ok=False, text=dumps(record, indent=None), problem=error.problem
    )


def summarise(result: dict[str, Any], text: str) -> Outcome:
    """The summary of a ``gist-tox/result@1`` object: the worst grade is the highest non-null
    grade (its term is the first one with it, in rule order); a missing recommendation is
    :data:`UNKNOWN`."""
    worst: int | None = None
    worst_term: str | None = None
    not_gradable = 0
    for term_id, grade in every_grade(result).items():
        value = grade.get("grade")
        if value is None:
            not_gradable += 1
        elif worst is None or value > worst:
            worst, worst_term = value, grade.get("term", term_id)
    recommendation = result.get("recommendation") or {}
    review = tuple(
        (str(item.get("code", "")), str(item.get("text", "")))
        for item in recommendation.get("review") or ()
        if isinstance(item, dict)
    )
    return Outcome(
        source=result["source"],
        ok=True,
        text=text,
        patient_id=result["patient_id"],
        date=result["date"],
        ctcae_version=result["rules"]["ctcae_version"],
        action=recommendation.get("action") or UNKNOWN,
        dose_mg=recommendation.get("dose_mg"),
        worst_grade=worst,
        worst_term=worst_term if worst else None,
        not_gradable=not_gradable,
        warnings=tuple(result.get("warnings", ())),
        digest=result["rules"].get("digest"),
        resume_dose_mg=recommendation.get("resume_dose_mg"),
        resume_when=recommendation.get("resume_when"),
        alternatives=tuple(recommendation.get("alternatives") or ()),
        review=review,
        rules=tuple(reason["rule"] for reason in recommendation.get("reasons") or ()),
    )


class Processor:
    """Grades files with one set of rules, loaded once (per process)."""

    def __init__(self, rules: Path | None, ctcae: str | None, indent: int | None) -> None:
        from gist_tox.pipeline import RuleSets, evaluate_file

        self.rulesets = RuleSets(rules, ctcae)
        self.indent = indent
        self.evaluate_file = evaluate_file
        """The pipeline's, imported once here rather than by a statement at every file (the
        pipeline is imported when a batch starts, not with this module)."""

    def warm(self) -> None:
        """Load (and so validate) the rules now, so that broken rules stop the batch before any
        visit is read rather than failing every file."""
        self.rulesets.get(self.rulesets.requested or self.rulesets.default_version)

    def __call__(self, path: str, payload: Any = None) -> Outcome:
        try:
            if payload is not None:  # one patient of a FHIR Bulk Data export
                from gist_tox.fhir.load import evaluate_resources

                resources, day = payload
                result = evaluate_resources(resources, day, path, self.rulesets).as_json()
            else:
                result = self.evaluate_file(path, self.rulesets).as_json()
            return summarise(result, dumps(result, indent=self.indent))
        except InputError as exc:
            return failure(exc)
        except GistToxError as exc:  # e.g. the rules of a version a visit is pinned to
            return failure(InputError(path, exc.one_line(), code=exc.code))
        except RecursionError:
            return failure(InputError(path, "nested too deeply", code="syntax"))
        except Exception as exc:  # a bug must not stop the batch or lose the file
            return failure(
                InputError(
                    path,
                    f"internal error: {type(exc).__name__}: {exc}; please report it",
                    code="internal",
                )
            )


# --------------------------------------------------------------------------------------------
# Running many: in-process, or in a pool with a bounded window


_worker: Processor | None = None


def _init_worker(rules: Path | None, ctcae: str | None, indent: int | None) -> None:
    """Load the rules once per worker.  Ctrl-C is the parent's to handle (no worker
    tracebacks); SIGTERM and SIGHUP simply end a worker (a forked worker would otherwise inherit
    the parent's handler and report the signal back as a result), and the parent, which gets
    them too, stops the rest."""
    global _worker
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    for number in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(number, signal.SIG_DFL)
    _worker = Processor(rules, ctcae, indent)


def _work(jobs: list[tuple[str, Any]]) -> list[Outcome]:
    assert _worker is not None, "worker used before its initializer ran"
    return [_worker(path, payload) for path, payload in jobs]


def run(
    found: Iterable[Found],
    *,
    rules: Path | None = None,
    ctcae: str | None = None,
    jobs: int = 1,
    indent: int | None = None,
    chunk: int = 64,
) -> Iterator[Outcome]:
    """Yield one :class:`Outcome` per item of ``found``, in the same order.

    ``jobs > 1`` grades in that many processes (only when there is more than one chunk of work);
    at most ``4 * jobs`` chunks of ``chunk`` files are in flight at a time, so memory stays flat
    however many files there are.  Broken rules raise :class:`~gist_tox.errors.RulesError`
    before any file is read.
    """
    processor = Processor(rules, ctcae, indent)
    processor.warm()
    parts = _chunks(found, chunk)
    head = list(itertools.islice(parts, 2 if jobs > 1 else 0))
    if len(head) < 2:
        graded: Iterator[tuple[list[Found], list[Outcome]]] = (
            (part, [processor(f.path, f.payload) for f in part if f.error is None])
            for part in itertools.chain(head, parts)
        )
    else:
        from gist_tox.pool import in_pool  # multiprocessing costs ~30 ms to import: only now

        graded = in_pool(itertools.chain(head, parts), rules, ctcae, indent, jobs)
    for part, outcomes in graded:
        results = iter(outcomes)
        for item in part:
            yield failure(item.error) if item.error is not None else next(results)


def _chunks(found: Iterable[Found], size: int) -> Iterator[list[Found]]:
    items = iter(found)
    while part := list(itertools.islice(items, size)):
        yield part


def _paths(part: list[Found]) -> list[tuple[str, Any]]:
    """The work of a chunk: each path to grade, with its payload (see :class:`Found`)."""
    return [(f.path, f.payload) for f in part if f.error is None]


# --------------------------------------------------------------------------------------------
# Selecting


class Tally:
    """Counts that reconcile: every file read is a graded visit or a failed file, and what is
    shown is what the filters kept of those.  Filled as the outcomes stream past
    (:meth:`reading` before the filters, :meth:`showing` after them)."""

    def __init__(self) -> None:
        self.read = 0
        self.failed = 0
        self.shown_visits = 0

    @property
    def graded(self) -> int:
        return self.read - self.failed

    def reading(self, outcomes: Iterable[Outcome]) -> Iterator[Outcome]:
        for outcome in outcomes:
            self.read += 1
            self.failed += not outcome.ok
            yield outcome

    def showing(self, outcomes: Iterable[Outcome]) -> Iterator[Outcome]:
        for outcome in outcomes:
            self.shown_visits += outcome.ok
            yield outcome


def within(outcomes: Iterable[Outcome], since: str | None, until: str | None) -> Iterator[Outcome]:
    """The visits dated ``since`` to ``until`` (ISO dates, both included, either open), and
    every failure (a file that failed has no date to judge it by, and is never dropped)."""
    for outcome in outcomes:
        date = outcome.date or ""
        if not outcome.ok or not date:
            yield outcome
        elif (since is None or date >= since) and (until is None or date <= until):
            yield outcome  # two branches: a failure is kept whatever the dates


def latest_only(outcomes: Iterable[Outcome]) -> list[Outcome]:
    """Each patient's latest visit (all of them when two share the latest date, so that none is
    dropped on a guess), plus every failure; in path order.  Holds one entry per patient."""
    latest: dict[str, list[Outcome]] = {}
    kept: list[Outcome] = []
    for outcome in outcomes:
        if not outcome.ok or outcome.patient_id is None or outcome.date is None:
            kept.append(outcome)
            continue
        current = latest.get(outcome.patient_id)
        if current is None or outcome.date > (current[0].date or ""):
            latest[outcome.patient_id] = [outcome]
        elif outcome.date == current[0].date:
            current.append(outcome)
    kept.extend(o for group in latest.values() for o in group)
    return sorted(kept, key=lambda o: tuple(o.source.split(os.sep)))
