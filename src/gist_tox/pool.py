"""Worker processes for ``batch --jobs N``: a bounded window of chunks in flight, results in
submission order, and no file lost when a worker dies.

Kept apart from :mod:`gist_tox.batch` so that ``--jobs 1`` never imports multiprocessing (~30 ms
of start-up).  The workers run :func:`gist_tox.batch._work` after
:func:`gist_tox.batch._init_worker`, so they grade exactly as the parent would.
"""

from __future__ import annotations

import collections
import contextlib
from collections.abc import Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import Any

from gist_tox.batch import Found, Outcome, _init_worker, _paths, _work, failure
from gist_tox.errors import InputError


class _Pool:
    """Worker processes with a bounded window of chunks in flight, results in submission order.

    If a worker process dies (killed, out of memory, a crash in a C extension), the chunk
    whose result was awaited is graded again one file at a time, each in its own worker, so the
    file that kills a worker becomes a failure record and no other file is lost; the chunks
    still in flight are resubmitted to a fresh pool.
    """

    def __init__(
        self, rules: Path | None, ctcae: str | None, indent: int | None, jobs: int
    ) -> None:
        self.args = (rules, ctcae, indent)
        self.jobs = jobs
        self.pool = self._new(jobs)
        self.window: collections.deque[tuple[list[Found], Future[list[Outcome]]]] = (
            collections.deque()
        )

    def _new(self, workers: int) -> ProcessPoolExecutor:
        return ProcessPoolExecutor(
            max_workers=workers, initializer=_init_worker, initargs=self.args
        )

    def submit(self, part: list[Found]) -> None:
        try:
            future = self.pool.submit(_work, _paths(part))
        except BrokenProcessPool as exc:  # a worker died since: handled in turn, by oldest()
            future = Future()
            future.set_exception(exc)
        self.window.append((part, future))

    def oldest(self) -> tuple[list[Found], list[Outcome]]:
        part, future = self.window.popleft()
        try:
            return part, future.result()
        except BrokenProcessPool:
            self.pool.shutdown(wait=True, cancel_futures=True)
            outcomes = [self._alone(job) for job in _paths(part)]
            self.pool = self._new(self.jobs)
            waiting = [p for p, _ in self.window]
            self.window.clear()
            for other in waiting:
                self.submit(other)
            return part, outcomes

    def _alone(self, job: tuple[str, Any]) -> Outcome:
        path = job[0]
        pool = self._new(1)
        try:
            return pool.submit(_work, [job]).result()[0]
        except BrokenProcessPool:
            return failure(
                InputError(
                    path,
                    "the worker process grading this file died (killed, out of memory or "
                    "crashed); not graded",
                    code="internal",
                )
            )
        finally:
            pool.shutdown(wait=True, cancel_futures=True)

    def close(self) -> None:
        self.pool.shutdown(wait=True, cancel_futures=True)

    def stop(self) -> None:
        """Stop at once (an error, Ctrl-C, SIGTERM): the workers are ended, not waited for,
        so that none is left running once the parent has exited."""
        workers = list((getattr(self.pool, "_processes", None) or {}).values())
        # Work still queued for the workers must not keep the interpreter from exiting: with
        # the workers gone, flushing it into a full pipe would wait forever.
        queue = getattr(self.pool, "_call_queue", None)
        if queue is not None:
            queue.cancel_join_thread()
        for worker in workers:
            with contextlib.suppress(Exception):
                worker.terminate()
        for worker in workers:
            with contextlib.suppress(Exception):
                worker.join(timeout=5)
        # A worker ended while sending a result leaves half a message in the result pipe, and
        # the pool's thread would wait for the rest forever: once our own copy of the pipe's
        # writing end is closed too, it reads the end of the pipe instead, and stops.
        results = getattr(self.pool, "_result_queue", None)
        with contextlib.suppress(Exception):
            results._writer.close()  # type: ignore[union-attr]
        self.pool.shutdown(wait=True, cancel_futures=True)  # returns at once: no worker left


def in_pool(
    parts: Iterator[list[Found]],
    rules: Path | None,
    ctcae: str | None,
    indent: int | None,
    jobs: int,
) -> Iterator[tuple[list[Found], list[Outcome]]]:
    pool = _Pool(rules, ctcae, indent, jobs)
    try:
        for part in parts:
            pool.submit(part)
            if len(pool.window) >= 4 * jobs:
                yield pool.oldest()
        while pool.window:
            yield pool.oldest()
    except BaseException:  # also GeneratorExit: the caller stopped reading
        pool.stop()
        raise
    pool.close()
