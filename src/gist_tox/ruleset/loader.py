"""Finding, reading and validating a rule set, and fingerprinting it.

A rule set is a folder::

    config.yaml              kind: config — name, default CTCAE version, dosing rules to use
    reference-ranges.yaml    kind: reference_ranges — default LLNs when a lab gives none
    ctcae-5.0/<term>.yaml    kind: ctcae_term — one file per term, file name = term id
    ctcae-6.0/<term>.yaml
    dosing/<name>.yaml       kind: dosing
    interactions.yaml        kind: interactions — the co-medications an interaction rule checks

Only the CTCAE version asked for is parsed.  Every file is validated (schema, then the semantic
checks that grading relies on) before any visit is graded; problems name file, line and key.
The digest covers the bytes of exactly the files used, so a result can be traced to them.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from pydantic import BaseModel

from gist_tox.documents import Document, decode, read_bytes, read_document
from gist_tox.errors import InputError, Problem, RulesError
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

if TYPE_CHECKING:
    from gist_tox.grading import Plan

CONFIG_FILE = "config.yaml"
RANGES_FILE = "reference-ranges.yaml"
DOSING_DIR = "dosing"
VERSIONS = ("5.0", "6.0")
_CATEGORY_ORDER = {
    "hematologic": 0,
    "skin": 1,
    "hepatic": 2,
    "anemia": 3,
    "weight": 4,
    "fluid": 5,
    "other": 6,
}


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
    missing = "missing from this installation; reinstall gist-tox"
    raise RulesError([Problem(str(packaged), missing, code="rules")])


class RuleFile(NamedTuple):
    """A rule file as read: its path relative to the rule set, document, model and the bytes
    all of them were made from (the digest is of these bytes)."""

    relpath: str
    document: Document
    model: BaseModel
    raw: bytes


class RuleBytes:
    """The bytes of a rule set's files, each file read once (key, rules and digest come from
    the same bytes); the folder's files up front, a file outside it when first asked for."""

    def __init__(self, root: Path) -> None:
        from gist_tox.ruleset import cache

        self.root = root
        self.folder = cache.read_folder(root)
        self.outside: dict[str, bytes] = {}

    def read(self, path: Path) -> bytes:
        relpath = path.relative_to(self.root).as_posix()
        found = self.folder.get(relpath)
        if found is None:
            found = self.outside.get(relpath)
            if found is None:
                found = self.outside[relpath] = read_bytes(str(path))
        if isinstance(found, InputError):
            raise found
        return found

    def outside_digests(self) -> tuple[tuple[str, str], ...]:
        return tuple((rel, hashlib.sha256(raw).hexdigest()) for rel, raw in self.outside.items())

    def term_files(self, version: str) -> list[str]:
        """The term files of ``version``: ``ctcae-<version>/<term id>.yaml``, in name order."""
        prefix = version_dir(version) + "/"
        return sorted(
            relpath
            for relpath in self.folder
            if relpath.startswith(prefix)
            and relpath.endswith(".yaml")
            and "/" not in relpath[len(prefix) :]
        )


class RuleSet:
    """A validated rule set of one CTCAE version.  A plain class, not a dataclass (creating one
    costs about a millisecond at every start-up); pickled as is by the rule-set cache."""

    def __init__(
        self,
        *,
        config: RulesConfig,
        ctcae_version: str,
        terms: list[TermRule],
        reference_ranges: ReferenceRanges,
        dosing: Any = None,
        interactions: Any = None,
        digest: str = "",
        known_term_ids: frozenset[str] = frozenset(),
        outside: tuple[tuple[str, str], ...] = (),
    ) -> None:
        self.config = config
        self.ctcae_version = ctcae_version
        self.terms = terms
        self.reference_ranges = reference_ranges
        self.dosing = dosing
        self.interactions = interactions
        """The interaction list as an index of normalised names
        (:data:`gist_tox.comedications.Index`)."""
        self.digest = digest
        self._known_term_ids = known_term_ids
        self.outside = outside
        """Files read from outside the rules folder: (path relative to it, sha256 of bytes)."""
        self.plans: dict[str, Plan] = {}
        """Per term id, what grading needs from its rule (:meth:`plan`)."""
        self.dosing_limits: Any = None
        """The dosing rules' limits as exact numbers (:meth:`plan`)."""

    def __repr__(self) -> str:
        return f"RuleSet(ctcae_version={self.ctcae_version}, {self.digest})"

    def __getstate__(self) -> dict[str, Any]:
        """What the rule-set cache stores: the rule set, not what a process derived from it."""
        state = dict(self.__dict__)
        state.pop("_default_lln", None)
        state.pop("plans", None)
        state.pop("dosing_limits", None)
        return state

    def plan(self) -> RuleSet:
        """Work out, once, what grading needs from each term rule (``grading.plan_terms``:
        compiled conditions, inputs to report): kept by this rule set for every visit graded
        with it, never cached on disk (closures are not data)."""
        from gist_tox.grading import plan_terms

        self.plans = plan_terms(self.terms)
        if self.dosing is not None:
            from gist_tox.dosing.engine import dosing_limits

            self.dosing_limits = dosing_limits(self.dosing, self.plans)
        return self

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

    def known_term_ids(self) -> frozenset[str]:
        """Term ids a history entry may name: this version's, their aliases, and the other
        version's ids (from file names only, without parsing them), listed when loaded."""
        return self._known_term_ids


def read_rule_file(
    root: Path, path: Path, model: type[BaseModel], source: RuleBytes | None = None
) -> RuleFile:
    """Read and schema-validate one rule file; raise :class:`InputError` naming file and key."""
    relpath = path.relative_to(root).as_posix()
    raw = read_bytes(str(path)) if source is None else source.read(path)
    document = read_document(str(path), text=decode(str(path), raw))
    try:
        parsed = model.model_validate(document.data)
    except Exception as exc:  # pydantic.ValidationError
        from pydantic import ValidationError

        if isinstance(exc, ValidationError):
            raise to_input_error(document, exc, model) from None
        raise
    return RuleFile(relpath, document, parsed, raw)


class RuleFiles(NamedTuple):
    """A rule folder as read through the one typed path that loading and ``rules check`` share
    (:func:`read_rule_files`): each file parsed and validated into its model, each term put
    through the checks grading relies on (:func:`check_term`), and every problem found on the
    way, in reading order.  A file that could not be read is ``None`` (or missing from
    ``terms``) and its problem is listed."""

    config: RuleFile | None
    ranges: RuleFile | None
    terms: dict[str, list[RuleFile]]
    """Per CTCAE version read, its term files in name order."""
    dosing: RuleFile | None
    interactions: RuleFile | None
    problems: list[Problem]


def read_rule_files(
    root: Path, source: RuleBytes, versions: Iterable[str], config: RuleFile | None = None
) -> RuleFiles:
    """Read the rule set at ``root`` (its CTCAE ``versions``) from ``source``'s bytes; ``config``
    when the caller has read it already (the loader needs it to know the version)."""
    problems: list[Problem] = []

    def read(relpath: str, model: type[BaseModel], needed: str | None = None) -> RuleFile | None:
        path = root / relpath
        if not path.is_file():
            if needed is not None:
                problems.append(
                    Problem(str(path), f"missing; a rule set needs {needed}", code="rules")
                )
            return None
        try:
            return read_rule_file(root, path, model, source)
        except InputError as exc:
            problems.append(exc.problem)
            return None

    if config is None:
        config = read(CONFIG_FILE, RulesConfig, f"{CONFIG_FILE} (kind: config)")
    ranges = read(RANGES_FILE, ReferenceRanges, "default reference ranges")
    terms: dict[str, list[RuleFile]] = {}
    for version in versions:
        relpaths = source.term_files(version)
        if not relpaths:
            problems.append(
                Problem(version_dir(version), f"no CTCAE v{version} term files", code="rules")
            )
        terms[version] = []
        for relpath in relpaths:
            rf = read(relpath, TermRule)
            if rf is not None:
                problems.extend(check_term(rf, version))
                terms[version].append(rf)
    dosing, with_dosing = None, False
    if config is not None:
        name = config.model.dosing  # type: ignore[attr-defined]
        relpath = f"{DOSING_DIR}/{name}.yaml"
        with_dosing = (root / relpath).is_file()
        if with_dosing:
            from gist_tox.dosing.schema import DosingRules  # kept off the start-up path

            dosing = read(relpath, DosingRules)
        else:
            missing = f"names dosing rules {name!r}, but {relpath} does not exist"
            problems.append(config.document.problem(("dosing",), missing, code="rules"))
    from gist_tox.ruleset.interactions import INTERACTIONS_FILE, InteractionList

    # the interaction list is needed beside dosing rules (their co-medication advice reads it)
    needed = "its interaction list (kind: interactions)" if with_dosing else None
    interactions = read(INTERACTIONS_FILE, InteractionList, needed)
    if interactions is not None:
        problems.extend(check_interactions(interactions))
    return RuleFiles(config, ranges, terms, dosing, interactions, problems)


def resolve_version(root: Path, requested: str | None) -> str:
    """The CTCAE version to use: the one requested, else the rule set's configured default."""
    if requested is not None:
        return requested
    return load_config(root).model.default_ctcae_version  # type: ignore[attr-defined,no-any-return]


def load_config(root: Path, source: RuleBytes | None = None) -> RuleFile:
    path = root / CONFIG_FILE
    if not path.is_file():
        missing = f"missing; a rule set needs {CONFIG_FILE} (kind: config)"
        raise RulesError([Problem(str(path), missing, code="rules")])
    try:
        return read_rule_file(root, path, RulesConfig, source)
    except InputError as exc:
        raise RulesError([exc.problem]) from None


def load_ruleset(root: Path | None = None, version: str | None = None) -> RuleSet:
    """Load and validate the rule set at ``root`` (default: the shipped rules) for ``version``
    (default: the version configured in the rule set).

    A rule set validated before, with byte-identical files, comes from the per-user cache
    (``ruleset/cache.py``); anything else is validated now and then cached.  Each file is read
    once: the cache key, the rules and the digest all come from the same bytes.
    """
    from gist_tox.ruleset import cache

    root = shipped_rules_dir() if root is None else root
    if not root.is_dir():
        raise RulesError([Problem(str(root), "not a folder of rules", code="rules")])
    source = RuleBytes(root)
    key = cache.key(source.folder, version)
    ruleset = cache.load(key)
    if ruleset is None or not _same_outside(ruleset, source):
        ruleset = _validate_ruleset(root, version, source)
        cache.store(key, ruleset)
    return ruleset.plan()


def _same_outside(ruleset: RuleSet, source: RuleBytes) -> bool:
    """Whether the files a cached rule set read from outside its folder are unchanged."""
    try:
        for relpath, digest in ruleset.outside:
            raw = source.read(source.root / relpath)
            if hashlib.sha256(raw).hexdigest() != digest:
                return False
    except (InputError, ValueError):
        return False
    return True


def _validate_ruleset(root: Path, version: str | None, source: RuleBytes) -> RuleSet:
    config_file = load_config(root, source)
    config: RulesConfig = config_file.model  # type: ignore[assignment]
    version = version or config.default_ctcae_version
    files = read_rule_files(root, source, [version], config_file)
    if files.problems:
        raise RulesError(files.problems)
    assert files.ranges and files.dosing and files.interactions  # else a problem was listed
    terms: list[TermRule] = [rf.model for rf in files.terms[version]]  # type: ignore[misc]
    terms.sort(key=lambda t: (_CATEGORY_ORDER[t.category], t.id))
    known = {Path(rel).stem for v in VERSIONS for rel in source.term_files(v)}
    known.update(t.id for t in terms)
    for term in terms:
        known.update(term.aliases)
    return RuleSet(
        config=config,
        ctcae_version=version,
        terms=terms,
        reference_ranges=files.ranges.model,  # type: ignore[arg-type]
        dosing=files.dosing.model,
        interactions=_index(files.interactions.model),
        digest=digest_of(
            [config_file, files.ranges, *files.terms[version], files.dosing, files.interactions]
        ),
        known_term_ids=frozenset(known),
        outside=source.outside_digests(),
    )


def _index(interactions: Any) -> Any:
    """The interaction list as the index visits are matched with: plain data, so that a cached
    rule set is read back without importing the list's pydantic model."""
    from gist_tox.comedications import index

    return index(interactions)


def check_interactions(rf: RuleFile) -> list[Problem]:
    """Two ids or synonyms that read alike once normalised (or a name with nothing to match
    on) would make a visit's match depend on the list's order: each is a problem."""
    from gist_tox.comedications import duplicates

    return [
        rf.document.problem(path, message, code="rules")
        for path, message in duplicates(rf.model)  # type: ignore[arg-type]
    ]


def digest_of(files: list[RuleFile]) -> str:
    hasher = hashlib.sha256()
    for rf in sorted(files, key=lambda f: f.relpath):
        hasher.update(rf.relpath.encode() + b"\0" + hashlib.sha256(rf.raw).digest())
    return "sha256:" + hasher.hexdigest()


# --------------------------------------------------------------------------------------------
# Semantic checks grading relies on (``rules check`` adds coverage checks on top).


def check_term(rf: RuleFile, version: str) -> list[Problem]:
    """The problems of one term file that would make grading wrong."""
    from gist_tox.facts import FIELDS

    term: TermRule = rf.model  # type: ignore[assignment]
    found: list[Problem] = []

    def add(path: tuple[Any, ...], message: str) -> None:
        found.append(rf.document.problem(path, message, code="rules"))

    stem = Path(rf.relpath).stem
    if term.id != stem:
        add(("id",), f"id {term.id!r} must match the file name {stem!r}")
    if term.ctcae_version != version:
        add(
            ("ctcae_version",),
            f"{term.ctcae_version!r} but the file is in {version_dir(version)}/",
        )
    if (term.applies_to is not None) != (term.category == "skin"):
        add(("applies_to",), "skin terms (and only they) must list the morphologies they grade")

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
            add((*path, "field"), f"unknown input {cond.field!r}; known: {', '.join(FIELDS)}")
            return
        if isinstance(cond, Compare):
            if info.kind != "number":
                add(
                    (*path, "field"),
                    f"{cond.field} is {info.kind}, not a number; use 'is' or 'in'",
                )
            for op, bound in cond.bounds():
                if isinstance(bound, FieldRef):
                    other = FIELDS.get(bound.field)
                    if other is None or other.kind != "number":
                        add((*path, op), f"bound {bound.field!r} is not a numeric input")
        elif isinstance(cond, IsTrue) and info.kind != "bool":
            add((*path, "field"), f"{cond.field} is not yes/no")
        elif isinstance(cond, OneOf):
            if info.kind != "enum":
                add((*path, "field"), f"{cond.field} is not enumerated")
            else:
                for value in cond.in_:
                    if value not in info.values:
                        add(
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
            add(
                ("grades", i, "when"),
                "grade 5 must be exactly {field: consequences.died, is: true}",
            )
        elif grade.grade != 5 and _reads(grade.when, "consequences.died"):
            add(("grades", i, "when"), "only grade 5 may read consequences.died")
    if term.present_when is not None:
        check(term.present_when, ("present_when",))
    for i, gap in enumerate(term.gaps):
        check(gap.when, ("gaps", i, "when"))
    for i, warning in enumerate(term.warnings):
        check(warning.when, ("warnings", i, "when"))
    for i, route in enumerate(term.applies_to or []):
        if route.when is not None:
            check(route.when, ("applies_to", i, "when"))
    return found


def _reads(cond: Condition, name: str) -> bool:
    from gist_tox.ruleset.conditions import fields_read

    return name in fields_read(cond)
