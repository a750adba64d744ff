"""``timeline --plot``: the patient's course as a PNG or SVG, thresholds from the rules."""

from __future__ import annotations

import shutil
import sys
import xml.etree.ElementTree as ElementTree
from pathlib import Path

import pytest
import yaml

from conftest import EXAMPLES, REPO, RULES, invoke

PATIENT = EXAMPLES / "hwang-2010" / "patient.yaml"
NEEDS_MATPLOTLIB = "matplotlib (the plot extra, pip install 'gist-tox[plot]') is not installed"


def test_png_and_svg_are_valid_pictures_of_the_published_case(tmp_path: Path) -> None:
    pytest.importorskip("matplotlib", reason=NEEDS_MATPLOTLIB)
    from PIL import Image

    png, svg = tmp_path / "case.png", tmp_path / "case.svg"
    for picture in (png, svg):
        result = invoke(["timeline", str(PATIENT), "--plot", str(picture)])
        assert result.exit_code == 0, result.output
        assert "HWANG-2010" in result.stdout  # the table is printed as without --plot
    assert png.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    with Image.open(png) as image:
        image.verify()
        assert image.width > 800 and image.height > 600
    root = ElementTree.parse(svg).getroot()
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    words = " ".join(svg.read_text(encoding="utf-8").split())
    for shown in (
        "HWANG-2010: imatinib dose, blood counts and CTCAE v5.0 grades",
        "400 mg",
        "300 mg",
        "200 mg",
        "100 mg",
        "recurrence: hold, resume 200",
        "recurrence: hold, resume 100",
        "ANC hold below 1.0",
        "platelets resume at 75",
        "imatinib held",
    ):
        assert shown in words, shown


def test_the_thresholds_drawn_are_the_dosing_rules_numbers(tmp_path: Path) -> None:
    pytest.importorskip("matplotlib", reason=NEEDS_MATPLOTLIB)
    rules = tmp_path / "rules"
    shutil.copytree(RULES, rules)
    dosing = rules / "dosing" / "imatinib-gist.yaml"
    text = dosing.read_text(encoding="utf-8")
    dosing.write_text(
        text.replace(
            "hold_below: {anc: 1.0, platelets: 50}", "hold_below: {anc: 1.2, platelets: 60}"
        ),
        encoding="utf-8",
    )
    assert yaml.safe_load(dosing.read_text())["hematologic"]["hold_below"] == {
        "anc": 1.2,
        "platelets": 60,
    }
    svg = tmp_path / "case.svg"
    result = invoke(["timeline", str(PATIENT), "--rules", str(rules), "--plot", str(svg)])
    assert result.exit_code == 0, result.output
    words = " ".join(svg.read_text(encoding="utf-8").split())
    assert "ANC hold below 1.2" in words and "platelets hold below 60" in words
    assert "ANC hold below 1.0" not in words


def test_without_matplotlib_one_line_says_how_to_install_it(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # import matplotlib now fails
    result = invoke(["timeline", str(PATIENT), "--plot", str(tmp_path / "x.png")])
    assert result.exit_code == 2
    assert result.stderr.strip().splitlines() == [
        "gist-tox: --plot needs matplotlib, which is not installed: pip install 'gist-tox[plot]'"
    ]
    assert not (tmp_path / "x.png").exists()


def test_a_plot_name_that_is_not_png_or_svg_is_refused(tmp_path: Path) -> None:
    result = invoke(["timeline", str(PATIENT), "--plot", str(tmp_path / "x.pdf")])
    assert result.exit_code == 2 and "must end in .png or .svg" in result.stderr
    elsewhere = tmp_path / "no" / "x.png"
    result = invoke(["timeline", str(PATIENT), "--plot", str(elsewhere)])
    assert result.exit_code == 2
    assert (
        result.stderr
        == f"gist-tox: --plot {elsewhere}: the folder {elsewhere.parent} does not exist\n"
    )


def test_the_readme_shows_the_committed_plot_of_the_published_case() -> None:
    picture = REPO / "docs" / "hwang-2010-timeline.png"
    assert picture.read_bytes().startswith(b"\x89PNG")
    assert "(docs/hwang-2010-timeline.png)" in (REPO / "README.md").read_text(encoding="utf-8")
