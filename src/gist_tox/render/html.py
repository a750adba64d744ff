"""``batch --format html``: the worklist as one self-contained page to print or mail.

Built with Jinja2 and autoescaping, so any text that comes from a visit (a patient id, a file
name, a value quoted in a reason) is shown as text, never read as markup: a patient id
``<script>alert(1)</script>`` shows as those characters.  The page loads nothing (no script, no
font, no image; its content security policy forbids all of them) and prints on A4.  The
template (``templates/report.html.j2``) ships inside the package; jinja2 is imported only here.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from importlib.resources import files
from typing import Any, TextIO

from gist_tox.batch import URGENCY, Outcome
from gist_tox.render.base import BatchReport, Renderer
from gist_tox.render.worklist import (
    categories,
    collect,
    dose_text,
    resume_text,
    short_rule,
    worst_text,
)
from gist_tox.result_grades import every_grade

TEMPLATE = "report.html.j2"


def _path(source: str) -> Any:
    """A file path that a browser may break only after a ``/``: each name escaped and kept
    whole (a name that is wider than its column still wraps, as a last resort, by CSS)."""
    from markupsafe import Markup, escape

    return Markup("/<wbr>").join(
        Markup('<span class="name">{}</span>').format(escape(part)) for part in source.split("/")
    )


def _visit(outcome: Outcome) -> dict[str, Any]:
    """One visit's detail: every term's grade with its basis and rule, and the reasons."""
    result = json.loads(outcome.text)
    grades = sorted(
        every_grade(result).items(),
        key=lambda item: -1 if item[1].get("grade") is None else item[1]["grade"],
        reverse=True,
    )
    return {
        "row": outcome,
        "grades": [
            {
                "term": grade.get("term", term_id),
                "grade": grade.get("grade"),
                "basis": grade.get("basis") or grade.get("not_gradable") or "",
                "rule": grade.get("rule") or "",
            }
            for term_id, grade in grades
        ],
        "recommendation": result.get("recommendation") or {},
        "warnings": result.get("warnings", []),
        "rules": result.get("rules", {}),
    }


class HtmlRenderer(Renderer):
    json_indent = None

    def batch(self, stream: TextIO, report: BatchReport) -> None:
        import jinja2

        worklist = collect(report, keep_all=True)
        environment = jinja2.Environment(
            autoescape=True,
            undefined=jinja2.StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
        )
        environment.filters.update(
            dose=dose_text,
            resume=resume_text,
            worst=worst_text,
            short_rule=short_rule,
            path=_path,
        )
        template = environment.from_string(
            files("gist_tox.render").joinpath("templates", TEMPLATE).read_text(encoding="utf-8")
        )
        digests = sorted({o.digest for o in worklist.visits if o.digest})
        versions = sorted({o.ctcae_version for o in worklist.visits if o.ctcae_version})
        stream.write(
            template.render(
                worklist=worklist,
                categories=categories(worklist),
                urgency=URGENCY,
                visits=[_visit(o) for o in worklist.visits],
                digests=digests,
                versions=versions,
                generated=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
            )
        )


RENDERER = HtmlRenderer()
