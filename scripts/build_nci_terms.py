"""Build the package's NCI CTCAE term lists from NCI's own tables (run once per NCI release).

Reads ``ctcae-v5.0-terms.csv``, ``ctcae-v6.0-clean-copy.csv`` and ``ctcae-v5.0-to-v6.0-mapping.csv``
(the project's copies of NCI's workbook sheets, ``shared/reference/ctcae/``) and writes
``src/gist_tox/nci/ctcae-v5.0.json`` and ``ctcae-v6.0.json``: for every term its id (the contract's
derivation: lower-case, every run of other characters than a-z and 0-9 one ``_``, none at either
end), NCI's term, MedDRA code, SOC, the text of grades 1-5 (``null`` where NCI prints ``-``),
definition, and, for a term of one version only, the terms NCI maps it to in the other.

The output is committed: the tool reads it with importlib.resources and never needs NCI's tables
at run time.  Run:  python scripts/build_nci_terms.py [../shared/reference/ctcae]
"""

from __future__ import annotations

import csv
import hashlib
import json
import re
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
OUT = HERE.parent / "src" / "gist_tox" / "nci"
SOURCES = {
    "5.0": "ctcae-v5.0-terms.csv",
    "6.0": "ctcae-v6.0-clean-copy.csv",
}
MAPPING = "ctcae-v5.0-to-v6.0-mapping.csv"


def term_id(term: str) -> str:
    """The contract's term id of an NCI term (visit-format-extension-a, "Term ids")."""
    return re.sub(r"[^a-z0-9]+", "_", term.lower()).strip("_")


def read_version(path: Path) -> dict[str, dict[str, object]]:
    with path.open(encoding="utf-8", newline="") as stream:
        rows = list(csv.reader(stream))
    terms: dict[str, dict[str, object]] = {}
    for row in rows[1:]:
        code, soc, term = row[0], row[1], row[2]
        tid = term_id(term)
        if tid in terms:
            raise SystemExit(f"{path.name}: two terms share the id {tid!r}")
        terms[tid] = {
            "term": term,
            "meddra_code": code,
            "soc": soc,
            "grades": [None if cell == "-" else cell for cell in row[3:8]],
            "definition": row[8] if row[8] not in ("", "-") else None,
        }
    return terms


def add_mapping(
    path: Path, v5: dict[str, dict[str, object]], v6: dict[str, dict[str, object]]
) -> None:
    """For a term of one version only, the ids NCI maps it to in the other (mapping sheet)."""
    with path.open(encoding="utf-8", newline="") as stream:
        rows = list(csv.reader(stream))
    forward: dict[str, list[str]] = {}
    backward: dict[str, list[str]] = {}
    for row in rows[2:]:
        old, new = term_id(row[2]), term_id(row[8])
        if not old or not new:
            continue
        forward.setdefault(old, [])
        if new not in forward[old]:
            forward[old].append(new)
        backward.setdefault(new, [])
        if old not in backward[new]:
            backward[new].append(old)
    for tid, entry in v5.items():
        if tid not in v6:
            entry["mapped_to"] = [t for t in forward.get(tid, []) if t in v6]
    for tid, entry in v6.items():
        if tid not in v5:
            entry["mapped_to"] = [t for t in backward.get(tid, []) if t in v5]


def main(argv: list[str]) -> int:
    folder = (
        Path(argv[1]) if len(argv) > 1 else HERE.parent.parent / "shared" / "reference" / "ctcae"
    )
    versions = {v: read_version(folder / name) for v, name in SOURCES.items()}
    add_mapping(folder / MAPPING, versions["5.0"], versions["6.0"])
    OUT.mkdir(parents=True, exist_ok=True)
    for version, terms in versions.items():
        source = folder / SOURCES[version]
        document = {
            "ctcae_version": version,
            "source": SOURCES[version],
            "source_sha256": hashlib.sha256(source.read_bytes()).hexdigest(),
            "terms": dict(sorted(terms.items())),
        }
        target = OUT / f"ctcae-v{version}.json"
        target.write_text(
            json.dumps(document, ensure_ascii=False, indent=1, sort_keys=False) + "\n",
            encoding="utf-8",
        )
        print(f"{target.name}: {len(terms)} terms")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
