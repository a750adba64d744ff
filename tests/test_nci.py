"""NCI's term lists shipped as package data: ids, cells, and the build from NCI's tables."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

from conftest import REPO
from gist_tox.nci import normalise_cell, term_id, terms

NCI_TABLES = REPO.parent / "shared" / "reference" / "ctcae"


@pytest.mark.parametrize(
    ("term", "expected"),
    [
        ("Rash maculo-papular", "rash_maculo_papular"),
        ("Gastrointestinal disorders - Other, specify", "gastrointestinal_disorders_other_specify"),
        ("Mobitz (type) II atrioventricular block", "mobitz_type_ii_atrioventricular_block"),
    ],
)
def test_term_id_derivation_matches_the_contract(term: str, expected: str) -> None:
    assert term_id(term) == expected


def test_term_counts_and_cells() -> None:
    v5, v6 = terms("5.0"), terms("6.0")
    assert (len(v5), len(v6)) == (837, 850)
    alt = v5["alanine_aminotransferase_increased"]
    assert (alt.meddra_code, alt.soc, alt.defined_grades) == (
        "10001551",
        "Investigations",
        [1, 2, 3, 4],
    )
    assert alt.cell(5) is None
    assert (v6["diarrhea"].cell(3) or "").startswith("Increase of >=7")
    assert v6["gastrointestinal_disorders_other_specify"].other_specify
    assert not v6["diarrhea"].other_specify


def test_terms_of_one_version_name_their_mapping() -> None:
    assert terms("5.0")["edema_trunk"].mapped_to == ("localized_edema",)
    assert terms("5.0")["edema_limbs"].mapped_to == ("peripheral_edema",)
    assert "edema_limbs" not in terms("6.0")


def test_only_white_space_is_forgiven() -> None:
    assert normalise_cell("a  b\n c") == normalise_cell("a b c")
    assert normalise_cell("a - b") != normalise_cell("a to b")


@pytest.mark.skipif(not NCI_TABLES.is_dir(), reason="NCI's tables are not beside the checkout")
def test_committed_lists_are_what_the_script_builds(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    spec = importlib.util.spec_from_file_location("build", REPO / "scripts" / "build_nci_terms.py")
    assert spec is not None and spec.loader is not None
    build = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(build)
    monkeypatch.setattr(build, "OUT", tmp_path)
    build.main(["build", str(NCI_TABLES)])
    for version in ("5.0", "6.0"):
        name = f"ctcae-v{version}.json"
        built = json.loads((tmp_path / name).read_text(encoding="utf-8"))
        shipped = json.loads((REPO / "src" / "gist_tox" / "nci" / name).read_text(encoding="utf-8"))
        assert built == shipped
