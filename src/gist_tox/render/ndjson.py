"""``--format ndjson``: one JSON object per line, written as each result arrives."""

from __future__ import annotations

from typing import TextIO

from gist_tox.render.base import BatchReport, Renderer


class NdjsonRenderer(Renderer):
    def batch(self, stream: TextIO, report: BatchReport) -> None:
        """A ``gist-tox/result@1`` or a ``gist-tox/file-error@1`` object per line."""
        for outcome in report.outcomes:
            stream.write(outcome.text)
            stream.write("\n")


RENDERER = NdjsonRenderer()
