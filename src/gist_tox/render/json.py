"""``--format json``: the documents exactly as the contract states them, two-space indented.

``batch`` writes a JSON array element by element as results arrive, so memory stays flat
however large the batch; each element is the JSON the worker already serialised."""

from __future__ import annotations

from typing import Any, TextIO

from gist_tox.jsontext import dumps
from gist_tox.render.ascii import encodes
from gist_tox.render.base import BatchReport, Renderer


class JsonRenderer(Renderer):
    json_indent = 2

    def result(self, stream: TextIO, result: dict[str, Any]) -> None:
        stream.write(dumps(result, ascii=not encodes(stream)) + "\n")

    def comparison(self, stream: TextIO, data: dict[str, Any]) -> None:
        stream.write(dumps(data, ascii=not encodes(stream)) + "\n")

    def timeline(self, stream: TextIO, data: dict[str, Any]) -> None:
        stream.write(dumps(data, ascii=not encodes(stream)) + "\n")

    def diff(self, stream: TextIO, data: dict[str, Any]) -> None:
        stream.write(dumps(data) + "\n")

    def batch(self, stream: TextIO, report: BatchReport) -> None:
        """A JSON array of ``gist-tox/result@1`` and ``gist-tox/file-error@1`` objects."""
        stream.write("[")
        first = True
        for outcome in report.outcomes:
            stream.write("\n" if first else ",\n")
            stream.write(outcome.text)
            first = False
        stream.write("\n]\n" if not first else "]\n")


RENDERER = JsonRenderer()
