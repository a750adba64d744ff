"""``batch --format html``: one self-contained, escaped page, action list first."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from conftest import EXAMPLES, invoke, make_visit

INJECTED = "<script>alert(1)</script>"
CHROMIUM = Path("/usr/bin/chromium")


def clinic(folder: Path) -> Path:
    """The dosing examples, a visit whose patient id is markup, and a file that fails."""
    shutil.copytree(EXAMPLES / "dosing", folder / "dosing")
    (folder / "evil.yaml").write_text(
        yaml.safe_dump(
            make_visit(
                patient={"id": INJECTED},
                labs={"anc": {"value": 0.6, "unit": "10^9/L"}},
            )
        ),
        encoding="utf-8",
    )
    (folder / "broken.yaml").write_text("patient: [\n", encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, str]:
    """The report's HTML, and the NDJSON of the same folder to compare it with."""
    folder = clinic(tmp_path_factory.mktemp("clinic"))
    out = folder.parent / "report.html"
    result = invoke(["batch", "-f", "html", "-o", str(out), str(folder)])
    assert result.exit_code == 2  # the broken file, after everything else
    return out.read_text(encoding="utf-8"), invoke(["batch", "-f", "csv", str(folder)]).stdout


def test_text_from_a_visit_is_escaped_and_nothing_runs_or_loads(report: tuple[str, str]) -> None:
    html, _ = report
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert not re.search(r"<script|<link|<img|<iframe|@import|url\(|src=|href=", html, re.I)
    assert "default-src 'none'" in html  # the page may fetch nothing, even if text slipped in


def test_summary_and_action_list_first_then_visits_collapsed_then_failed_files(
    report: tuple[str, str],
) -> None:
    html, table_csv = report
    summary, actions = html.index('id="summary"'), html.index('id="actions"')
    visits, failed = html.index('id="visits"'), html.index('id="failed"')
    assert summary < actions < visits < failed
    assert "<details>" in html and "<details open" not in html
    action_list = html[actions:visits]
    for row in table_csv.splitlines()[1:]:
        if ",hold," in row or ",escalate," in row or ",resume," in row:
            source = row.split(",", 1)[0].rsplit("/", 1)[-1]
            assert source in action_list
    assert "broken.yaml" in html[failed:] and "YAML:" in html[failed:]
    assert "@page { size: A4" in html


def test_jinja2_is_imported_only_for_html() -> None:
    code = (
        "import sys; from gist_tox.cli import main; sys.argv=['gist-tox','batch','-f','csv',"
        f"{str(EXAMPLES / 'dosing')!r}]\n"
        "try:\n main()\nexcept SystemExit: pass\nassert 'jinja2' not in sys.modules"
    )
    subprocess.run([sys.executable, "-c", code], check=True, capture_output=True)


@pytest.mark.skipif(not CHROMIUM.exists(), reason="no /usr/bin/chromium (Debian package chromium)")
def test_the_report_in_a_headless_browser_shows_the_action_list_on_the_first_screen(
    tmp_path: Path,
) -> None:
    from PIL import Image

    folder = clinic(tmp_path / "clinic")
    page = tmp_path / "report.html"
    assert invoke(["batch", "-f", "html", "-o", str(page), str(folder)]).exit_code == 2
    shot, pdf = tmp_path / "first-screen.png", tmp_path / "report.pdf"
    browser = [
        str(CHROMIUM),
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--no-first-run",
        f"--user-data-dir={tmp_path / 'profile'}",
    ]
    for extra in (
        ["--window-size=1280,800", f"--screenshot={shot}"],
        ["--no-pdf-header-footer", f"--print-to-pdf={pdf}"],
    ):
        subprocess.run([*browser, *extra, page.as_uri()], capture_output=True, timeout=120)
    # The first screen shows the first hold of the action list: its action in the stop colour
    # (#a4001d) appears in the table's rows, below the summary.
    image = Image.open(shot).convert("RGB")
    assert image.size == (1280, 800)
    stop = [
        y
        for y in range(image.height)
        for x in range(0, image.width, 2)
        if image.getpixel((x, y)) == (0xA4, 0x00, 0x1D)
    ]
    assert stop and max(stop) > 200  # below the counts, in the action list
    assert pdf.read_bytes().startswith(b"%PDF")
    assert re.search(rb"/MediaBox \[0 0 59[45]\.\d+ 841\.\d+\]", pdf.read_bytes())  # A4
