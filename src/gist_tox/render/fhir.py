"""``--format fhir``: a FHIR R4 ``collection`` Bundle (``gist_tox.fhir.writer``).

``grade`` writes the Bundle of its visit, ``timeline`` one Bundle of every visit; ``batch``
writes NDJSON, one Bundle per visit per line, as results arrive (memory stays flat), and a file
that failed as an ``OperationOutcome`` on its line, so that nothing is silently left out.
"""

from __future__ import annotations

import json
from typing import Any, TextIO

from gist_tox.render.base import BatchReport, Renderer


def _line(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False, allow_nan=False)


class FhirRenderer(Renderer):
    def result(self, stream: TextIO, result: dict[str, Any]) -> None:
        from gist_tox.fhir.writer import bundle

        stream.write(json.dumps(bundle([result]), indent=2, ensure_ascii=False) + "\n")

    def timeline(self, stream: TextIO, data: dict[str, Any]) -> None:
        from gist_tox.fhir.writer import bundle

        stream.write(json.dumps(bundle(data["visits"]), indent=2, ensure_ascii=False) + "\n")

    def batch(self, stream: TextIO, report: BatchReport) -> None:
        from gist_tox.fhir.writer import bundle, operation_outcome

        for outcome in report.outcomes:
            if outcome.ok:
                stream.write(_line(bundle([json.loads(outcome.text)])))
            else:
                stream.write(_line(operation_outcome(outcome.problem)))
            stream.write("\n")


RENDERER = FhirRenderer()
