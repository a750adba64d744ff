"""Finding, reading and validating a rule set, and fingerprinting it.

A rule set is a folder::

    config.yaml              kind: config — name, default CTCAE version, dosing rules to use
    reference-ranges.yaml    kind: reference_ranges — default LLNs when a lab gives none
    ctcae-5.0/<term>.yaml    kind: ctcae_term — one file per term, file name = term id
    ctcae-6.0/<term>.yaml
    dosing/<name>.yaml       kind: dosing

Only the CTCAE version asked for is parsed.  Every file is validated (schema, then the semantic
checks that grading relies on) before any visit is graded; problems name file, line and key.
The digest covers the bytes of exactly the files used, so a result can be traced to them.
"""

from __future__ import annotations

import hashlib
from fractions import Fraction
from pathlib import Path
from typing import Any, NamedTuple

from pydantic import BaseModel

from gist_tox.documents import Document, read_document
from gist_tox.errors import InputError, RulesError
from gist_tox.ruleset.conditions import (
    AllOf,
    AnyOf,
    Compare,
    Condition,
    FieldRef,
    IsTrue,
    NotOf,
    OneOf,
)
from gist_tox.ruleset.schema import ReferenceRanges, RulesConfig, TermRule
from gist_tox.units import count_to_canonical
from gist_tox.validation import to_input_error

CONFIG_FILE = "config.yaml"
RANGES_FILE = "reference-ranges.yaml"
DOSING_DIR = "dosing"
VERSIONS = ("5.0", "6.0")
_CATEGORY_ORDER = {"hematologic": 0, "skin": 1, "other": 2}


def version_dir(version: str) -> str:
    return f"ctcae-{version}"


def shipped_rules_dir() -> Path:
    """The rules installed with the package (or, in a source checkout, the repository's).

    An installed package is a folder, and its rules are a folder inside it: found from the
    package's import spec first, as ``importlib.resources.files`` itself would, because
    importing ``importlib.resources`` costs ~5 ms at every start; ``files`` is asked otherwise
    (a package imported from elsewhere than a plain folder)."""
    import gist_tox

    for location in gist_tox.__spec__.submodule_search_locations or ():
        beside = Path(location) / "_shipped_rules"
        if beside.is_dir():
            return beside
    checkout = Path(__file__).resolve().parents[3]
    if (checkout / "pyproject.toml").is_file() and (checkout / "rules").is_dir():
        return checkout / "rules"  # a source checkout (an editable install)
    from importlib import resources

    packaged = resources.files("gist_tox") / "_shipped_rules"
    if packaged.is_dir():
        return Path(str(packaged))
    raise RulesError(["the shipped rules are missing from this installation; reinstall gist-tox"])


class RuleFile(NamedTuple):
    """A rule file as read: its path relative to the rule set, document and model."""

    relpath: str
    document: Document
    model: BaseModel


class RuleSet:
    """A validated rule set of one CTCAE version.  A plain class, not a dataclass (creating one
    costs about a millisecond at every start-up); pickled as is by the rule-set cache."""

    def __init__(
        self,
        *,
        root: Path,
        config: RulesConfig,
        ctcae_version: str,
        terms: list[TermRule],
        reference_ranges: ReferenceRanges,
        dosing: Any = None,
        digest: str = "",
    ) -> None:
        self.root = root
        self.config = config
        self.ctcae_version = ctcae_version
        self.terms = terms
        self.reference_ranges = reference_ranges
        self.dosing = dosing
        self.digest = digest
        self._known_term_ids: set[str] | None = None

    def __repr__(self) -> str:
        return f"RuleSet(root={self.root!s}, ctcae_version={self.ctcae_version}, {self.digest})"

    def __getstate__(self) -> dict[str, Any]:
        """What the rule-set cache stores: the rule set, not what a process derived from it."""
        state = dict(self.__dict__)
        state.pop("_default_lln", None)
        return state

    @property
    def term_ids(self) -> list[str]:
        return [t.id for t in self.terms]

    def default_lln(self) -> dict[str, tuple[Fraction, str]]:
        """The rules' default LLN of each count (10^9/L) with its source.  Computed once per
        process, as every visit of a batch asks for it: callers must not modify it."""
        cached: dict[str, tuple[Fraction, str]] | None = self.__dict__.get("_default_lln")
        if cached is None:
            out: dict[str, tuple[Fraction, str]] = {}
            for name in ("anc", "platelets"):
                ref = getattr(self.reference_ranges, name)
                out[name] = (count_to_canonical(ref.lln, ref.unit), f"{RANGES_FILE}: {ref.source}")
            cached = self.__dict__["_default_lln"] = out
        return cached

    def known_term_ids(self) -> set[str]:
        """Term ids a history entry may name: this version's, their aliases, and the other
        version's ids (read from file names only, without parsing them); listed once."""
        if self._known_term_ids is None:
            self._known_term_ids = self._list_term_ids()
        return self._known_term_ids

    def _list_term_ids(self) -> set[str]:
        ids = set(self.term_ids)
        for term in self.terms:
            ids.update(term.aliases)
        for version in VERSIONS:
            folder = self.root / version_dir(version)
            if folder.is_dir():
                ids.update(p.stem for p in folder.glob("*.yaml"))
        return ids


class _Problems:
    def __init__(self) -> None:
        self.items: list[str] = []

    def add(self, doc: Document | None, relpath: str, path: tuple[Any, ...], message: str) -> None:
        if doc is not None:
            self.items.append(doc.error(path, message, code="rules").one_line())
        else:
            self.items.append(f"{relpath}: {message}")


def read_rule_file(root: Path, path: Path, model: type[BaseModel]) -> RuleFile:
    """Read and schema-validate one rule file; raise :class:`InputError` naming file and key."""
    relpath = path.relative_to(root).as_posix()
    document = read_document(str(path))
    try:
        parsed = model.model_validate(document.data)
    except Exception as exc:  # pydantic.ValidationError
        from pydantic import ValidationError

        if isinstance(exc, ValidationError):
            raise to_input_error(document, exc, model) from None
        raise
    return RuleFile(relpath, document, parsed)


def resolve_version(root: Path, requested: str | None) -> str:
    """The CTCAE version to use: the one requested, else the rule set's configured default."""
    if requested is not None:
        return requested
    return load_config(root).model.default_ctcae_version  # type: ignore[attr-defined,no-any-return]


def load_config(root: Path) -> RuleFile:
    path = root / CONFIG_FILE
    if not path.is_file():
        raise RulesError([f"{path}: missing; a rule set needs {CONFIG_FILE} (kind: config)"])
    try:
        return read_rule_file(root, path, RulesConfig)
    except InputError as exc:
        raise RulesError([exc.one_line()]) from None


def load_ruleset(root: Path | None = None, version: str | None = None) -> RuleSet:
    """Load and validate the rule set at ``root`` (default: the shipped rules) for ``version``
    (default: the version configured in the rule set).

    A rule set validated before, with byte-identical files, comes from the per-user cache
    (``ruleset/cache.py``); anything else is validated now and then cached.
    """
    from gist_tox.ruleset import cache

    root = shipped_rules_dir() if root is None else root
    if not root.is_dir():
        raise RulesError([f"{root}: not a folder of rules"])
    key = cache.fingerprint(root, version)
    ruleset = cache.load(key)
    if ruleset is None:
        ruleset = _validate_ruleset(root, version)
        cache.store(key, ruleset)
    return ruleset


def _validate_ruleset(root: Path, version: str | None) -> RuleSet:
    problems = _Problems()
    config_file = load_config(root)
    config: RulesConfig = config_file.model  # type: ignore[assignment]
    version = version or config.default_ctcae_version
    files: list[RuleFile] = [config_file]

    ranges_path = root / RANGES_FILE
    ranges: ReferenceRanges | None = None
    if not ranges_path.is_file():
        problems.add(None, RANGES_FILE, (), "missing; a rule set needs default reference ranges")
    else:
        try:
            rf = read_rule_file(root, ranges_path, ReferenceRanges)
            files.append(rf)
            ranges = rf.model  # type: ignore[assignment]
        except InputError as exc:
            problems.items.append(exc.one_line())

    terms: list[TermRule] = []
    folder = root / version_dir(version)
    paths = sorted(folder.glob("*.yaml")) if folder.is_dir() else []
    if not paths:
        problems.add(None, version_dir(version), (), f"no CTCAE v{version} term files")
    for path in paths:
        try:
            rf = read_rule_file(root, path, TermRule)
        except InputError as exc:
            problems.items.append(exc.one_line())
            continue
        files.append(rf)
        term: TermRule = rf.model  # type: ignore[assignment]
        check_term(rf, term, version, problems)
        terms.append(term)

    dosing = None
    dosing_path = root / DOSING_DIR / f"{config.dosing}.yaml"
    if not dosing_path.is_file():
        problems.add(
            config_file.document,
            CONFIG_FILE,
            ("dosing",),
            f"names dosing rules {config.dosing!r}, but {DOSING_DIR}/{config.dosing}.yaml"
            " does not exist",
        )
    else:
        try:
            from gist_tox.dosing.schema import DosingRules  # kept off the start-up path

            rf = read_rule_file(root, dosing_path, DosingRules)
            files.append(rf)
            dosing = rf.model
        except InputError as exc:
            problems.items.append(exc.one_line())

    if problems.items:
        raise RulesError(problems.items)
    assert ranges is not None
    terms.sort(key=lambda t: (_CATEGORY_ORDER[t.category], t.id))
    return RuleSet(
        root=root,
        config=config,
        ctcae_version=version,
        terms=terms,
        reference_ranges=ranges,
        dosing=dosing,
        digest=digest_of(files),
    )


def digest_of(files: list[RuleFile]) -> str:
    hasher = hashlib.sha256()
    for rf in sorted(files, key=lambda f: f.relpath):
        raw = Path(rf.document.source).read_bytes()
        hasher.update(rf.relpath.encode() + b"\0" + hashlib.sha256(raw).digest())
    return "sha256:" + hasher.hexdigest()


# --------------------------------------------------------------------------------------------
# Semantic checks grading relies on (``rules check`` adds coverage checks on top).


def check_term(rf: RuleFile, term: TermRule, version: str, problems: _Problems) -> None:
    from gist_tox.facts import FIELDS

    doc = rf.document
    stem = Path(rf.relpath).stem
    if term.id != stem:
        problems.add(doc, rf.relpath, ("id",), f"id {term.id!r} must match the file name {stem!r}")
    if term.ctcae_version != version:
        problems.add(
            doc,
            rf.relpath,
            ("ctcae_version",),
            f"{term.ctcae_version!r} but the file is in {version_dir(version)}/",
        )
    if (term.applies_to is not None) != (term.category == "skin"):
        problems.add(
            doc,
            rf.relpath,
            ("applies_to",),
            "skin terms (and only they) must list the morphologies they grade",
        )

    def check(cond: Condition, path: tuple[Any, ...]) -> None:
        if isinstance(cond, AllOf | AnyOf):
            children = cond.all if isinstance(cond, AllOf) else cond.any
            key = "all" if isinstance(cond, AllOf) else "any"
            for i, child in enumerate(children):
                check(child, (*path, key, i))
            return
        if isinstance(cond, NotOf):
            check(cond.not_, (*path, "not"))
            return
        info = FIELDS.get(cond.field)
        if info is None:
            problems.add(
                doc,
                rf.relpath,
                (*path, "field"),
                f"unknown input {cond.field!r}; known: {', '.join(FIELDS)}",
            )
            return
        if isinstance(cond, Compare):
            if info.kind != "number":
                problems.add(
                    doc,
                    rf.relpath,
                    (*path, "field"),
                    f"{cond.field} is {info.kind}, not a number; use 'is' or 'in'",
                )
            for op, bound in cond.bounds():
                if isinstance(bound, FieldRef):
                    other = FIELDS.get(bound.field)
                    if other is None or other.kind != "number":
                        problems.add(
                            doc,
                            rf.relpath,
                            (*path, op),
                            f"bound {bound.field!r} is not a numeric input",
                        )
        elif isinstance(cond, IsTrue) and info.kind != "bool":
            problems.add(doc, rf.relpath, (*path, "field"), f"{cond.field} is not yes/no")
        elif isinstance(cond, OneOf):
            if info.kind != "enum":
                problems.add(doc, rf.relpath, (*path, "field"), f"{cond.field} is not enumerated")
            else:
                for value in cond.in_:
                    if value not in info.values:
                        problems.add(
                            doc,
                            rf.relpath,
                            (*path, "in"),
                            f"{value!r} is not a value of {cond.field}; "
                            f"expected one of {', '.join(info.values)}",
                        )

    for i, grade in enumerate(term.grades):
        check(grade.when, ("grades", i, "when"))
        if grade.grade == 5 and not (
            isinstance(grade.when, IsTrue)
            and grade.when.field == "consequences.died"
            and grade.when.is_
        ):
            problems.add(
                doc,
                rf.relpath,
                ("grades", i, "when"),
                "grade 5 must be exactly {field: consequences.died, is: true}",
            )
        elif grade.grade != 5 and _reads(grade.when, "consequences.died"):
            problems.add(
                doc, rf.relpath, ("grades", i, "when"), "only grade 5 may read consequences.died"
            )
    if term.present_when is not None:
        check(term.present_when, ("present_when",))
    for i, route in enumerate(term.applies_to or []):
        if route.when is not None:
            check(route.when, ("applies_to", i, "when"))


def _reads(cond: Condition, name: str) -> bool:
    from gist_tox.ruleset.conditions import fields_read

    return name in fields_read(cond)
