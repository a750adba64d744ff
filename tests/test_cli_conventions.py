"""What every command shares (``cli/conventions.py``, ``cli/app.py``): -q/-v/--debug anywhere,
usage errors in one line with a hint, plain help text, ASCII output where the terminal cannot
encode, and the rules folder an institution makes its default."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from typer.main import get_command

from conftest import EXAMPLES, REPO, RULES, invoke
from gist_tox.cli import full_app
from gist_tox.errors import InputError

SEED = str(EXAMPLES / "hwang-2010-worst-visit.yaml")


def _leaf_commands() -> list[list[str]]:
    """Every command a user can run, as the words that name it (``["rules", "check"]``)."""
    root = get_command(full_app())
    found: list[list[str]] = []

    def walk(group: Any, path: list[str]) -> None:
        for name, command in group.commands.items():
            if getattr(command, "commands", None):
                walk(command, [*path, name])
            else:
                found.append([*path, name])

    walk(root, [])
    return found


COMMANDS = _leaf_commands()


def test_every_command_is_found() -> None:
    assert {" ".join(c) for c in COMMANDS} >= {
        "grade",
        "timeline",
        "batch",
        "schema",
        "rules check",
        "rules test",
        "rules diff",
    }


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_every_command_takes_quiet_verbose_and_debug(command: list[str]) -> None:
    out = invoke([*command, "-h"])
    assert out.exit_code == 0, out.output
    for option in ("-q, --quiet", "-v, --verbose", "--debug"):
        assert option in out.stdout


@pytest.mark.parametrize("command", [[], *COMMANDS], ids=lambda c: " ".join(c) or "gist-tox")
def test_help_text_has_no_typer_artefacts(command: list[str]) -> None:
    text = invoke([*command, "-h"]).stdout
    assert "{" not in text.split("\n\n")[0]  # the usage line: FILE|-, not {FILE|-}
    assert "<int range>" not in text and "[x>=" not in text


def test_a_number_range_reads_as_words_in_help() -> None:
    text = " ".join(invoke(["batch", "-h"]).stdout.split())
    assert "-j, --jobs N" in text and "At least 1." in text


@pytest.mark.parametrize(
    "args",
    [
        ["--debug", "grade", "no-such.yaml"],
        ["grade", "no-such.yaml", "--debug"],
    ],
    ids=["before", "after"],
)
def test_debug_before_or_after_the_command_shows_the_error_itself(args: list[str]) -> None:
    out = invoke(args)
    assert isinstance(out.exception, InputError)  # not turned into one line and exit 2


def test_quiet_and_verbose_together_are_a_usage_error() -> None:
    out = invoke(["-q", "grade", SEED, "-v"])
    assert out.exit_code == 2 and "contradict" in out.stderr


@pytest.mark.parametrize(
    ("args", "line"),
    [
        (["grde", "x"], "gist-tox: unknown command 'grde' (did you mean 'grade'?)"),
        (
            ["grade", "--formt", "json", "x"],
            "gist-tox: grade: unknown option '--formt' (did you mean '--format'?)",
        ),
        (["rules", "chek"], "gist-tox: rules: unknown command 'chek' (did you mean 'check'?)"),
        (["grade"], "gist-tox: grade: missing argument 'FILE|-' (see 'gist-tox grade -h')"),
        (
            ["grade", "a.yaml", "b.yaml"],
            "gist-tox: grade: got unexpected extra argument(s) (b.yaml)"
            " (grade reads one visit; gist-tox batch grades many)",
        ),
    ],
)
def test_a_usage_error_is_one_line_with_a_hint_exit_2(args: list[str], line: str) -> None:
    out = invoke(args)
    assert out.exit_code == 2
    assert out.stderr == line + "\n"
    assert out.stdout == ""


def test_a_bad_choice_suggests_the_closest() -> None:
    out = invoke(["grade", "-f", "jsn", SEED])
    assert out.exit_code == 2 and out.stderr.count("\n") == 1
    assert "'jsn'" in out.stderr and "(did you mean 'json'?)" in out.stderr


def test_no_command_is_one_line_naming_the_commands() -> None:
    out = invoke(["--debug"])
    assert out.exit_code == 2 and out.stderr.startswith("gist-tox: missing command (one of grade")


def _run_ascii(*args: str) -> subprocess.CompletedProcess[bytes]:
    env = {**os.environ, "PYTHONIOENCODING": "ascii", "NO_COLOR": "1"}
    return subprocess.run(
        [sys.executable, "-m", "gist_tox", *args], capture_output=True, env=env, timeout=60
    )


@pytest.mark.parametrize(
    "args",
    [["grade", SEED], ["grade", "-v", SEED], ["grade", "--compare-ctcae", SEED]],
    ids=["grade", "grade-verbose", "compare"],
)
def test_an_ascii_terminal_gets_ascii_never_an_internal_error(args: list[str]) -> None:
    done = _run_ascii(*args)
    assert done.returncode == 0, done.stderr
    text = done.stdout.decode("ascii")  # fails on any byte that is not ASCII
    assert "hold" in text.lower() and ">=" in text
    widths = {len(line) for line in text.splitlines() if line.startswith(("|", "+"))}
    assert len(widths) <= 1, "table borders line up"
    assert max(len(line) for line in text.splitlines()) <= 80


def test_json_on_an_ascii_terminal_is_the_same_data_escaped() -> None:
    done = _run_ascii("grade", "--format", "json", SEED)
    assert done.returncode == 0, done.stderr
    as_utf8 = invoke(["grade", "--format", "json", SEED]).stdout
    assert json.loads(done.stdout.decode("ascii")) == json.loads(as_utf8)


# --- the rules an institution makes its own default -------------------------------------------


@pytest.fixture()
def repository(tmp_path: Path) -> Path:
    """A copied rules repository (rules/, cases/, examples/) named ``clinic rules``."""
    for name in ("rules", "cases", "examples"):
        shutil.copytree(REPO / name, tmp_path / name)
    config = tmp_path / "rules" / "config.yaml"
    config.write_text(
        config.read_text(encoding="utf-8").replace(
            "name: gist-tox shipped rules", "name: clinic rules"
        ),
        encoding="utf-8",
    )
    return tmp_path


def _break(repository: Path) -> None:
    term = repository / "rules" / "ctcae-5.0" / "neutrophil_count_decreased.yaml"
    text = term.read_text(encoding="utf-8")
    assert "lt: 0.5" in text
    term.write_text(text.replace("lt: 0.5", "lt: 0.6"), encoding="utf-8")


def _run_in(folder: Path, args: list[str], env: dict[str, str] | None = None) -> Any:
    previous = Path.cwd()
    os.chdir(folder)
    try:
        return invoke(args, env=env)
    finally:
        os.chdir(previous)


def test_rules_check_inside_a_broken_rules_repository_checks_that_repository(
    repository: Path,
) -> None:
    _break(repository)
    out = _run_in(repository, ["rules", "check"])
    assert out.exit_code == 1, out.output
    assert "neutrophil_count_decreased.yaml" in out.stdout


def test_rules_test_inside_a_rules_repository_uses_its_rules_and_cases(repository: Path) -> None:
    _break(repository)
    out = _run_in(repository, ["rules", "test"])
    assert out.exit_code == 1
    assert "FAILED" in out.stdout


def test_gist_tox_rules_makes_a_folder_the_default_for_every_command(
    repository: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    elsewhere = tmp_path_factory.mktemp("elsewhere")
    env = {"GIST_TOX_RULES": str(repository / "rules")}
    graded = _run_in(elsewhere, ["grade", "-f", "json", SEED], env)
    assert graded.exit_code == 0, graded.output
    assert json.loads(graded.stdout)["rules"]["name"] == "clinic rules"
    version = _run_in(elsewhere, ["--version"], env)
    assert "clinic rules" in version.stdout
    _break(repository)
    assert _run_in(elsewhere, ["rules", "check"], env).exit_code == 1
    missing = _run_in(elsewhere, ["grade", SEED], {"GIST_TOX_RULES": str(elsewhere / "none")})
    assert missing.exit_code == 2 and "GIST_TOX_RULES" in missing.stderr


def test_rules_given_on_the_command_line_win_over_the_environment(repository: Path) -> None:
    env = {"GIST_TOX_RULES": str(repository / "rules")}
    for args in (
        ["grade", "-f", "json", SEED, "--rules", str(RULES)],
        ["--rules", str(RULES), "grade", "-f", "json", SEED],
    ):
        out = invoke(args, env=env)
        assert json.loads(out.stdout)["rules"]["name"] == "gist-tox shipped rules", args


def test_version_honours_rules(repository: Path) -> None:
    out = invoke(["--version", "--rules", str(repository / "rules")])
    assert out.exit_code == 0
    assert "rules clinic rules" in out.stdout and str(repository / "rules") in out.stdout


def test_every_result_names_its_rule_set_beside_the_digest() -> None:
    result = json.loads(invoke(["grade", "-f", "json", SEED]).stdout)
    assert result["rules"]["name"] == "gist-tox shipped rules"
    table = invoke(["grade", SEED]).stdout
    assert "gist-tox shipped rules sha256:" in table


def test_the_entry_point_keeps_the_cycle_collector_on_with_a_start_up_threshold() -> None:
    """`main` spares the start-up ~90 fruitless collections but never turns the collector
    off: a long batch must still free reference cycles (``STARTUP_GC_THRESHOLD``)."""
    code = (
        "import gc, sys\n"
        "from gist_tox.cli import STARTUP_GC_THRESHOLD, main\n"
        "sys.argv = ['gist-tox', '--version']\n"
        "try:\n    main()\nexcept SystemExit as exc:\n    assert not exc.code, exc.code\n"
        "print(gc.isenabled(), gc.get_threshold()[0] == STARTUP_GC_THRESHOLD, file=sys.stderr)\n"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert run.returncode == 0, run.stderr
    assert run.stderr.split()[-2:] == ["True", "True"], run.stderr
