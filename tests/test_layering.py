"""Dependencies point one way: cli -> render -> core.  Only ``cli/`` and ``render/`` may know
about terminals (typer, rich); the core never calls ``sys.exit`` and never evaluates text."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import gist_tox

PACKAGE = Path(gist_tox.__file__).resolve().parent
CORE = sorted(
    p
    for p in PACKAGE.rglob("*.py")
    if p.relative_to(PACKAGE).parts[0] not in {"cli", "render", "__main__.py"}
)


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


@pytest.mark.parametrize("path", CORE, ids=lambda p: p.relative_to(PACKAGE).as_posix())
def test_core_module_knows_no_terminal_and_no_cli(path: Path) -> None:
    imported = _imports(path)
    assert not {n for n in imported if n.split(".")[0] in {"typer", "rich", "click"}}
    assert not {n for n in imported if n.startswith(("gist_tox.cli", "gist_tox.render"))}


@pytest.mark.parametrize(
    "path", sorted(PACKAGE.rglob("*.py")), ids=lambda p: p.relative_to(PACKAGE).as_posix()
)
def test_no_eval_exec_or_unsafe_yaml(path: Path) -> None:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            assert node.func.id not in {"eval", "exec", "compile", "__import__"}, node.lineno
        if (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and node.value.id == "yaml"
        ):
            assert node.attr not in {
                "load",
                "load_all",
                "unsafe_load",
                "full_load",
                "FullLoader",
                "UnsafeLoader",
                "Loader",
            }, node.lineno
    if path.relative_to(PACKAGE).parts[0] not in {"cli", "__main__.py"}:
        assert "sys.exit(" not in path.read_text(encoding="utf-8")


@pytest.mark.parametrize(
    "path",
    sorted((PACKAGE / "render").rglob("*.py")),
    ids=lambda p: p.relative_to(PACKAGE).as_posix(),
)
def test_renderers_know_no_command_line(path: Path) -> None:
    """A renderer writes a document; flags, exit codes and stderr are the command's."""
    imported = _imports(path)
    assert not {n for n in imported if n.split(".")[0] in {"typer", "click"}}
    assert not {n for n in imported if n.startswith("gist_tox.cli")}


def test_reading_grading_dosing_and_rules_load_neither_typer_nor_rich() -> None:
    """The core as it runs (not only as it is written): a visit read, graded and dosed, a
    patient replayed and the rules checked, in a fresh interpreter, import no terminal library."""
    import subprocess
    import sys

    code = (
        "import sys\n"
        "from pathlib import Path\n"
        "from gist_tox.pipeline import RuleSets, evaluate_file\n"
        "from gist_tox.timeline import load_patient, replay\n"
        "from gist_tox.ruleset.checks import check_rules\n"
        "from gist_tox.ruleset.loader import shipped_rules_dir\n"
        "evaluate_file(sys.argv[1], RuleSets()).as_json()\n"
        "replay(load_patient(sys.argv[2]), RuleSets(), sys.argv[2])\n"
        "check_rules(shipped_rules_dir())\n"
        "print(sorted(m.split('.')[0] for m in sys.modules if m.split('.')[0] in"
        " {'typer', 'rich', 'click'}))\n"
    )
    examples = Path(__file__).resolve().parents[1] / "examples"
    visit, patient = (
        examples / "hwang-2010-worst-visit.yaml",
        examples / "hwang-2010" / "patient.yaml",
    )
    done = subprocess.run(
        [sys.executable, "-c", code, str(visit), str(patient)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
