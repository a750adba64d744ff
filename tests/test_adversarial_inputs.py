"""Adversarial inputs, made up without looking at ``tests/bad_inputs``: an attacker's files and a
tired clinician's, each refused cleanly by ``grade`` (exit 2, one stderr line naming the file, no
traceback, fast, nothing executed), and all of them mixed with valid visits in one ``batch``
folder, where every valid visit must match ``grade`` exactly and every bad file be listed.

The files are generated here (in ``tmp_path``), so the corpus is the code below.
"""

from __future__ import annotations

import codecs
import json
import os
import re
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest

from conftest import GIST_TOX, HANG_S, REPO, WRITER_S, deep_folders, invoke, make_visit, result_of

PWNED = "gist-tox-adversarial-pwned"
"""A file that a YAML tag which ran code would create (in the corpus folder's parent)."""

VISIT = """\
patient:
  id: ADV-1
  age: 60
date: 2024-03-01
imatinib:
  indication: gist-adjuvant
  starting_dose_mg: 400
  current_dose_mg: 400
labs:
  anc: {value: 1.2, unit: 10^9/L, lln: 1.8}
  platelets: {value: 120, unit: 10^9/L}
"""

HEAD = """\
patient: {id: ADV-2}
date: 2024-03-01
imatinib: {starting_dose_mg: 400, current_dose_mg: 400}
"""


def _sub(old: str, new: str, base: str = VISIT) -> str:
    assert old in base, old
    return base.replace(old, new, 1)


def _json_visit(**over: Any) -> dict[str, Any]:
    visit: dict[str, Any] = {
        "patient": {"id": "ADV-J"},
        "date": "2024-03-01",
        "imatinib": {"starting_dose_mg": 400, "current_dose_mg": 400},
        "labs": {"anc": {"value": 0.4, "unit": "10^9/L"}},
    }
    visit.update(over)
    return visit


def _nested(depth: int, open_: str, close: str) -> str:
    return "a: " + open_ * depth + close * depth + "\n"


# name -> text (str is written as UTF-8, bytes as they are)
BAD: dict[str, str | bytes] = {
    # --- syntax, every style
    "unclosed_flow.yaml": HEAD + "labs: {anc: {value: 1, unit: 10^9/L}\n",
    "unclosed_list.yaml": HEAD + "history: [1, 2\n",
    "unclosed_quote.yaml": HEAD + 'labs: {anc: {value: 1, unit: "10^9/L}}\n',
    "bad_indent.yaml": "patient:\n  id: X\n   age: 3\ndate: 2024-01-01\n",
    "tab_indent.yaml": "patient:\n\tid: X\ndate: 2024-01-01\n",
    "value_colon.yaml": "patient: id: X\n",
    "list_then_map.yaml": "- a\nb: 1\n",
    "stray_bracket.yaml": HEAD + "]\n",
    "reserved_char.yaml": HEAD + "labs: @anc\n",
    "backtick.yaml": HEAD + "labs: `x`\n",
    "bad_directive.yaml": "%YAML 2.0\n---\n" + HEAD,
    "unknown_directive_then_junk.yaml": "%FOO bar\n" + HEAD,
    "end_then_junk.yaml": HEAD + "...\njunk: [\n",
    "multi_document.yaml": "---\n" + VISIT + "---\n" + VISIT,
    "only_dashes.yaml": "---\n",
    "only_dots.yaml": "...\n",
    "html.yaml": "<html><body>visit</body></html>\n",
    "python_dict.yaml": "{'patient': {'id': 'X'}, 'date': datetime.date(2024, 1, 1)}\n",
    # --- bytes and encodings
    "utf16le.yaml": codecs.BOM_UTF16_LE + VISIT.encode("utf-16-le"),
    "utf16be.yaml": codecs.BOM_UTF16_BE + VISIT.encode("utf-16-be"),
    "utf32.yaml": VISIT.encode("utf-32"),
    "latin1.yaml": _sub("ADV-1", "Jos\xe9").encode("latin-1"),
    "nul_byte.yaml": VISIT.encode()[:20] + b"\x00" + VISIT.encode()[20:],
    "nul_only.yaml": b"\x00" * 64,
    "empty.yaml": "",
    "whitespace.yaml": "  \n\n\t \n",
    "comments_only.yaml": "# just a comment\n# another\n",
    "null_top.yaml": "null\n",
    "tilde_top.yaml": "~\n",
    "list_top.yaml": "- " + VISIT.replace("\n", "\n  "),
    "scalar_top.yaml": "hello visit\n",
    "number_top.yaml": "42\n",
    "crlf_bad.yaml": _sub("current_dose_mg: 400", "current_dose_mg: lots").replace("\n", "\r\n"),
    "escape_in_name\x1b[31m.yaml": _sub("ADV-1", "ADV\x1b[2J"),
    "new\nline in name.yaml": HEAD + "labs: [\n",
    "control_in_id.yaml": _sub("ADV-1", '"ADV\\x07"'),
    "bidi_in_id.yaml": _sub("ADV-1", '"ADV\\u202eX"'),
    "lone_surrogate_yaml.yaml": _sub("ADV-1", '"ADV\\ud800"'),
    "id_zero_width.yaml": _sub("ADV-1", '"ADV\\u200b-1"'),
    "id_lrm.yaml": _sub("ADV-1", '"ADV\\u200e-1"'),
    "id_rlm.yaml": _sub("ADV-1", '"ADV\\u200f-1"'),
    "id_arabic_mark.yaml": _sub("ADV-1", '"ADV\\u061c-1"'),
    "id_soft_hyphen.yaml": _sub("ADV-1", "ADV\u00ad-1"),
    "id_word_joiner.json": json.dumps(_json_visit(patient={"id": "ADV\u2060-J"})),
    "lone_surrogate.json": '{"patient": {"id": "ADV\\ud800"}, "date": "2024-03-01",'
    ' "imatinib": {"starting_dose_mg": 400, "current_dose_mg": 400}}',
    # --- numbers
    "huge_exponent.yaml": _sub("value: 1.2", "value: 1.0e+400"),
    "huge_exponent.json": json.dumps(_json_visit()).replace("0.4", "1e400"),
    "bare_exponent.yaml": _sub("value: 1.2", "value: 1e3"),
    "huge_int.yaml": _sub("current_dose_mg: 400", "current_dose_mg: " + "9" * 5000),
    "huge_int.json": json.dumps(_json_visit()).replace("0.4", "9" * 5000),
    "nan.yaml": _sub("value: 1.2", "value: .nan"),
    "inf.yaml": _sub("value: 1.2", "value: .inf"),
    "neg_inf.yaml": _sub("value: 1.2", "value: -.Inf"),
    "nan.json": json.dumps(_json_visit()).replace("0.4", "NaN"),
    "infinity.json": json.dumps(_json_visit()).replace("0.4", "-Infinity"),
    "negative_count.yaml": _sub("value: 1.2", "value: -1.2"),
    "negative_dose.yaml": _sub("current_dose_mg: 400", "current_dose_mg: -400"),
    "dose_yes.yaml": _sub("current_dose_mg: 400", "current_dose_mg: yes"),
    "count_on.yaml": _sub("value: 1.2", "value: on"),
    "dose_string.yaml": _sub("current_dose_mg: 400", 'current_dose_mg: "400"'),
    "dose_float.yaml": _sub("current_dose_mg: 400", "current_dose_mg: 400.0"),
    "dose_half.yaml": _sub("current_dose_mg: 400", "current_dose_mg: 399.5"),
    "dose_octal.yaml": _sub("current_dose_mg: 400", "current_dose_mg: 0400"),
    "dose_hex.yaml": _sub("current_dose_mg: 400", "current_dose_mg: 0x190"),
    "dose_base60.yaml": _sub("current_dose_mg: 400", "current_dose_mg: 6:40"),
    "dose_mg_text.yaml": _sub("current_dose_mg: 400", "current_dose_mg: 400 mg"),
    "dose_tagged_text.yaml": _sub("current_dose_mg: 400", "current_dose_mg: !!int '400'"),
    "dose_underscore.yaml": _sub("current_dose_mg: 400", "current_dose_mg: 4_00"),
    "count_underscore.yaml": _sub("value: 1.2", "value: 1_2.5"),
    "age_free_text.yaml": _sub("age: 60", "age: 'Jane Doe is 71'"),
    "age_name.json": json.dumps(_json_visit(patient={"id": "ADV-J", "age": "Jane Doe, 71"})),
    "dose_huge.yaml": _sub("current_dose_mg: 400", "current_dose_mg: 40000"),
    "count_comma.yaml": _sub("value: 1.2", "value: 1,2"),
    "count_implausible.yaml": _sub("value: 120,", "value: 120000,"),
    "temperature_kelvin.yaml": VISIT + "fever: {max_temperature: {value: 312, unit: K}}\n",
    "temperature_implausible.yaml": VISIT + "fever: {max_temperature: {value: 98.6, unit: C}}\n",
    # accepted spellings (10^9/l, G/L) are in test_units; these mean other units
    "unit_enzyme.yaml": _sub("unit: 10^9/L, lln", "unit: 10^9/UL, lln"),
    "unit_grams.yaml": _sub("unit: 10^9/L, lln", "unit: g/L, lln"),
    "age_200.yaml": _sub("age: 60", "age: 200"),
    "bsa_150.yaml": VISIT + "skin: {morphology: maculopapular, bsa_percent: 150}\n",
    "percent_sum.yaml": VISIT + "  wbc: {value: 3, unit: 10^9/L}\n  neutrophils_percent: 90\n"
    "  bands_percent: 20\n",
    # --- dates
    "date_feb30.yaml": _sub("date: 2024-03-01", "date: 2024-02-30"),
    "date_month13.yaml": _sub("date: 2024-03-01", "date: 2024-13-01"),
    "date_compact.yaml": _sub("date: 2024-03-01", "date: 20240101"),
    "date_yesterday.yaml": _sub("date: 2024-03-01", "date: yesterday"),
    "date_us.yaml": _sub("date: 2024-03-01", "date: 03/01/2024"),
    "date_short.yaml": _sub("date: 2024-03-01", "date: 2024-3-1"),
    "date_time.yaml": _sub("date: 2024-03-01", "date: 2024-03-01T10:00:00"),
    "date_year0.yaml": _sub("date: 2024-03-01", "date: 0000-01-01"),
    "date_year1.yaml": _sub("date: 2024-03-01", "date: 0001-01-01"),
    "date_year9999.yaml": _sub("date: 2024-03-01", "date: 9999-12-31"),
    "date_before_imatinib.json": json.dumps(_json_visit(date="1997-12-31")),
    "history_year1.yaml": VISIT + "history:\n  - {date: 0001-01-01, category: skin,"
    " term: rash_maculo_papular, grade: 3, dose_mg: 400}\n",
    "date_quoted_bad.yaml": _sub("date: 2024-03-01", 'date: "2023-02-29"'),
    "date_null.yaml": _sub("date: 2024-03-01", "date:"),
    "date_in_history_bad.yaml": VISIT + "history:\n  - {date: 2024-04-31, category: skin,"
    " term: rash_maculo_papular, grade: 3, dose_mg: 400}\n",
    "date_bad.json": json.dumps(_json_visit(date="2024-02-30")),
    "date_int.json": json.dumps(_json_visit(date=20240101)),
    # --- shapes and keys
    "patient_list.yaml": _sub("patient:\n  id: ADV-1\n  age: 60\n", "patient: [ADV-1, 60]\n"),
    "patient_empty.yaml": _sub("patient:\n  id: ADV-1\n  age: 60\n", "patient: {}\n"),
    "patient_string.yaml": _sub("patient:\n  id: ADV-1\n  age: 60\n", "patient: ADV-1\n"),
    "labs_list.yaml": HEAD + "labs:\n  - anc: {value: 1, unit: 10^9/L}\n",
    "history_mapping.yaml": VISIT + "history: {date: 2024-01-01}\n",
    "history_string.yaml": VISIT + "history: [febrile neutropenia]\n",
    "missing_imatinib.yaml": "patient: {id: X}\ndate: 2024-01-01\n",
    "missing_patient_id.yaml": _sub("  id: ADV-1\n", ""),
    "key_capital.yaml": _sub("patient:", "Patient:"),
    "key_upper_anc.yaml": _sub("  anc:", "  ANC:"),
    "key_trailing_space.yaml": _sub("patient:", '"patient ":'),
    "key_cyrillic.yaml": _sub("patient:", "\u0440\u0430tient:"),
    "key_zero_width.yaml": _sub("patient:", "pati\u200bent:"),
    "key_fullwidth.yaml": _sub("date:", "\uff44ate:"),
    "key_long.yaml": VISIT + "x" * 10000 + ": 1\n",
    "key_int.yaml": VISIT + "1: one\n",
    "key_null.yaml": VISIT + "~: nothing\n",
    "key_bool_on.yaml": VISIT + "on: true\n",
    "key_complex.yaml": VISIT + "? [a, b]\n: c\n",
    "key_mapping.yaml": VISIT + "? {a: 1}\n: c\n",
    "typo_field.yaml": _sub("current_dose_mg", "curent_dose_mg"),
    "unknown_top.yaml": VISIT + "notes: call patient\n",
    "enum_hold.yaml": _sub(
        "current_dose_mg: 400", "current_dose_mg: 0\n  on_hold_for: hematological"
    ),
    "enum_morphology_case.yaml": VISIT + "skin: {morphology: Maculopapular, bsa_percent: 10}\n",
    "enum_indication.yaml": _sub("gist-adjuvant", "GIST"),
    "format_wrong.yaml": "format: gist-tox/visit@2\n" + VISIT,
    "ctcae_4.yaml": "ctcae_version: 4.03\n" + VISIT,
    "anc_null.yaml": _sub("value: 1.2", "value: null"),
    "anc_no_unit.yaml": _sub("value: 1.2, unit: 10^9/L, ", "value: 1.2, "),
    "history_unknown_term.yaml": VISIT + "history:\n  - {date: 2024-01-01, category: skin,"
    " term: febrile_neutropenie, grade: 3, dose_mg: 400}\n",
    # --- duplicate keys at every depth
    "dup_top.yaml": VISIT + "date: 2024-03-02\n",
    "dup_quoted.yaml": VISIT + '"date": 2024-03-02\n',
    "dup_patient.yaml": _sub("  age: 60\n", "  age: 60\n  id: ADV-2\n"),
    "dup_flow.yaml": _sub("unit: 10^9/L, lln: 1.8", "unit: 10^9/L, lln: 1.8, value: 0.2"),
    "dup_labs.yaml": VISIT + "  anc: {value: 0.2, unit: 10^9/L}\n",
    "dup_history.yaml": VISIT + "history:\n  - {date: 2024-01-01, category: skin,"
    " term: rash_maculo_papular, grade: 3, grade: 1, dose_mg: 400}\n",
    "dup.json": '{"patient": {"id": "A"}, "date": "2024-03-01", "date": "2024-03-02",'
    ' "imatinib": {"starting_dose_mg": 400, "current_dose_mg": 400}}',
    "dup_nested.json": '{"patient": {"id": "A", "id": "B"}, "date": "2024-03-01",'
    ' "imatinib": {"starting_dose_mg": 400, "current_dose_mg": 400}}',
    # --- anchors, aliases, merge keys
    "alias_bomb.yaml": "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
    + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [" + ", ".join([f"*{chr(97 + i)}"] * 10) + "]\n"
        for i in range(8)
    ),
    "alias_recursive.yaml": "a: &a [*a]\n",
    "alias_recursive_map.yaml": "a: &a {b: *a}\n",
    "alias_undefined.yaml": VISIT + "labs2: *nope\n",
    "merge_key.yaml": "base: &b {starting_dose_mg: 400}\n" + HEAD + "x:\n  <<: *b\n",
    "alias_key.yaml": "patient: {id: &k date}\n*k : 2024-01-01\n",
    # --- tags (never executed)
    "tag_os_system.yaml": f"!!python/object/apply:os.system ['touch ../{PWNED}']\n",
    "tag_in_field.yaml": _sub("ADV-1", f"!!python/object/apply:os.system ['touch ../{PWNED}']"),
    "tag_subprocess.yaml": "x: !!python/object/apply:subprocess.check_output"
    f" [[touch, ../{PWNED}]]\n" + VISIT,
    "tag_new.yaml": "x: !!python/object/new:os.system [touch ../{PWNED}]\n".replace(
        "{PWNED}", PWNED
    )
    + VISIT,
    "tag_name.yaml": "x: !!python/name:os.system\n" + VISIT,
    "tag_module.yaml": "x: !!python/module:os\n" + VISIT,
    "tag_verbatim.yaml": "x: !<tag:yaml.org,2002:python/object/apply:os.system>"
    f" ['touch ../{PWNED}']\n" + VISIT,
    "tag_handle.yaml": "%TAG !p! tag:yaml.org,2002:python/\n---\n"
    f"x: !p!object/apply:os.system ['touch ../{PWNED}']\n" + VISIT,
    "tag_binary.yaml": _sub("ADV-1", "!!binary QURWLTE="),
    "tag_set.yaml": VISIT + "history: !!set {a, b}\n",
    "tag_omap.yaml": VISIT + "history: !!omap [a: 1]\n",
    "tag_pairs.yaml": VISIT + "history: !!pairs [a: 1]\n",
    "tag_custom.yaml": _sub("value: 1.2", "value: !lab 1.2"),
    "tag_str_dose.yaml": _sub("current_dose_mg: 400", "current_dose_mg: !!str 400"),
    "tag_bool_count.yaml": _sub("value: 1.2", "value: !!bool true"),
    # --- size
    "two_mib.yaml": VISIT + "# " + "x" * (2 * 1024 * 1024) + "\n",
    "one_mib_plus_one.yaml": (VISIT + "#" * (1024 * 1024)).encode()[: 1024 * 1024 + 1],
    "many_items.yaml": VISIT + "history:\n" + "  - 1\n" * 30000,
    "many_items_flow.yaml": VISIT + "history: [" + "1," * 30000 + "1]\n",
    "many_items.json": json.dumps(_json_visit(history=[1] * 30000)),
    "many_keys.yaml": VISIT + "x:\n" + "".join(f"  k{i}: {i}\n" for i in range(25000)),
    "deep_brackets.yaml": _nested(100000, "[", "]"),
    "deep_braces.yaml": "a: " + "{a: " * 20000 + "1" + "}" * 20000 + "\n",
    "deep_block.yaml": "".join(" " * i + "a:\n" for i in range(1400)) + " " * 1400 + "1\n",
    "deep.json": "[" * 100000 + "]" * 100000,
    "deep_dict.json": '{"a":' * 50000 + "1" + "}" * 50000,
    "long_id.yaml": _sub("ADV-1", "A" * 500000),
    # --- JSON
    "trailing_comma.json": '{"patient": {"id": "A"}, "date": "2024-03-01",}',
    "comment.json": '// visit\n{"patient": {"id": "A"}}',
    "block_comment.json": '{"patient": /* x */ {"id": "A"}}',
    "single_quotes.json": "{'patient': {'id': 'A'}}",
    "unquoted_keys.json": '{patient: {"id": "A"}}',
    "yaml_in.json": VISIT,
    "array_top.json": json.dumps([_json_visit()]),
    "string_top.json": '"visit"',
    "truncated.json": json.dumps(_json_visit())[:-5],
    "bom_then_junk.json": "\ufeff{,}",
    "empty.json": "",
    "dose_string.json": json.dumps(
        _json_visit(imatinib={"starting_dose_mg": 400, "current_dose_mg": "400"})
    ),
    "dose_bool.json": json.dumps(
        _json_visit(imatinib={"starting_dose_mg": 400, "current_dose_mg": True})
    ),
    "two_objects.json": json.dumps(_json_visit()) + json.dumps(_json_visit()),
    # --- the wrong kind of file
    "timeline_to_grade.yaml": (REPO / "examples" / "hwang-2010" / "patient.yaml").read_text(),
    "result_to_grade.json": json.dumps(
        {"format": "gist-tox/result@1", "source": "x", "patient_id": "A", "grades": {}}
    ),
}


def _special(folder: Path) -> list[Path]:
    """Files that are not ordinary files: a folder named like a visit, a symbolic-link loop, a
    broken link, a named pipe."""
    made = []
    (folder / "folder.yaml").mkdir()
    (folder / "folder.yaml" / "README").write_text("not a visit")
    made.append(folder / "folder.yaml")
    loop = folder / "loop.yaml"
    loop.symlink_to("loop.yaml")
    made.append(loop)
    broken = folder / "broken_link.yaml"
    broken.symlink_to("does-not-exist.yaml")
    made.append(broken)
    fifo = folder / "fifo.yaml"
    os.mkfifo(fifo)
    made.append(fifo)
    return made


def write_bad(folder: Path) -> list[Path]:
    """Every bad input, written into ``folder``."""
    paths = []
    for name, content in BAD.items():
        path = folder / name
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_bytes(content.encode("utf-8", "surrogatepass"))
        paths.append(path)
    return paths + _special(folder)


# --------------------------------------------------------------------------------------------
# Valid visits: every morphology, holds with history, warnings, JSON and YAML, odd but valid
# spellings.

SKIN = "skin: {{morphology: {m}, bsa_percent: {b}, symptoms: {s}, adl_limitation: {a}{x}}}\n"


def _skin(m: str, b: float, s: str = "mild", a: str = "none", x: str = "") -> str:
    return VISIT + SKIN.format(m=m, b=b, s=s, a=a, x=x)


GOOD: dict[str, str | bytes] = {
    "plain.yaml": VISIT,
    "crlf.yaml": VISIT.replace("\n", "\r\n"),
    "bom.yaml": "\ufeff" + VISIT,
    "double_bom.yaml": "\ufeff\ufeff" + VISIT,
    "bom.json": "\ufeff" + json.dumps(_json_visit()),
    "comments.yaml": "# header\n" + VISIT.replace("\n", "  # note\n"),
    "flow_style.yaml": "{patient: {id: F-1}, date: 2024-03-01, imatinib: {starting_dose_mg: 400,"
    " current_dose_mg: 400}, labs: {anc: {value: 0.9, unit: /uL}}}\n",
    "quoted_date.yaml": _sub("date: 2024-03-01", 'date: "2024-03-01"'),
    "explicit_doc.yaml": "---\n" + VISIT + "...\n",
    "alias_legit.yaml": _sub(
        "  platelets: {value: 120, unit: 10^9/L}",
        "  platelets: {value: 120, unit: &u 10^9/L}\n  wbc: {value: 3, unit: *u}",
    ),
    "unicode_id.yaml": _sub("ADV-1", "\u00c9L\u00c8VE-\u6d4b\u8bd5-\U0001f600"),
    "padding.yaml": VISIT + ("# " + "p" * 97 + "\n") * 10000,
    "maculopapular.yaml": _skin("maculopapular", 35, "moderate", "instrumental"),
    "exfoliative.yaml": _skin("exfoliative", 95, "severe", "self_care"),
    "exfoliative_small.yaml": _skin("exfoliative", 20),
    "erythroderma.yaml": _skin("erythroderma", 92, "severe", "self_care"),
    "target_lesions.yaml": _skin("target_lesions", 15, x=", tenderness: true"),
    "bullous_sjs.yaml": _skin(
        "bullous",
        8,
        "severe",
        "self_care",
        ", detachment_bsa_percent: 8, mucosal_involvement: true",
    ),
    "bullous_ten.yaml": _skin(
        "bullous",
        40,
        "severe",
        "self_care",
        ", detachment_bsa_percent: 35, mucosal_involvement: true",
    ),
    "clinician_only.yaml": VISIT + "skin: {morphology: maculopapular, clinician_grade: 2}\n",
    "clinician_disagrees.yaml": _skin("maculopapular", 5, x=", clinician_grade: 3"),
    "v6.yaml": "ctcae_version: '6.0'\n" + _skin("exfoliative", 95, "severe", "self_care"),
    "v6_float.yaml": "ctcae_version: 6.0\n" + VISIT,
    "hold_heme.yaml": _sub("current_dose_mg: 400", "current_dose_mg: 0\n  on_hold_for: hematologic")
    + "history:\n  - {date: 2024-02-15, category: hematologic, term: neutrophil_count_decreased,"
    " grade: 4, dose_mg: 400}\n",
    "hold_skin_resume.yaml": _sub("current_dose_mg: 400", "current_dose_mg: 0\n  on_hold_for: skin")
    + "skin: {morphology: maculopapular, bsa_percent: 4}\nhistory:\n  - {date: 2024-02-15,"
    " category: skin, term: rash_maculo_papular, grade: 3, dose_mg: 400}\n",
    "hold_list.yaml": _sub(
        "current_dose_mg: 400", "current_dose_mg: 0\n  on_hold_for: [hematologic, skin]"
    ),
    "hold_without_reason.yaml": _sub("current_dose_mg: 400", "current_dose_mg: 0"),
    "history_after_visit.yaml": VISIT + "history:\n  - {date: 2024-05-01, category: skin,"
    " term: rash_maculo_papular, grade: 3, dose_mg: 400}\n",
    "off_ladder.yaml": _sub("current_dose_mg: 400", "current_dose_mg: 350"),
    "progression.yaml": _sub(
        "current_dose_mg: 400", "current_dose_mg: 400\n  disease_status: progression"
    ),
    "febrile.yaml": _sub("value: 1.2", "value: 0.3") + "fever: {max_temperature: {value: 102.2,"
    " unit: F}, hours_at_or_above_38: 2}\nconsequences: {life_threatening:"
    " [febrile_neutropenia]}\n",
    "differential.yaml": HEAD + "labs:\n  wbc: {value: 2100, unit: cells/uL}\n"
    "  neutrophils_percent: 15\n  bands_percent: 5\n",
    "counts_mm3.yaml": HEAD + "labs: {anc: {value: 999, unit: /mm3}, platelets: {value: 24000,"
    " unit: /uL}}\n",
    "empty_labs.yaml": HEAD + "labs: {}\n",
    "negative_zero.yaml": _sub("value: 1.2", "value: -0.0"),
    "died.yaml": _sub("value: 1.2", "value: 0.2") + "fever: {max_temperature: {value: 39,"
    " unit: C}}\nconsequences: {died: febrile_neutropenia}\n",
    "died_maybe.yaml": VISIT + "consequences: {died: maybe}\n",  # a warning, not a grade
    "visit.json": json.dumps(_json_visit()),
    "visit_skin.json": json.dumps(
        _json_visit(skin={"morphology": "bullous", "bsa_percent": 30, "detachment_bsa_percent": 31})
    ),
    "visit_hold.json": json.dumps(
        _json_visit(
            imatinib={"starting_dose_mg": 600, "current_dose_mg": 0, "on_hold_for": "hematologic"},
            history=[
                {
                    "date": "2024-02-01",
                    "category": "hematologic",
                    "term": "febrile_neutropenia",
                    "grade": 3,
                    "dose_mg": 600,
                }
            ],
        )
    ),
    "VISIT_UPPER.YAML": VISIT.replace("ADV-1", "ADV-UP"),
    "upper.JSON": json.dumps(_json_visit(patient={"id": "ADV-UPJ"})),
    "short.yml": VISIT,
}


def write_good(folder: Path) -> list[Path]:
    paths = []
    for name, content in GOOD.items():
        path = folder / name
        path.write_bytes(content if isinstance(content, bytes) else content.encode())
        paths.append(path)
    return paths


# --------------------------------------------------------------------------------------------


SUBPROCESS_SAMPLE = ("tag_os_system.yaml", "fifo.yaml", "alias_bomb.yaml", "deep_brackets.yaml")
"""Files also run as a real ``gist-tox`` process (code a tag could run, a read that could hang,
memory and stack a real process has); every file runs in-process, which checks the same code."""


Corpus = tuple[Path, list[Path], list[Path]]


def run(
    args: list[str], cwd: Path, stdin: bytes = b""
) -> tuple[subprocess.CompletedProcess[bytes], float]:
    start = time.monotonic()
    done = subprocess.run(
        [str(GIST_TOX), *args], cwd=cwd, input=stdin, capture_output=True, timeout=WRITER_S
    )
    return done, time.monotonic() - start


def run_here(args: list[str], cwd: Path, stdin: bytes = b"") -> tuple[int, bytes, str, float]:
    """The CLI in this process (typer's runner): exit code, stdout, stderr, seconds."""
    previous = Path.cwd()
    os.chdir(cwd)
    try:
        start = time.monotonic()
        result = invoke(args, input=stdin)
        took = time.monotonic() - start
    finally:
        os.chdir(previous)
    return result.exit_code, result.stdout_bytes, result.stderr, took


def assert_refused(code: int, out: bytes, err: str, took: float, name: str) -> None:
    assert code == 2, (name, code, err, out[:300])
    assert "Traceback" not in err, (name, err)
    assert "internal error" not in err, (name, err)
    lines = err.splitlines()  # one line per problem of the file, the first counting the rest
    more = re.search(r"\(and (\d+) more problems?\)$", lines[0])
    assert len(lines) == 1 + (min(int(more.group(1)), 19) if more else 0), (name, err)
    shown = name.encode("unicode_escape").decode() if not name.isprintable() else name
    for line in lines:
        assert line.startswith("gist-tox: ") and shown in line, (name, err)
    assert out == b"", (name, out[:300])
    assert took < HANG_S, (name, took)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Corpus:
    root = tmp_path_factory.mktemp("adversarial")
    folder = root / "visits"
    folder.mkdir()
    return folder, write_bad(folder), write_good(folder)


def _stat_all(folder: Path) -> dict[str, tuple[int, int]]:
    return {p.name: (p.lstat().st_mtime_ns, p.lstat().st_size) for p in folder.iterdir()}


MESSAGES = {
    "escape_in_name\x1b[31m.yaml": ":2:10: YAML: the character '\\x1b' is not allowed",
    "lone_surrogate.json": "patient.id: text contains",
    "many_items_flow.yaml": "history[0]: 1 is not allowed; expected a mapping of fields"
    " (and 30000 more problems)",
    "dup_flow.yaml": "labs.anc.value: duplicate key 'value'",
    "tag_in_field.yaml": "'!!python/object/apply:os.system' is not allowed",
    "key_cyrillic.yaml": "did you mean 'patient'?",
    "dose_tagged_text.yaml": "current_dose_mg: '400' is not allowed; expected a whole number",
    "dose_underscore.yaml": "the number '4_00' is ambiguous (YAML reads it as 400)",
    "date_year1.yaml": "date: the date 0001-01-01 is out of range; expected 1998-01-01",
    "date_year9999.yaml": "the date 9999-12-31 is out of range",
    "age_free_text.yaml": "patient.age: text of 14 characters is not allowed",
    "id_zero_width.yaml": "patient.id: contains U+200B (ZERO WIDTH SPACE) at character 4",
    "tag_os_system.yaml": "is not allowed (tags are never executed; plain data only)",
    "tag_subprocess.yaml": "is not allowed (tags are never executed; plain data only)",
    "tag_new.yaml": "is not allowed (tags are never executed; plain data only)",
    "alias_bomb.yaml": "YAML aliases would expand to more than 20000 nodes",
    "one_mib_plus_one.yaml": "file is 1048577 bytes; the limit is 1048576 (1 MiB)",
}
"""What some refusals must say: each points at the problem."""


def test_grade_refuses_every_bad_file(corpus: Corpus) -> None:
    """Each bad file once through ``grade``: refused cleanly, nothing run or modified, the
    message pointing at the problem and never repeating patient data."""
    folder, bad, _ = corpus
    before = _stat_all(folder)
    problems = []
    for path in bad:
        code, out, err, took = run_here(["grade", path.name], folder)
        try:
            assert_refused(code, out, err, took, path.name)
            assert MESSAGES.get(path.name, "") in err, (path.name, err)
            if path.name in ("age_free_text.yaml", "age_name.json"):
                assert "Jane" not in err and "71" not in err, err  # patient data not repeated
        except AssertionError as exc:
            problems.append(str(exc)[:600])
    assert not problems, "\n".join(problems)
    assert set(MESSAGES) <= {p.name for p in bad}
    assert not (folder.parent / PWNED).exists(), "a YAML tag ran code"
    assert _stat_all(folder) == before, "an input file was modified"


@pytest.mark.parametrize("name", SUBPROCESS_SAMPLE)
def test_grade_refuses_in_a_real_process(corpus: Corpus, name: str) -> None:
    folder, _, _ = corpus
    done, took = run(["grade", name], folder)
    assert_refused(done.returncode, done.stdout, done.stderr.decode(), took, name)
    assert not (folder.parent / PWNED).exists(), "a YAML tag ran code"


def test_messages_for_no_name_and_in_a_batch(corpus: Corpus) -> None:
    folder, _, _ = corpus
    _, _, err, _ = run_here(["grade", ""], folder)
    assert err.startswith("gist-tox: '': no file name given"), err
    _, out, err, _ = run_here(["batch", "age_name.json", "-f", "csv"], folder)
    assert "Jane" not in out.decode() + err, out


def test_stdin(corpus: Corpus) -> None:
    folder, _, _ = corpus
    for data in (
        b"",
        b"\x00\xff garbage",
        b"patient: [\n",
        f"!!python/object/apply:os.system ['touch ../{PWNED}']\n".encode(),
    ):
        assert_refused(*run_here(["grade", "-"], folder, stdin=data), "<stdin>")
    code, _, err, _ = run_here(["grade", "-", "--format", "json"], folder, stdin=VISIT.encode())
    assert code == 0, err
    assert not (folder.parent / PWNED).exists()


def test_timeline_refuses_a_visit_and_bad_files(corpus: Corpus) -> None:
    folder, _, _ = corpus
    for name in (
        "plain.yaml",
        "alias_bomb.yaml",
        "tag_os_system.yaml",
        "loop.yaml",
        "fifo.yaml",
        "folder.yaml",
        "utf16le.yaml",
        "deep_brackets.yaml",
    ):
        assert_refused(*run_here(["timeline", name], folder), name)


def _by_source(records: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for record in records:
        assert record["source"] not in out, record["source"]
        out[record["source"]] = record
    return out


def test_batch_lists_everything(corpus: Corpus) -> None:
    """Every valid visit grades, and ``batch`` gives it exactly as ``grade`` does; every bad
    file is listed with its reason, nothing missing, exit 2; the same output with one process
    and with two (a real process).  How json and csv show the same records is
    test_cli_batch.py's."""
    folder, bad, good = corpus
    root = folder.parent
    expected: dict[str, dict[str, Any]] = {}
    for path in good:
        code, out, err, _ = run_here(["grade", "--format", "json", f"visits/{path.name}"], root)
        assert code == 0, (path.name, err)
        expected[f"visits/{path.name}"] = json.loads(out)
    bad_names = {f"visits/{p.name}" for p in bad if p.name != "folder.yaml"}  # a folder: walked
    done, _ = run(["batch", "visits", "--format", "ndjson", "--jobs", "2"], root)
    assert done.returncode == 2, done.stderr[-2000:]
    assert b"Traceback" not in done.stderr and b"internal error" not in done.stderr
    code, out, err, _ = run_here(["batch", "visits", "--format", "ndjson", "--jobs", "1"], root)
    assert code == 2, err
    assert out == done.stdout, "--jobs 1 and --jobs 2 differ"
    records = _by_source([json.loads(line) for line in out.splitlines()])
    assert set(records) == set(expected) | bad_names, set(records) ^ (set(expected) | bad_names)
    for source, want in expected.items():
        assert records[source] == want, source
    for source in bad_names:
        assert records[source]["format"] == "gist-tox/file-error@1", source
        assert records[source]["message"], source
        assert "internal error" not in records[source]["message"], records[source]
    assert not (root / PWNED).exists()


def test_batch_path_list_from_stdin(corpus: Corpus) -> None:
    folder, _, _ = corpus
    names = "plain.yaml\nalias_bomb.yaml\nnot-there.yaml\nnul\x00in-name.yaml\n"
    code, out, err, _ = run_here(
        ["batch", "-", "--format", "ndjson", "--jobs", "1"], folder, stdin=names.encode()
    )
    assert code == 2, err
    assert "internal error" not in err
    records = [json.loads(line) for line in out.splitlines()]
    assert sorted(r["source"] for r in records) == [
        "alias_bomb.yaml",
        "not-there.yaml",
        "nul\x00in-name.yaml",
        "plain.yaml",
    ]
    assert "NUL" in next(r["message"] for r in records if "\x00" in r["source"])


def test_a_skin_reaction_without_morphology_is_never_graded_0() -> None:
    """A bedside grade with no morphology and no extent: the term cannot be told, so the skin
    terms are not gradable (not "no rash"), and a warning says the dose does not cover it."""
    for skin in (
        {"clinician_grade": 3},
        {"bsa_percent": 10},
        {"detachment_bsa_percent": 5, "bsa_percent": 5},
    ):
        result = result_of(make_visit(skin=skin))
        assert all(
            result["grades"][t]["grade"] is None
            for t in ("rash_maculo_papular", "erythroderma", "stevens_johnson_syndrome")
        ), skin
        assert any("skin.morphology is not given" in w for w in result["warnings"]), skin
    for skin in ({"clinician_grade": 0}, {"bsa_percent": 0}):
        result = result_of(make_visit(skin=skin))
        assert result["grades"]["rash_maculo_papular"]["grade"] == 0, skin
        assert not [w for w in result["warnings"] if "skin" in w], skin


def test_batch_table_shows_names_and_ids_as_written(tmp_path: Path) -> None:
    """A patient id or file name that looks like rich markup is shown as it is (``[/bold]``
    crashed the table after every file was graded); an escape code is shown escaped."""
    held = _sub("current_dose_mg: 400", "current_dose_mg: 0\n  on_hold_for: hematologic")
    (tmp_path / "a[bold]b.yaml").write_text(_sub("ADV-1", '"[/bold]ID[red]X"', held))
    (tmp_path / "bad\x1b[31m.yaml").write_text("x: [\n")
    code, out, err, _ = run_here(["batch", ".", "--jobs", "1"], tmp_path)
    text = out.decode()
    assert code == 2, err
    assert "internal error" not in err
    assert "[/bold]ID[red]X" in text and "a[bold]b.yaml" in text
    assert "\x1b" not in text and "bad\\x1b[31m.yaml" in text
    (tmp_path / "ok\x1b[2J.yaml").write_text(VISIT)
    code, out, err, _ = run_here(["grade", "ok\x1b[2J.yaml"], tmp_path)
    assert code == 0, err
    assert "\x1b" not in out.decode() and "ok\\x1b[2J.yaml" in out.decode()


def test_a_deep_folder_and_a_held_pipe_stop_nothing(tmp_path: Path) -> None:
    """A folder nested 1,000 levels deep and a named pipe that a writer holds open, among
    valid visits: a real ``batch`` lists them all, without a crash or a hang; ``grade`` refuses
    the pipe at once."""
    folder = tmp_path / "visits"
    folder.mkdir()
    (folder / "a.yaml").write_text(VISIT)
    os.mkfifo(folder / "held.yaml")
    writer = subprocess.Popen(["sh", "-c", f"sleep {WRITER_S} > held.yaml"], cwd=folder)
    try:
        with deep_folders(folder, ["d"] * 1000, {1000: VISIT}):
            done, took = run(["batch", "visits", "--format", "ndjson", "--jobs", "2"], tmp_path)
        assert took < HANG_S, took
        assert done.returncode == 2, done.stderr
        records = {Path(r["source"]).name: r for r in map(json.loads, done.stdout.splitlines())}
        assert set(records) == {"a.yaml", "held.yaml", "level-1000.yaml"}, records
        assert records["level-1000.yaml"]["format"] == "gist-tox/result@1"
        assert "named pipe" in records["held.yaml"]["message"]
        done, took = run(["grade", "held.yaml"], folder)
        assert_refused(done.returncode, done.stdout, done.stderr.decode(), took, "held.yaml")
        assert took < HANG_S
    finally:
        writer.kill()
        writer.wait()
