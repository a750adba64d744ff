"""No command ever modifies, renames or adds to its input files: bytes, mtime and the folder's
listing are the same after ``grade``, ``batch`` and ``timeline``, for good and bad inputs."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

import pytest

from conftest import EXAMPLES, invoke

CORPUS = Path(__file__).parent / "bad_inputs"
SAMPLE_BAD = [
    "python_tag.yaml",
    "alias_bomb.yaml",
    "duplicate_key.yaml",
    "nan.json",
    "binary.yaml",
    "unknown_field_typo.yaml",
]


def snapshot(folder: Path) -> dict[str, tuple[int, int, bytes]]:
    """Every file under ``folder``: (mtime_ns, mode, bytes)."""
    out: dict[str, tuple[int, int, bytes]] = {}
    for path in sorted(folder.rglob("*")):
        if path.is_file() and not path.is_symlink():
            info = path.stat()
            out[str(path.relative_to(folder))] = (info.st_mtime_ns, info.st_mode, path.read_bytes())
    return out


@pytest.fixture()
def inputs(tmp_path: Path) -> Path:
    folder = tmp_path / "in"
    folder.mkdir()
    shutil.copy(EXAMPLES / "hwang-2010-worst-visit.yaml", folder / "good.yaml")
    shutil.copy(EXAMPLES / "hwang-2010" / "patient.yaml", folder / "patient.yaml")
    for name in SAMPLE_BAD:
        shutil.copy(CORPUS / name, folder / name)
    # An old mtime, so that a rewrite in the same second would still be seen.
    for path in folder.iterdir():
        os.utime(path, ns=(1_000_000_000, 1_000_000_000))
    return folder


def run_and_compare(folder: Path, args: list[str], input: str | None = None) -> Any:
    before = snapshot(folder)
    result = invoke(args, input=input)
    assert result.exit_code in (0, 1, 2), result.output
    assert "Traceback" not in result.output
    assert snapshot(folder) == before
    return result


def test_grade_modifies_no_input(inputs: Path) -> None:
    for path in sorted(inputs.iterdir()):
        if path.name != "patient.yaml":
            for fmt in ("json", "table"):
                run_and_compare(inputs, ["grade", "--format", fmt, str(path)])


def test_grade_with_output_writes_only_the_output(inputs: Path, tmp_path: Path) -> None:
    out = tmp_path / "result.json"
    result = run_and_compare(
        inputs, ["grade", "--format", "json", "-o", str(out), str(inputs / "good.yaml")]
    )
    assert result.exit_code == 0 and out.exists()


def test_grade_reads_read_only_inputs(inputs: Path) -> None:
    good = inputs / "good.yaml"
    good.chmod(0o444)
    assert run_and_compare(inputs, ["grade", "--format", "json", str(good)]).exit_code == 0


def test_batch_modifies_no_input(inputs: Path) -> None:
    run_and_compare(inputs, ["batch", "--jobs", "1", "--format", "json", str(inputs)])
    run_and_compare(
        inputs, ["batch", "--jobs", "1", str(inputs / "good.yaml"), str(inputs / "nan.json")]
    )


def test_timeline_modifies_no_input(inputs: Path) -> None:
    result = run_and_compare(inputs, ["timeline", "--format", "json", str(inputs / "patient.yaml")])
    assert result.exit_code == 0
    for name in SAMPLE_BAD:
        run_and_compare(inputs, ["timeline", str(inputs / name)])
