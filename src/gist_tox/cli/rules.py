"""``gist-tox rules check|test|diff``: rule sets treated as tested code.

``check`` validates every rule file and its semantics; ``test`` runs the golden cases;
``diff`` shows what a rule change does to real visits.  Each exits 1 on findings (problems,
failed cases, changed visits) and 2 on a usage or input error, so that CI can gate on them.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from gist_tox.cli.app import (
    FORMAT_FROM_OUTPUT,
    RULES_ENV,
    CtcaeOption,
    DiffFormat,
    OutputOption,
    RulesOption,
    SafeGroup,
    app,
    chosen_format,
)
from gist_tox.cli.conventions import state
from gist_tox.cli.output import open_output
from gist_tox.errors import ExitCode
from gist_tox.render import registry

rules_app = typer.Typer(
    name="rules",
    cls=SafeGroup,
    help="Check, test and compare rule sets (for institutions that keep their own rules).",
    no_args_is_help=True,
    rich_markup_mode=None,
)
app.add_typer(rules_app, name="rules")


REPOSITORY_MARK = Path("rules") / "config.yaml"
"""A folder holding this is a rules repository: ``rules check`` and ``rules test`` run there use
its ``rules/`` and ``cases/``."""


def _root(rules: Path | None, given_as: str = "--rules") -> Path:
    """The rules folder to use; one that does not exist is a usage error (exit 2) naming the
    option or argument it was ``given_as``."""
    from gist_tox.errors import UsageError
    from gist_tox.ruleset.loader import shipped_rules_dir

    if rules is None:
        return shipped_rules_dir()
    if not rules.is_dir():
        raise UsageError(f"{rules}: no such folder of rules ({given_as})")
    return rules


def _repository_root(rules: Path | None) -> Path:
    """``--rules`` (or ``$GIST_TOX_RULES``) when given; else, inside a rules repository (the
    current folder holds ``rules/config.yaml``), its ``rules/``; else the shipped rules.  So
    ``rules check`` run in an institution's copy checks that copy, never the shipped rules."""
    if rules is None and REPOSITORY_MARK.is_file():
        return REPOSITORY_MARK.parent
    if rules is not None and state.rules_from_env and REPOSITORY_MARK.is_file() and not state.quiet:
        typer.echo(
            f"gist-tox: note: using ${RULES_ENV} ({rules}), not ./rules; --rules rules checks"
            " this repository's",
            err=True,
        )
    return _root(rules)


def _default_cases(root: Path) -> Path:
    """``./cases`` when there is one, else the ``cases/`` beside the rules folder in use."""
    here = Path("cases")
    beside = root.parent / "cases"
    return beside if not here.exists() and beside.is_dir() else here


class CheckFormat(StrEnum):
    """How ``rules check`` and ``rules test`` report: lines for people, JSON for tools, GitHub
    Actions annotations (shown on the pull request's lines)."""

    text = "text"
    json = "json"
    github = "github"


CheckFormatOption = Annotated[
    CheckFormat,
    typer.Option(
        "--format",
        "-f",
        help="text, json, or github (workflow annotations, as ruff's --output-format github).",
    ),
]


def github_annotation(
    level: str, message: str, *, file: str | None = None, line: int | None = None, title: str = ""
) -> str:
    """One GitHub Actions workflow command (``::error file=...,line=...::message``), escaped as
    GitHub documents: ``%``, CR and LF everywhere; ``:`` and ``,`` in properties too."""

    def data(text: str) -> str:
        return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")

    def prop(text: str) -> str:
        return data(text).replace(":", "%3A").replace(",", "%2C")

    props = [f"{k}={prop(v)}" for k, v in (("file", file), ("title", title)) if v]
    if line is not None:
        props.insert(1 if file else 0, f"line={line}")
    return (
        f"::{level} {','.join(props)}::{data(message)}" if props else f"::{level}::{data(message)}"
    )


@rules_app.command("check")
def check(rules: RulesOption = None, fmt: CheckFormatOption = CheckFormat.text) -> None:
    """Validate every rule file (schema, then semantics); each problem names file, YAML path
    and line.  Inside a rules repository (a folder holding rules/config.yaml) its rules/ are
    checked.  Exits 1 when there are problems."""
    from gist_tox.ruleset.checks import check_rules

    root = _repository_root(rules)
    problems = check_rules(root)
    if fmt is CheckFormat.json:
        from gist_tox.jsontext import dumps

        typer.echo(
            dumps(
                {
                    "format": "gist-tox/rules-check@1",
                    "rules": str(root),
                    "ok": not problems,
                    "problems": [
                        {"file": p.source, "line": p.line, "path": p.field, "message": p.message}
                        for p in problems
                    ],
                }
            )
        )
    for problem in problems if fmt is not CheckFormat.json else ():
        if fmt is CheckFormat.github:
            typer.echo(
                github_annotation(
                    "error",
                    problem.text,
                    file=problem.source,
                    line=problem.line,
                    title="gist-tox rules check",
                )
            )
        else:
            typer.echo(problem.one_line(column=False))
    if problems:
        if not state.quiet:
            typer.echo(f"{len(problems)} problem(s) in {root}", err=True)
        raise typer.Exit(ExitCode.FINDINGS)
    if fmt is CheckFormat.text and not state.quiet:
        typer.echo(f"rules OK: {root}")


@rules_app.command("test")
def test(
    cases: Annotated[
        list[Path] | None,
        typer.Argument(
            help="Case files or folders (default: ./cases, else the cases/ beside the rules).",
            show_default=False,
            metavar="CASES...",
        ),
    ] = None,
    rules: RulesOption = None,
    junit_xml: Annotated[
        Path | None,
        typer.Option(
            "--junit-xml", help="Also write a JUnit XML report here (for CI).", dir_okay=False
        ),
    ] = None,
    select: Annotated[
        str | None,
        typer.Option(
            "--select", help="Only the cases that cover or expect this term id.", metavar="TERM"
        ),
    ] = None,
    allow_skipped: Annotated[
        bool, typer.Option("--allow-skipped", help="Do not fail on skipped cases.")
    ] = False,
    fmt: CheckFormatOption = CheckFormat.text,
) -> None:
    """Run golden cases, showing expected and actual for each failure.

    Exits 1 on any failure, on a problem `rules check` finds, on skipped cases (unless
    --allow-skipped) and when no case was run; 2 when a case file cannot be read (after the
    other cases have run)."""
    from gist_tox.ruleset.cases import Runner, collect, rules_check_result, write_junit

    root = _repository_root(rules)
    if not cases and not _default_cases(root).exists():
        from gist_tox.errors import UsageError

        raise UsageError(
            "no golden cases found: neither ./cases nor a cases/ folder beside the rules"
            f" ({root}); give the case files or folders, e.g. gist-tox rules test my-rules/cases"
        )
    found = collect(cases or [_default_cases(root)])
    if select is not None:
        found = [c for c in found if c.mentions(select)]
    results = Runner(root).run_all(found)
    checked = rules_check_result(root)
    if checked is not None and found:
        results.insert(0, checked)
    _report_cases(results, fmt)
    if junit_xml is not None:
        from gist_tox.cli.output import open_output

        with open_output(
            junit_xml, option="--junit-xml"
        ) as stream:  # atomic; a folder that is missing is exit 2
            write_junit(results, stream)
    failed = sum(r.status == "failed" for r in results)
    skipped = sum(r.status == "skipped" for r in results)
    passed = len(results) - failed - skipped
    if fmt is CheckFormat.json:
        from gist_tox.jsontext import dumps

        typer.echo(
            dumps(
                {
                    "format": "gist-tox/rules-test@1",
                    "rules": str(root),
                    "passed": passed,
                    "failed": failed,
                    "skipped": skipped,
                    "cases": [_case_json(r) for r in results],
                }
            )
        )
    elif not state.quiet or failed or skipped:
        typer.echo(
            f"{passed} passed, {failed} failed, {skipped} skipped", err=fmt is not CheckFormat.text
        )
    if not results:
        typer.echo("no cases found" + (f" for term {select!r}" if select else ""), err=True)
        raise typer.Exit(ExitCode.FINDINGS)
    if any(case.error is not None for case in found):  # a case file that cannot be read
        raise typer.Exit(ExitCode.INPUT_ERROR)  # is an input error, as everywhere
    if failed or (skipped and not allow_skipped):
        raise typer.Exit(ExitCode.FINDINGS)


def _report_cases(results: list[Any], fmt: CheckFormat) -> None:
    """Each failed and skipped case (``-v``: each passed one too), as lines or annotations."""
    for result in results:
        if fmt is CheckFormat.json:
            continue
        if fmt is CheckFormat.github:
            if result.status != "passed":
                _annotate_case(result)
        elif result.status == "failed":
            typer.echo(f"FAILED {result.nodeid}")
            for message in result.messages:
                typer.echo(f"    {message}")
        elif result.status == "skipped":
            typer.echo(f"SKIPPED {result.nodeid}: {'; '.join(result.messages)}")
        elif state.verbose:
            typer.echo(f"PASSED {result.nodeid}")


def _annotate_case(result: Any) -> None:
    """A failed or skipped case as GitHub annotations at a file of the repository and a line:
    the case's own differences at the case's ``id``; a problem of another file (a rule file
    ``rules check`` finds wrong, an unreadable case file) at that file and line, one each."""
    from gist_tox.ruleset.cases import CASE

    level = "error" if result.status == "failed" else "warning"
    title = f"{result.status.upper()} {result.nodeid}"
    own = [p for p in result.problems if p.code == CASE]
    if own or not result.problems:
        messages = [p.text for p in own]
        typer.echo(
            github_annotation(
                level,
                "\n".join(messages) or result.status,
                file=result.path or result.file or None,
                line=result.line,
                title=title,
            )
        )
    for problem in result.problems:
        if problem.code != CASE:
            typer.echo(
                github_annotation(
                    level, problem.text, file=problem.source, line=problem.line, title=title
                )
            )


def _case_json(result: Any) -> dict[str, Any]:
    return {
        "id": result.nodeid,
        "file": result.file,
        "status": result.status,
        "messages": list(result.messages),
    }


@rules_app.command("diff")
def diff(
    old: Annotated[
        Path, typer.Argument(help="The rules in use now.", file_okay=False, metavar="OLD_RULES")
    ],
    new: Annotated[
        Path, typer.Argument(help="The proposed rules.", file_okay=False, metavar="NEW_RULES")
    ],
    visits: Annotated[
        list[str],
        typer.Argument(
            help="Visit files or folders (as batch takes them; - reads a list of paths from stdin);"
            " patient timelines are replayed.",
            metavar="VISITS",
        ),
    ],
    fmt: Annotated[DiffFormat | None, FORMAT_FROM_OUTPUT] = None,
    ctcae: CtcaeOption = None,
    output: OutputOption = None,
) -> None:
    """Grade and dose every visit with OLD and NEW rules; list each visit whose grades or
    recommendation change (before -> after), and any problem `rules check` finds in NEW.
    Exits 0 when nothing changes, 1 when something does (or NEW has problems), 2 when a
    visit file is refused by both rule sets (after all the others are compared) or on a usage
    error."""
    from gist_tox.regress import diff_visits
    from gist_tox.ruleset.checks import check_rules

    fmt = chosen_format(fmt, output, registry.DIFF)  # -o diff.json is JSON, -o diff.csv refused
    old, new = _root(old, "OLD_RULES"), _root(new, "NEW_RULES")
    from gist_tox.cli.batch import expand_stdin

    visits = expand_stdin(visits)  # "-": the paths on stdin, one per line, as batch reads them
    report = diff_visits(old, new, visits, ctcae.value if ctcae else None)
    problems = [p.one_line(column=False) for p in check_rules(new)]
    for visit in report.unreadable:
        typer.echo(f"not compared (refused with both rule sets): {visit.error}", err=True)
    from gist_tox.render.registry import renderer

    with open_output(output, visits) as stream:
        renderer(fmt).diff(stream, {**report.as_json(), "new_rules_problems": problems})
    if report.unreadable:  # as in batch: every other visit is compared, then 2 wins over 1
        raise typer.Exit(ExitCode.INPUT_ERROR)
    raise typer.Exit(ExitCode.FINDINGS if report.changed or problems else ExitCode.OK)
