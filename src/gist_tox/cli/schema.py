"""``gist-tox schema visit|patient|rules|result|cases``: JSON Schema of each file format.

The schemas are generated from the same pydantic models that validate the files, so an editor
that reads them (``# yaml-language-server: $schema=...`` on a file's first line) completes and
checks exactly what gist-tox accepts.  The repository keeps them in ``schemas/`` and a test fails
when they are stale; regenerate with ``gist-tox schema --write schemas``.
"""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from gist_tox.cli.app import app

DIALECT = "https://json-schema.org/draft/2020-12/schema"


class SchemaName(StrEnum):
    visit = "visit"
    patient = "patient"
    rules = "rules"
    result = "result"
    cases = "cases"
    questionnaire = "questionnaire"


def _rules_type() -> Any:
    """Any rule file: a union discriminated by ``kind``."""
    from typing import Union

    from pydantic import Field

    from gist_tox.ruleset.interactions import InteractionList
    from gist_tox.ruleset.schema import ReferenceRanges, RulesConfig, TermRule

    kinds: list[Any] = [TermRule, ReferenceRanges, RulesConfig, InteractionList]
    try:
        from gist_tox.dosing.schema import DosingRules

        kinds.append(DosingRules)
    except ImportError:  # a build without dosing rules
        pass
    return Annotated[Union[tuple(kinds)], Field(discriminator="kind")]  # noqa: UP007


def schema_of(name: SchemaName | str) -> dict[str, Any]:
    """The JSON Schema of one format, with a title and the draft it follows."""
    from pydantic import TypeAdapter

    name = SchemaName(name)
    title = f"gist-tox {name.value} file"
    target: Any
    if name is SchemaName.visit:
        from gist_tox.visit import Visit

        target = Visit
    elif name is SchemaName.patient:
        from gist_tox.patient import Patient

        target = Patient
    elif name is SchemaName.result:
        from gist_tox.result_schema import Result

        target, title = Result, "gist-tox result (gist-tox/result@1)"
    elif name is SchemaName.cases:
        from gist_tox.ruleset.cases import CaseFile

        target, title = CaseFile, "gist-tox golden cases file"
    else:
        target = _rules_type()
    schema = TypeAdapter(target).json_schema()
    return {"$schema": DIALECT, "title": title, **{k: v for k, v in schema.items() if k != "title"}}


def render(name: SchemaName | str) -> str:
    if SchemaName(name) is SchemaName.questionnaire:
        from gist_tox.fhir.questionnaire import questionnaire

        return json.dumps(questionnaire(), indent=2, ensure_ascii=False) + "\n"
    return json.dumps(schema_of(name), indent=2, ensure_ascii=False) + "\n"


def write_all(folder: Path) -> list[Path]:
    """Write ``<name>.schema.json`` for every format into ``folder``."""
    from gist_tox.cli.output import open_output

    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name in SchemaName:
        if name is SchemaName.questionnaire:  # a FHIR resource, not a JSON Schema
            continue
        path = folder / f"{name.value}.schema.json"
        with open_output(path) as stream:
            stream.write(render(name))
        written.append(path)
    return written


@app.command()
def schema(
    name: Annotated[
        SchemaName | None, typer.Argument(help="Which format.", show_default=False)
    ] = None,
    write: Annotated[
        Path | None,
        typer.Option(
            "--write",
            help="Write every schema as <name>.schema.json into this folder.",
            file_okay=False,
        ),
    ] = None,
) -> None:
    """Print the JSON Schema of a file format (visit, patient, rules, result, cases), or the
    FHIR Questionnaire for what only the clinician knows (questionnaire)."""
    from gist_tox.errors import UsageError

    if write is not None:
        from gist_tox.cli.conventions import state

        for path in write_all(write):
            if not state.quiet:
                typer.echo(f"wrote {path}")
        return
    if name is None:
        raise UsageError(
            "name a schema: visit, patient, rules, result, cases or questionnaire (or --write DIR)"
        )
    typer.echo(render(name), nl=False)
