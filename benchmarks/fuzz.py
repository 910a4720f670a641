"""Hostile inputs for every ``crmrisk`` command and format (issues 15 and 24).

Each case takes a real ``needs.json`` and the ``crmrisk-config.json`` beside it (from the
builds under ``tests/fixtures/hostile/``; the ``evidence`` one also has its review lock,
``crmrisk-reviews.json``), mutates them with Hypothesis (wrong types, NaN, lone
surrogates, deep nesting, control characters, formula-like and over-long texts,
duplicate IDs, broken bytes, dates out of the years read, every crmrisk value of the
record, a lock's values and versions, and since issue 24 a need key written twice and
byte order marks), then runs ``check`` (text, json, junit, github), ``matrix`` (csv,
xlsx, json, md) and ``diff`` (md, json) through :func:`sphinx_crmrisk.cli.main`, in
process. A case fails on any exception out of ``main``, an exit status other than 0, 1,
2, an exit 2 without exactly one line on stderr, an output that does not parse as its
format or match its schema, a formula-like spreadsheet cell without its leading quote, a
workflow command at a line start of a text report, reports that disagree on the exit
status, a need key written twice that any command reads without refusing it (exit 2: the
need it drops would hide its gap), or a byte order mark that changes ``check``'s answer.

``tests/test_hostile_inputs.py`` runs it in ``make test``. By hand, to run more cases,
or to count the failing cases of another copy of the package (``PYTHONPATH``)::

    python benchmarks/fuzz.py --cases 5000 [--seed 15] [--show 5]
"""

from __future__ import annotations

import argparse
import contextlib
import copy
import csv
import io
import json
import re
import sys
import tempfile
import traceback
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, seed, settings
from hypothesis import strategies as st

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "tests" / "fixtures" / "hostile"
SCHEMAS = ROOT / "sphinx_crmrisk" / "schemas"
NEEDS_JSON, CONFIG_JSON, LOCK_JSON = "needs.json", "crmrisk-config.json", "crmrisk-reviews.json"

#: (command, format) pairs; xlsx goes to a file, the others to the standard output.
RUNS = (
    *(("check", f) for f in ("text", "json", "junit", "github")),
    *(("matrix", f) for f in ("csv", "xlsx", "json", "md")),
    *(("diff", f) for f in ("md", "json")),
)
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
#: The keys the model reads, and some it does not.
NEED_KEYS = (
    "id",
    "type",
    "title",
    "status",
    "docname",
    "doctype",
    "lineno",
    "legal_basis",
    "effective",
    "until",
    "sanction",
    "source",
    "justification",
    "verification",
    "applies_to",
    "party",
    "owner",
    "frequency",
    "expected_evidence",
    "reviewed",
    "review_every",
    "severity",
    "likelihood",
    "document",
    "dated",
    "valid_until",
    "document_sha256",
    "proves",
    "covers",
    "addresses",
    "phase",
    "replaced_by",
    "source_file",
    # the version of the catalogue an obligation was imported from: its gaps are grouped
    # and their text says it
    "catalogue",
    "content",
    "sections",
    "is_external",
)
#: Every value a build records (``sphinx_crmrisk.settings.Settings``).
CONFIG_KEYS = (
    "crmrisk_today",
    "crmrisk_inactive_statuses",
    "crmrisk_required_fields",
    "crmrisk_fail_on_uncovered",
    "crmrisk_exports",
    "crmrisk_profile",
    "crmrisk_review_every",
    "crmrisk_warn_never_reviewed",
    "crmrisk_review_lock",
    "crmrisk_audit_pages",
    "crmrisk_type_names",
    "crmrisk_field_names",
    "crmrisk_link_names",
    "crmrisk_enable",
    "crmrisk_csv_delimiter",
    "crmrisk_law_date",
    # the language of every message and export: a hostile one is English
    "language",
    "crmrisk_require_evidence",
)
#: Values a record may hold that pass its types but not its ranges, or rename what the
#: needs hold.
CONFIG_VALUES = (
    "9999-12-31",
    "0001-01-01",
    10**6,
    1000,
    999,
    "\x00",
    "a\x00b",
    ["index"],
    {"obligation": "crm_obligation"},
    {kind: f"crm_{kind}" for kind in ("phase", "obligation", "clause", "procedure", "risk")},
    {"covers": "crm_covers"},
    {"legal_basis": "crm_legal_basis"},
    ["prospection"],
    "fr",
)
#: Where a lock mutation puts its value (a path of keys in the lock).
LOCK_PATHS = (
    ("version",),
    ("schema",),
    ("reviewed_against",),
    ("approvals",),
    ("approvals", "EVD-CHANGED"),
    ("approvals", "EVD-CHANGED", "sha256"),
    ("approvals", "EVD-CHANGED", "date"),
    ("approvals", "EVD-CHANGED", "by"),
    ("approvals", "EVD-NEW"),
)


class Deep:
    """A value nested ``depth`` lists deep, put into the JSON text after dumping."""

    def __init__(self, depth: int) -> None:
        self.depth = depth


NASTY_TEXTS = (
    "x\n::error file=a.md,line=1::injected",
    "\r\n::warning::x",
    "x\u2028::error::y",
    "=1+1",
    "+1",
    "-inf",
    "-1",
    "@SUM(A1)",
    "\tTAB",
    "\rCR",
    '=HYPERLINK("x")',
    "a\x00b",
    "\x1b[31mred",
    "\x07\x08\x0b\x0c\x1f",
    "\x7f\x85\u2029",
    "\ufffe\uffff",
    "\ud800",
    "a\udfffb",
    "]]>",
    "<![CDATA[x",
    "&amp;<b>",
    "%0A::error::x",
    "%",
    "|pipe|",
    "`code`",
    "é",
    "",
    " ",
    "NaN",
    "null",
    "2026-02-30",
    "2026-01-01",
    "9999-12-31",
    "0001-01-01",
    "1799-12-31",
    "3000-01-01",
    "999",
    "1000",
    "OBL-X",
    "PH-CONCEPTION",
    "draft",
    "not_applicable",
    "verified",
    "'",
    "History",
    "\U0001f600" * 20,
    "x\x19",
)


#: Characters that break outputs: controls, line breaks, surrogates, formula and
#: markup starts, XML's non-characters, and some ordinary ones.
ALPHABET = (
    [chr(c) for c in range(0x20)]
    + list("\x7f\x85\xa0\u2028\u2029\u202e\ufeff\ufffe\uffff")
    + ["\ud800", "\udbff", "\udc00", "\U0001f600"]
    + list("=+-@'\"|\\`*_[]<>&%:,;.#$ aZ09é")
)


def _text() -> st.SearchStrategy[str]:
    return st.one_of(
        st.sampled_from(NASTY_TEXTS),
        st.text(st.sampled_from(ALPHABET), max_size=12),
        st.builds(
            lambda t, n: t * n, st.sampled_from(("x", "é", "=", "\n")), st.integers(32_000, 33_000)
        ),
    )


def _value() -> st.SearchStrategy[Any]:
    scalar = st.one_of(
        _text(),
        st.integers(-(2**70), 2**70),
        st.sampled_from(
            (0, -1, 1, 2**63, float("nan"), float("inf"), float("-inf"), 1.5, True, False, None)
        ),
    )
    return st.one_of(
        scalar,
        st.lists(scalar, max_size=3),
        st.dictionaries(st.text(max_size=3), scalar, max_size=2),
        st.integers(1, 5_000).map(Deep),
    )


#: Built once: a strategy built at each draw is validated again at each draw.
VALUES = _value()
_KINDS = st.sampled_from(
    (
        "set",
        "set",
        "set",
        "set",
        "delete",
        "duplicate",
        "need",
        "top",
        "config",
        "config_file",
        "lock",
        "lock_file",
    )
)
_INDEXES = st.integers(0, 40)
_KEYS = st.sampled_from(NEED_KEYS)
_TOP = st.sampled_from(("current_version", "versions", "needs"))
_CONFIG_KEYS = st.sampled_from(CONFIG_KEYS)
_CONFIG_VALUES = st.one_of(VALUES, st.sampled_from(CONFIG_VALUES))
_LOCK_PATHS = st.sampled_from(LOCK_PATHS)


@dataclass
class Mutation:
    apply: Callable[[dict, dict], None]
    label: str

    def __repr__(self) -> str:
        return self.label


def _needs(doc: dict) -> dict:
    return doc["versions"][doc["current_version"]]["needs"]


@st.composite
def mutations(draw: st.DrawFn) -> Mutation:
    """A change of a need, of the recorded values or of the lock (a dict ``lock`` is
    given to ``apply`` through the config, under ``<lock>``)."""
    kind = draw(_KINDS)
    index = draw(_INDEXES)
    key = draw(_KEYS)
    value = draw(VALUES)

    def pick(doc: dict) -> tuple[str, dict]:
        needs = _needs(doc)
        need_id = sorted(needs)[index % len(needs)]
        return need_id, needs[need_id]

    if kind == "set":
        return Mutation(
            lambda d, c: pick(d)[1].__setitem__(key, value), f"need[{index}].{key} = {value!r:.60}"
        )
    if kind == "delete":
        return Mutation(lambda d, c: pick(d)[1].pop(key, None), f"del need[{index}].{key}")
    if kind == "duplicate":

        def duplicate(d: dict, c: dict) -> None:
            need_id, need = pick(d)
            _needs(d)[need_id + "-COPY"] = copy.deepcopy(need)

        return Mutation(duplicate, f"need[{index}] again under another key")
    if kind == "need":

        def replace(d: dict, c: dict) -> None:
            need_id, _need = pick(d)
            _needs(d)[need_id] = value

        return Mutation(replace, f"need[{index}] = {value!r:.60}")
    if kind == "top":
        where = draw(_TOP)

        def top(d: dict, c: dict) -> None:
            if where == "needs":
                d["versions"][d["current_version"]]["needs"] = value
            else:
                d[where] = value

        return Mutation(top, f"{where} = {value!r:.60}")
    if kind == "config":
        name = draw(_CONFIG_KEYS)
        value = draw(_CONFIG_VALUES)
        return Mutation(lambda d, c: c.__setitem__(name, value), f"config {name} = {value!r:.60}")
    if kind == "lock":
        path = draw(_LOCK_PATHS)

        def set_in_lock(d: dict, c: dict) -> None:
            lock = c["<lock>"]
            for key in path[:-1]:
                lock = lock.setdefault(key, {})
            lock[path[-1]] = value

        return Mutation(set_in_lock, f"lock {'.'.join(path)} = {value!r:.60}")
    if kind == "lock_file":
        return Mutation(lambda d, c: c.__setitem__("<lock>", value), f"lock file = {value!r:.60}")
    return Mutation(
        lambda d, c: c.__setitem__("<whole file>", value), f"config file = {value!r:.60}"
    )


@dataclass(frozen=True)
class Case:
    corpus: str
    mutations: tuple[Mutation, ...]
    raw: tuple[str, int, int] | None  # "truncate"/"byte", position, byte; on needs.json
    ascii_json: bool  # False: raw surrogates written with surrogatepass (invalid UTF-8)
    #: (need written again first, need whose value it takes): a key repeated in the
    #: needs object, json keeping the last; None: no repeated key
    repeat: tuple[int, int] | None = None
    bom: bool = False  # both files start with a UTF-8 byte order mark


def cases() -> st.SearchStrategy[Case]:
    corpora = sorted(p.name for p in CORPUS.iterdir() if (p / NEEDS_JSON).is_file())
    raw = st.one_of(
        st.none(),
        st.none(),
        st.none(),
        st.none(),
        st.tuples(
            st.sampled_from(("truncate", "byte")), st.integers(0, 40_000), st.integers(0, 255)
        ),
    )
    repeat = st.one_of(st.none(), st.none(), st.none(), st.tuples(_INDEXES, _INDEXES))
    return st.builds(
        Case,
        st.sampled_from(corpora),
        st.lists(mutations(), min_size=1, max_size=3).map(tuple),
        raw,
        st.booleans(),
        repeat,
        st.sampled_from((False, False, False, True)),
    )


_REPEATED = "__REPEATED_KEY__"


def _dump(value: Any, ascii_json: bool, repeated: tuple[str, Any] | None = None) -> bytes:
    """JSON bytes; ``repeated``: the member (key, value) written where :data:`_REPEATED`
    is a key, which no dict can hold twice."""
    deep: list[int] = []

    def default(obj: Any) -> Any:
        if isinstance(obj, Deep):
            deep.append(obj.depth)
            return f"__DEEP_{len(deep) - 1}__"
        raise TypeError(type(obj).__name__)

    text = json.dumps(value, ensure_ascii=ascii_json, default=default)
    if repeated is not None:
        key, member = repeated
        written = json.dumps({key: member}, ensure_ascii=ascii_json, default=default)[1:-1]
        text = text.replace(f'"{_REPEATED}": 0', written, 1)
    for number, depth in enumerate(deep):
        text = text.replace(f'"__DEEP_{number}__"', "[" * depth + "]" * depth)
    return text.encode("utf-8", "surrogatepass")


def _with_repeated_key(doc: dict, repeat: tuple[int, int]) -> tuple[str, Any] | None:
    """Puts :data:`_REPEATED` first in the needs object, for a need key written twice: the
    first time with another need's value, which json drops. None when the needs
    object is not there (a mutation took it away)."""
    try:
        needs = _needs(doc)
        keys = sorted(needs)
    except (KeyError, TypeError, AttributeError):
        return None
    if not isinstance(needs, dict) or not keys:
        return None
    key, other = keys[repeat[0] % len(keys)], keys[repeat[1] % len(keys)]
    member = copy.deepcopy(needs[other])
    doc["versions"][doc["current_version"]]["needs"] = {_REPEATED: 0, **needs}
    return key, member


def write_case(case: Case, folder: Path, bom: bool | None = None) -> tuple[Path, Path, bool]:
    """The base (unmutated) folder and the mutated one, each a needs.json and its values,
    and whether a need key is written twice in the mutated needs.json.

    ``bom``: whether the files start with a byte order mark (default: the case's).
    """
    base, mutated = CORPUS / case.corpus, folder / "mutated"
    mutated.mkdir(parents=True, exist_ok=True)
    doc = json.loads((CORPUS / case.corpus / NEEDS_JSON).read_text(encoding="utf-8"))
    config = json.loads((CORPUS / case.corpus / CONFIG_JSON).read_text(encoding="utf-8"))
    lock_file = CORPUS / case.corpus / LOCK_JSON
    # the lock rides in the config while it is mutated; no lock file: none is written
    has_lock = lock_file.is_file()
    config["<lock>"] = json.loads(lock_file.read_text(encoding="utf-8")) if has_lock else {}
    for mutation in case.mutations:
        # an earlier mutation may have changed the shape: this one then has nothing to change
        with contextlib.suppress(
            KeyError, TypeError, AttributeError, IndexError, ZeroDivisionError
        ):
            mutation.apply(doc, config)
    lock = config.pop("<lock>")
    whole = config.pop("<whole file>", config)
    (mutated / LOCK_JSON).unlink(missing_ok=True)
    if has_lock or lock != {}:
        (mutated / LOCK_JSON).write_bytes(_dump(lock, case.ascii_json))
    repeated = _with_repeated_key(doc, case.repeat) if case.repeat is not None else None
    raw = _dump(doc, case.ascii_json, repeated)
    if case.raw is not None:
        how, position, byte = case.raw
        position %= len(raw) + 1
        raw = (
            raw[:position] if how == "truncate" else raw[:position] + bytes([byte]) + raw[position:]
        )
    mark = BOM if (case.bom if bom is None else bom) else b""
    (mutated / NEEDS_JSON).write_bytes(mark + raw)
    (mutated / CONFIG_JSON).write_bytes(mark + _dump(whole, case.ascii_json))
    return base, mutated, repeated is not None


BOM = b"\xef\xbb\xbf"


@dataclass
class Outcome:
    status: int | str
    stdout: bytes
    stderr: str
    output_file: Path | None = None
    problems: list[str] = field(default_factory=list)


@contextlib.contextmanager
def _captured() -> Iterator[tuple[io.BytesIO, io.StringIO]]:
    out, err = io.BytesIO(), io.StringIO()
    saved = sys.stdout, sys.stderr
    sys.stdout = io.TextIOWrapper(out, encoding="utf-8", write_through=True)
    sys.stderr = err
    try:
        yield out, err
    finally:
        wrapper = sys.stdout
        sys.stdout, sys.stderr = saved
        with contextlib.suppress(Exception):
            wrapper.flush()
            wrapper.detach()  # or its end closes ``out``


def run_in_process(argv: list[str]) -> Outcome:
    from sphinx_crmrisk.cli import main

    with _captured() as (out, err):
        try:
            status: int | str = main(argv)
        except SystemExit as exit_:
            status = exit_.code if isinstance(exit_.code, int) else 2
        except BaseException:
            status = "traceback: " + traceback.format_exc().strip().splitlines()[-1]
    return Outcome(status, out.getvalue(), err.getvalue())


_SCHEMA_CACHE: dict[str, Any] = {}


def _schema_errors(document: Any, name: str) -> list[str]:
    import jsonschema

    if name not in _SCHEMA_CACHE:
        path = SCHEMAS / name
        _SCHEMA_CACHE[name] = (
            json.loads(path.read_text(encoding="utf-8")) if path.is_file() else None
        )
    schema = _SCHEMA_CACHE[name]
    if schema is None:
        return []
    error = jsonschema.exceptions.best_match(
        jsonschema.Draft202012Validator(schema).iter_errors(document)
    )
    return [] if error is None else [f"does not match {name}: {error.message[:120]}"]


_PIPE = re.compile(r"(?<!\\)\|")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029]")


def _formula_cells(rows: list[list[Any]]) -> list[str]:
    bad = []
    for row in rows[1:]:  # the header row is ours
        for cell in row:
            text = cell if isinstance(cell, str) else None
            if text and text.startswith(FORMULA_STARTS):
                bad.append(f"formula-like cell without its quote: {text[:30]!r}")
    return bad[:1]


def check_output(command: str, fmt: str, outcome: Outcome) -> list[str]:
    """What is wrong with one run's output (nothing when it is sound)."""
    problems: list[str] = []
    if isinstance(outcome.status, str):
        return [outcome.status]
    if outcome.status not in (0, 1, 2):
        return [f"exit status {outcome.status}"]
    if outcome.status == 2:
        lines = outcome.stderr.splitlines()
        if len(lines) != 1 or not outcome.stderr.endswith("\n") or "\r" in outcome.stderr:
            problems.append(f"exit 2 with {len(lines)} stderr lines: {outcome.stderr[:200]!r}")
        if outcome.stdout:
            problems.append("exit 2 after writing an output")
        return problems
    data = outcome.output_file.read_bytes() if outcome.output_file else outcome.stdout
    if fmt != "xlsx":
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as err:
            return [f"output is not UTF-8: {err}"]
    try:
        if fmt in ("text", "github"):
            lines = text.split("\n")
            if lines[-1] != "" or any(_CONTROL.search(line) or "\r" in line for line in lines):
                problems.append("a control character or line break inside a line")
            body = lines[:-2]  # the counts line, then the final newline
            if fmt == "text" and any(line.startswith("::") for line in lines):
                problems.append("a workflow command at a line start")
            if fmt == "github" and not all(line.startswith("::error ") for line in body):
                problems.append("a line that is not an annotation")
            if lines[-2].startswith("::"):
                problems.append("a workflow command in the counts line")
        elif fmt == "junit":
            ET.fromstring(data)
        elif fmt == "json":
            schema = {"check": "check.schema.json", "matrix": "traceability.schema.json"}.get(
                command
            )
            document = json.loads(text)
            if schema:
                problems += _schema_errors(document, schema)
        elif fmt == "csv":
            rows = list(csv.reader(io.StringIO(text.removeprefix("\ufeff"), newline="")))
            problems += _formula_cells(rows)
        elif fmt == "xlsx":
            import openpyxl

            book = openpyxl.load_workbook(io.BytesIO(data), read_only=True)
            for sheet in book.worksheets:
                problems += _formula_cells([list(r) for r in sheet.iter_rows(values_only=True)])
        elif fmt == "md":
            lines = text.split("\n")[:-1]
            if command == "matrix":  # "Reference date: ...", "", then the table
                cells = [len(_PIPE.findall(line)) for line in lines[2:]]
                # the headings are in the build's language: "| ID |", "| Identifiant |"
                if not lines[2].startswith("| ") or len(set(cells)) != 1:
                    problems.append("a table row with a wrong number of cells")
            if _CONTROL.sub("", text) != text:
                problems.append("a control character in Markdown")
    except Exception as err:
        problems.append(f"{fmt} output does not parse: {type(err).__name__}: {str(err)[:100]}")
    return problems


def run_case(case: Case, tmp: Path) -> list[str]:
    """Every command and format on one case, in folder ``tmp``: the problems found."""
    found: list[str] = []
    base, mutated, repeated = write_case(case, tmp)
    # a need key written twice drops a need: never read (unless a raw byte mutation
    # after it may have changed the key)
    must_refuse = repeated and case.raw is None
    statuses = {}
    answer: tuple[int | str, bytes] | None = None
    for command, fmt in RUNS:
        argv = [command]
        argv += [str(base), str(mutated)] if command == "diff" else [str(mutated)]
        argv += ["--format", fmt]
        output = None
        if fmt == "xlsx":
            output = tmp / "out.xlsx"
            output.unlink(missing_ok=True)
            argv += ["--output", str(output)]
        outcome = run_in_process(argv)
        if output is not None and output.exists() and outcome.status in (0, 1):
            outcome.output_file = output
        elif output is not None and outcome.status in (0, 1):
            found.append(f"{command} {fmt}: no output file")
            continue
        found += [f"{command} {fmt}: {p}" for p in check_output(command, fmt, outcome)]
        if must_refuse and outcome.status != 2:
            found.append(f"{command} {fmt}: a need key written twice read, exit {outcome.status}")
        if command == "check":
            statuses[fmt] = outcome.status
            if fmt == "text":
                answer = (outcome.status, outcome.stdout)
    if len(set(statuses.values())) > 1:
        found.append(f"check formats disagree on the exit status: {statuses}")
    if case.bom:  # the same files without their marks give the same answer
        _base, unmarked, _repeated = write_case(case, tmp / "unmarked", bom=False)
        plain = run_in_process(["check", str(unmarked), "--format", "text"])
        if (plain.status, plain.stdout) != answer:
            found.append(f"a byte order mark changes check's answer: {answer[0]} != {plain.status}")
    return found


def collect(cases_count: int, seed_value: int) -> tuple[int, list[tuple[Case, list[str]]]]:
    """Runs ``cases_count`` cases, seeded; every failing case with its problems."""
    failures: list[tuple[Case, list[str]]] = []
    ran = 0

    with tempfile.TemporaryDirectory(prefix="crmrisk-fuzz-") as tmp:

        @settings(
            max_examples=cases_count,
            derandomize=True,
            database=None,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            phases=["generate"],
        )
        @seed(seed_value)
        @given(cases())
        def one(case: Case) -> None:
            nonlocal ran
            ran += 1
            found = run_case(case, Path(tmp))
            if found:
                failures.append((case, found))

        one()
    return ran, failures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=15)
    parser.add_argument("--show", type=int, default=5, help="failing cases to print")
    args = parser.parse_args(argv)
    ran, failures = collect(args.cases, args.seed)
    kinds: dict[str, int] = {}
    for _case, found in failures:
        for problem in found:
            kind = re.sub(r"'.*", "", problem)[:90]
            kinds[kind] = kinds.get(kind, 0) + 1
    import sphinx_crmrisk

    print(f"package: {Path(sphinx_crmrisk.__file__).parent}")
    print(f"{ran} cases, {ran * len(RUNS)} command runs: {len(failures)} failing cases")
    for kind, count in sorted(kinds.items(), key=lambda kv: -kv[1])[:25]:
        print(f"  {count:5d}  {kind}")
    for case, found in failures[: args.show]:
        print(f"- {case.corpus} {case.mutations} raw={case.raw} ascii={case.ascii_json}")
        for problem in found[:4]:
            print(f"    {problem[:200]}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
