"""The audit pack: one dated PDF, the exports and a SHA-256 manifest, the same bytes
every time.

``crmrisk pack`` (``cli/pack.py``) reads a build, then calls :func:`pack_files`, which
returns every file of the pack in memory: the build's ``needs.json`` and the records
beside it, the exports (the build's, checked against its data, or written from it), the
PDF and ``SHA256SUMS``. Nothing here writes to disk or reads the clock: the pack's date
is ``SOURCE_DATE_EPOCH`` when it is set, else the build's reference date
(:func:`pack_date`), and the PDF's metadata, identifier and font subsets all follow
from its content (:func:`render_pdf`). So an auditor who rebuilds the same commit with
the same tools gets the same bytes.

The PDF is made from HTML (:func:`pack_html`) by WeasyPrint, an optional dependency
(``pip install "sphinx-crmrisk[pdf]"``, and Pango from the system): it is imported when
the PDF is rendered, never when this module is, and its absence is a
:class:`PackError`. Every text of the sources (titles can hold ``<script>``) is escaped
where it goes, HTML or CSS. No Sphinx import.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import datetime as dt
import functools
import hashlib
import html
import importlib.metadata
import io
import logging
import os
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import __version__
from .evidence import EVIDENCE_STATE_LABELS, PROOF_LABELS, EvidenceState, ProofState
from .exports import (
    SUMMARY_COLUMNS,
    SUMMARY_HEADINGS,
    ExportSettings,
    csv_bytes,
    json_bytes,
    summary_record,
    traceability_document,
    workbook_matches,
    xlsx_bytes,
)
from .file_names import BUILD_FILES, MANIFEST, NEEDS_JSON, pdf_name
from .input_paths import folder_sha256
from .kinds import RISK_SCALES, Kind
from .loading import load_traceability
from .model import (
    RISK_LEVEL_LABELS,
    STATE_LABELS,
    Assessment,
    Item,
    RiskScore,
    State,
    parse_date,
    risk_score,
    summaries_by_phase,
)
from .provenance import Provenance, read_provenance
from .reviews import ReviewState
from .settings import CONFIG_JSON, REVIEW_LOCK
from .text import one_line
from .traceability import Traceability
from .translations import is_french, long_date, translator

#: The system libraries WeasyPrint needs, as Debian and Ubuntu name them.
SYSTEM_PACKAGES = "libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core"
INSTALL_HINT = f"install sphinx-crmrisk[pdf] and Pango (apt-get install {SYSTEM_PACKAGES})"
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


class PackError(Exception):
    """A pack that cannot be made: one line, exit status 2, nothing written."""


@dataclass(frozen=True)
class PackFile:
    name: str
    data: bytes

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


def pack_date(traceability: Traceability, environ: Mapping[str, str] | None = None) -> dt.datetime:
    """``SOURCE_DATE_EPOCH`` (seconds since 1970, UTC) when it is set, else midnight UTC
    of the reference date. Never the clock."""
    environ = os.environ if environ is None else environ
    text = environ.get("SOURCE_DATE_EPOCH")
    if text is None or text == "":
        today = traceability.today
        return dt.datetime(today.year, today.month, today.day, tzinfo=dt.UTC)
    if not re.fullmatch(r"[0-9]{1,11}", text.strip()):
        raise PackError(
            f"SOURCE_DATE_EPOCH must be a whole number of seconds since 1970-01-01, not {text!r}"
        )
    return _EPOCH + dt.timedelta(seconds=int(text.strip()))


def law_dates(traceability: Traceability, provenance: Provenance) -> tuple[dt.date, ...]:
    """The date of the statement of the law the data reflects: ``crmrisk_law_date``,
    else the shipped catalogues the build imported (none: not stated)."""
    stated = traceability.settings.law_date
    dates = [stated] if stated else list(provenance.catalogues)
    return tuple(d for d in (parse_date(text) for text in dates) if d is not None)


# -- what the evidence issue adds ---------------------------------------------------------
# The pack shows proof counts, the evidence register and named approvals when the data
# has them. Evidence items (``evidence`` kind, proof states, approvals with a name) are
# not in this version of the model: the three functions below are where they are read
# from the Traceability, and until then say there is none.


@dataclass(frozen=True)
class EvidenceRow:
    """One evidence item as the pack lists it."""

    id: str
    title: str
    proves: tuple[str, ...]
    dated: str
    valid_until: str
    owner: str
    #: ``valid``, ``expired``, ``missing``, ``changed``, ``expiring``
    state: str


@dataclass(frozen=True)
class Approval:
    """A clause's, procedure's (or evidence's) last review: who, what, when."""

    id: str
    title: str
    owner: str
    reviewed: dt.date
    #: who approved it, when the review recorded a name (None: not recorded)
    by: str | None = None


def evidence_register(traceability: Traceability) -> list[EvidenceRow]:
    """Every evidence item with its state, in ID order (inactive ones too: the register
    shows them as such)."""
    return [
        EvidenceRow(
            e.item.id,
            e.item.title,
            tuple(dict.fromkeys(e.item.linked("proves"))),
            e.item.field("dated"),
            e.item.field("valid_until"),
            e.item.field("owner"),
            e.state.value,
        )
        for e in traceability.evidence
    ]


def proof_counts(traceability: Traceability) -> dict[str, int]:
    """Covered and upcoming obligations by proof state, each under its label (proven,
    invalid proof, unproven, in that order); empty when the project has no evidence and
    does not require any (there is then nothing to count)."""
    if not (traceability.has_evidence or traceability.settings.require_evidence):
        return {}
    counts = dict.fromkeys(ProofState, 0)
    for proof in traceability.proofs.values():
        counts[proof.state] += 1
    return {PROOF_LABELS[state]: n for state, n in counts.items()}


def approvals(traceability: Traceability) -> list[Approval]:
    """Each reviewed clause and procedure and each approved evidence, in ID order: its
    owner, its last review and, when ``crmrisk review --by`` named it, who approved it."""
    found = [
        Approval(r.item.id, r.item.title, r.owner, r.reviewed, r.reviewed_by or None)
        for r in traceability.reviews
        if r.reviewed is not None
    ]
    for e in traceability.evidence:
        date = parse_date(e.approval.date) if e.approval is not None else None
        if e.approval is not None and date is not None:
            found.append(
                Approval(
                    e.item.id, e.item.title, e.item.field("owner"), date, e.approval.by or None
                )
            )
    return sorted(found, key=lambda approval: approval.id)


# -- the files of the pack ----------------------------------------------------------------

#: The files of a build folder the pack takes when the build has them.
BUILD_RECORDS = (NEEDS_JSON, CONFIG_JSON, REVIEW_LOCK, *BUILD_FILES.values())


@dataclass(frozen=True)
class Build:
    """What a build folder holds for its pack: its data as the build assessed it, where
    the data came from, and its files by name."""

    traceability: Traceability
    provenance: Provenance
    files: Mapping[str, bytes]


def read_build(needs_json: Path) -> Build:
    """The build of ``needs_json``, read from its folder: what ``crmrisk pack`` packs, and
    what a build that writes its own PDF (``crmrisk_pack_pdf``) reads back, so that both
    make the same bytes. Raises :class:`PackError` or :class:`~.needs_json.LoadError`."""
    config = needs_json.with_name(CONFIG_JSON)
    if not config.is_file():
        raise PackError(
            f"{config}: no such file: the build recorded no settings beside {NEEDS_JSON} "
            "(a project without crmrisk items, or a build by an older sphinx-crmrisk): "
            "build it again"
        )
    traceability = load_traceability(needs_json)
    try:
        provenance = read_provenance(config)
    except ValueError as err:
        raise PackError(f"{config}: unusable record: {err}") from None
    files = {}
    for name in BUILD_RECORDS:
        # the needs.json given may have another name: it is the pack's needs.json
        path = needs_json if name == NEEDS_JSON else needs_json.with_name(name)
        if not path.is_file():
            continue
        try:
            files[name] = path.read_bytes()
        except OSError as err:
            raise PackError(f"{path}: cannot read: {err.strerror or err}") from None
    return Build(traceability, provenance, files)


def pack_files(
    traceability: Traceability,
    provenance: Provenance,
    build_files: Mapping[str, bytes],
    *,
    date: dt.datetime,
    render: Callable[[str, dt.datetime], bytes] | None = None,
) -> list[PackFile]:
    """Every file of the pack, in memory, the manifest last.

    ``build_files``: the files of the build folder by name: ``needs.json`` and
    ``crmrisk-config.json`` (required), the review lock and the exports when the build
    has them. An export the build has must hold what its needs.json gives (else the
    pack would contradict itself: :class:`PackError`); one it lacks is written here.
    ``render``: HTML to PDF (default: :func:`render_pdf`).
    """
    for required in (NEEDS_JSON, CONFIG_JSON):
        if required not in build_files:
            raise PackError(f"the build has no {required}")
    settings = ExportSettings.of(traceability.settings)
    document = traceability_document(traceability)
    files = [PackFile(NEEDS_JSON, build_files[NEEDS_JSON])]
    files.append(PackFile(CONFIG_JSON, build_files[CONFIG_JSON]))
    if REVIEW_LOCK in build_files:
        files.append(PackFile(REVIEW_LOCK, build_files[REVIEW_LOCK]))
    expected: dict[str, Callable[[], bytes]] = {
        "json": lambda: json_bytes(document),
        "csv": lambda: csv_bytes(document, settings),
        "xlsx": lambda: xlsx_bytes(document, settings),
    }
    for kind, name in BUILD_FILES.items():
        given = build_files.get(name)
        if given is None:
            files.append(PackFile(name, expected[kind]()))
            continue
        same = (
            workbook_matches(given, document, settings)
            if kind == "xlsx"
            else given == expected[kind]()
        )
        if not same:
            raise PackError(
                f"the build's {name} does not hold what its {NEEDS_JSON} gives (written by "
                "another version of sphinx-crmrisk, or edited since): build it again"
            )
        files.append(PackFile(name, given))
    toolchain, render_html = (None, render) if render is not None else _weasyprint_renderer()
    source = pack_html(traceability, provenance, files, date=date, toolchain=toolchain)
    files.append(PackFile(pdf_name(settings.language), render_html(source, date)))
    files.sort(key=lambda f: f.name)
    files.append(PackFile(MANIFEST, manifest(files)))
    return files


def manifest(files: Sequence[PackFile]) -> bytes:
    """``sha256sum``'s format, which ``sha256sum -c`` reads: the digest, two spaces (text
    mode: no ``*``), the name relative to the pack's folder; sorted by name."""
    lines = [f"{f.sha256}  {f.name}\n" for f in sorted(files, key=lambda f: f.name)]
    return "".join(lines).encode("utf-8")


# -- the PDF ------------------------------------------------------------------------------


@contextlib.contextmanager
def _font_timestamps(date: dt.datetime) -> Iterator[None]:
    """``SOURCE_DATE_EPOCH`` set while the PDF is written, unless it already is: where
    HarfBuzz cannot subset the fonts, fontTools does, and stamps the clock into each
    subset (``head.modified``) unless this is set."""
    old = os.environ.get("SOURCE_DATE_EPOCH")
    if old is None:
        os.environ["SOURCE_DATE_EPOCH"] = str(int((date - _EPOCH).total_seconds()))
    try:
        yield
    finally:
        if old is None:
            os.environ.pop("SOURCE_DATE_EPOCH", None)


@contextlib.contextmanager
def _weasyprint_quiet() -> Iterator[None]:
    """WeasyPrint's log kept to itself: its warnings (a font subset by fontTools...) and
    its progress (« Step 2 - Fetching and parsing CSS », printed at each build where a
    library has set the root logger to INFO) are not the reader's business."""
    log = logging.getLogger("weasyprint")
    quiet = logging.NullHandler()
    log.addHandler(quiet)
    propagate, log.propagate = log.propagate, False
    try:
        yield
    finally:
        log.removeHandler(quiet)
        log.propagate = propagate


def _no_fetching(url: str, *args: Any, **kwargs: Any) -> Any:
    """The pack's HTML refers to nothing outside itself: any URL is refused."""
    raise ValueError(f"the audit pack loads no resource ({url[:60]})")


def _weasyprint_renderer() -> tuple[dict[str, str], Callable[[str, dt.datetime], bytes]]:
    """The versions of the tools that make the PDF, and the renderer; PackError in one
    line when WeasyPrint or Pango is missing."""
    try:
        # without Pango, WeasyPrint prints a page of explanations to stdout, then raises;
        # and it logs the parsing of its own style sheets when imported
        with contextlib.redirect_stdout(io.StringIO()), _weasyprint_quiet():
            import weasyprint
            from weasyprint.text.ffi import harfbuzz_subset, pango
    except ImportError as err:
        raise PackError(f"the PDF needs WeasyPrint ({err}): {INSTALL_HINT}") from None
    except OSError as err:
        raise PackError(f"WeasyPrint cannot load Pango ({err}): {INSTALL_HINT}") from None
    import fontTools
    import pydyf

    versions = {
        "WeasyPrint": weasyprint.__version__,
        "pydyf": pydyf.__version__,
        "fontTools": fontTools.version,
        "Pango": _pango_version(pango.pango_version()),
        # the font subsets differ with the tool that made them
        "font subsets": "HarfBuzz" if harfbuzz_subset else "fontTools",
    }

    def render(source: str, date: dt.datetime) -> bytes:
        try:
            with _font_timestamps(date), _weasyprint_quiet():
                document = weasyprint.HTML(string=source, url_fetcher=_no_fetching)
                data = document.write_pdf(pdf_identifier=True)
        except (OSError, ValueError, RuntimeError) as err:
            raise PackError(f"the PDF could not be made: {one_line(str(err))}") from None
        if not isinstance(data, bytes):
            raise PackError("the PDF could not be made: WeasyPrint returned no bytes")
        return data

    return versions, render


def pdf_inputs_digest(
    build_files: Mapping[str, bytes], environ: Mapping[str, str] | None = None
) -> str:
    """One digest of everything the pack's PDF is made from: the build's files by name
    (``needs.json``, its settings, the lock, the exports), ``SOURCE_DATE_EPOCH``, the
    versions of the tools that render it and this package's own code. Two builds with
    the same digest would render the same bytes, so a build that finds the PDF of this
    digest in its output need not render it again (4 s on the handbook)."""
    environ = os.environ if environ is None else environ
    digest = hashlib.sha256()
    for part in (
        __version__,
        _package_digest(),
        *_toolchain_versions(),
        environ.get("SOURCE_DATE_EPOCH", ""),
    ):
        digest.update(f"{part}\0".encode())
    for name in sorted(build_files):
        digest.update(f"{name}\0{len(build_files[name])}\0".encode())
        digest.update(build_files[name])
    return digest.hexdigest()


@functools.cache
def _package_digest() -> str:
    """The code and messages of this package: a change of either (an editable install)
    may change the PDF."""
    return folder_sha256(Path(__file__).parent, (".py", ".mo", ".css"))


@functools.cache
def _toolchain_versions() -> tuple[str, ...]:
    """The versions the PDF's cover names, read without importing WeasyPrint (0.4 s);
    once a process (finding the libraries asks ldconfig: 40 ms a build otherwise)."""
    versions = []
    for dist in ("weasyprint", "pydyf", "fonttools"):
        try:
            versions.append(f"{dist} {importlib.metadata.version(dist)}")
        except importlib.metadata.PackageNotFoundError:
            versions.append(f"{dist} none")
    for library, symbol in (("pango-1.0", "pango_version"), ("harfbuzz-subset", None)):
        found = ctypes.util.find_library(library)
        version = ""
        if found and symbol:
            try:
                version = str(getattr(ctypes.CDLL(found), symbol)())
            except (OSError, AttributeError):
                version = "unreadable"
        versions.append(f"{library} {found} {version}")
    return tuple(versions)


def _pango_version(number: int) -> str:
    return f"{number // 10000}.{number // 100 % 100}.{number % 100}"


def render_pdf(source: str, date: dt.datetime) -> bytes:
    """The PDF of ``source`` (:func:`pack_html`'s), dated ``date``; PackError when
    WeasyPrint or Pango is missing."""
    return _weasyprint_renderer()[1](source, date)


def _e(value: Any) -> str:
    """Any text of the sources, safe in HTML: one line, no control character, escaped."""
    return html.escape(one_line(str(value)), quote=True)


def _css_string(text: str) -> str:
    """A CSS string holding ``text``: every character but letters, digits and spaces
    written as an escape, so that nothing in it can end the string or the rule."""
    return (
        '"'
        + "".join(
            c if (c.isascii() and c.isalnum()) or c == " " else f"\\{ord(c):x} "
            for c in one_line(text)
        )
        + '"'
    )


_CSS = """
@page {
  size: A4; margin: 20mm 15mm 18mm 15mm;
  @top-left { content: %(organization)s; font-size: 8pt; color: #444; }
  @top-right { content: %(reference)s; font-size: 8pt; color: #444; }
  @bottom-left { content: string(section); font-size: 8pt; color: #444; }
  @bottom-right { content: "page " counter(page) " / " counter(pages); font-size: 8pt; color: #444; }
}
@page :first { @top-left { content: none } @top-right { content: none } @bottom-left { content: none } }
@page wide { size: A4 landscape; margin: 18mm 12mm 16mm 12mm; }
html { font-family: "DejaVu Sans", sans-serif; font-size: 9.5pt; line-height: 1.35; color: #111; }
body { margin: 0; }
h1 { font-size: 16pt; margin: 0 0 4mm 0; string-set: section content(text); break-before: page;
     border-bottom: 1.5pt solid #1f3b63; color: #1f3b63; padding-bottom: 1.5mm; }
h2 { font-size: 12pt; margin: 6mm 0 2mm 0; color: #1f3b63; break-after: avoid; }
p { margin: 0 0 2.5mm 0; }
.cover { text-align: center; padding-top: 35mm; }
.cover h1 { break-before: auto; border: none; font-size: 26pt; string-set: section ""; }
.cover .organization { font-size: 17pt; font-weight: bold; margin: 6mm 0 14mm 0; }
.cover table.facts { margin: 0 auto; text-align: left; width: 150mm; }
.cover .notice { margin-top: 22mm; font-style: italic; }
table { border-collapse: collapse; width: 100%%; margin: 1mm 0 4mm 0; }
thead { display: table-header-group; }
tr { break-inside: avoid; }
th, td { border: 0.5pt solid #9aa5b1; padding: 1mm 1.4mm; vertical-align: top; text-align: left; }
th { background: #dde4ee; font-weight: bold; }
table.data { font-size: 8pt; }
table.facts th { width: 38%%; background: none; font-weight: normal; color: #333; }
table.facts th, table.facts td { border: none; border-bottom: 0.5pt solid #ccd; }
td.number, th.number { text-align: right; }
.id, .date, .nowrap { white-space: nowrap; }
.mono { font-family: "DejaVu Sans Mono", monospace; font-size: 8pt; }
.hash { font-family: "DejaVu Sans Mono", monospace; font-size: 8pt; white-space: nowrap; }
td, th { overflow-wrap: break-word; hyphens: manual; }
.none { font-style: italic; color: #444; }
.note { font-size: 8pt; color: #444; }
.warn { color: #8a4b00; font-weight: bold; }
.state-uncovered { color: #842029; font-weight: bold; }
.state-lapsed, .state-out_of_scope { color: #555; font-style: italic; }
.state-upcoming { color: #084298; }
.review-overdue { color: #842029; font-weight: bold; }
.wide { page: wide; }
table.heatmap { width: 150mm; font-size: 8pt; }
table.heatmap td { height: 13mm; width: 22%%; }
table.heatmap th { width: 12%%; }
.level-low { background: #d1e7dd; }
.level-medium { background: #fff3cd; }
.level-high { background: #f8d7da; }
dl.figures { display: block; }
"""


def _state_class(state: State) -> str:
    return f"state-{state.value}"


def pack_html(
    traceability: Traceability,
    provenance: Provenance,
    files: Sequence[PackFile],
    *,
    date: dt.datetime,
    toolchain: Mapping[str, str] | None = None,
) -> str:
    """The PDF's HTML, in the build's language: cover, summary, gaps, reviews to do,
    risks, matrix, evidence and approvals, annex (``files``: the other files of the
    pack, listed there with their SHA-256)."""
    language = traceability.settings.language
    french = is_french(language)
    _ = translator(language)
    colon = "\u202f:" if french else ":"
    model = traceability.model

    def day(value: dt.date | str | None) -> str:
        """A date in words, in a span that keeps it on one line; a text that is not a
        date is shown as it is."""
        if value is None or value == "":
            return ""
        date_value = parse_date(value) if isinstance(value, str) else value
        if date_value is None:
            return _e(value)
        return f'<span class="date">{_e(long_date(date_value, language))}</span>'

    def ident(item_id: str) -> str:
        return f'<span class="id">{_e(item_id)}</span>'

    def idents(ids: Sequence[str]) -> str:
        return ", ".join(ident(i) for i in ids)

    def none() -> str:
        return f'<p class="none">{_e(_("none"))}</p>'

    def table(
        headers: Sequence[str],
        rows: Sequence[Sequence[str]],
        widths: Sequence[int],
        classes: str = "data",
        numbers: Sequence[int] = (),
    ) -> str:
        """Cells already HTML; a percentage on every column (auto layout keeps them)."""
        head = "".join(
            f'<th style="width: {w}%"{" class=number" if i in numbers else ""}>{_e(h)}</th>'
            for i, (h, w) in enumerate(zip(headers, widths, strict=True))
        )
        body = "".join(
            "<tr>"
            + "".join(
                f"<td{' class=number' if i in numbers else ''}>{cell}</td>"
                for i, cell in enumerate(row)
            )
            + "</tr>"
            for row in rows
        )
        return (
            f'<table class="{classes}"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'
        )

    state_words = {state: _(label) for state, label in STATE_LABELS.items()}

    def state(assessment: Assessment) -> str:
        s = assessment.state
        return f'<span class="{_state_class(s)}">{_e(state_words[s])}</span>'

    parts: list[str] = []

    # -- cover -----------------------------------------------------------------------
    settings = traceability.settings
    organization = settings.organization or _("not stated")
    laws = law_dates(traceability, provenance)
    if laws:
        law = ", ".join(day(d) for d in laws)
        if not settings.law_date:
            law += " " + _e(_("(shipped catalogue of sphinx-crmrisk)"))
    else:
        law = _e(_("not stated"))
    needs = next((f for f in files if f.name == NEEDS_JSON), None)
    if provenance.commit:
        commit = f'<span class="hash">{_e(provenance.commit)}</span>'
        if provenance.folder and provenance.folder != ".":
            commit += "<br>" + _e(_("folder {folder}").format(folder=provenance.folder))
        if provenance.modified:
            commit += '<br><span class="warn">' + _e(_("with changes not committed")) + "</span>"
    else:
        commit = _e(_("not recorded (the sources are not a git checkout)"))
    facts = [
        (_("Statement of the law as of"), law),
        (_("Reference date"), day(traceability.today)),
        (_("Date of the pack"), day(date.date())),
        (_("Commit of the sources"), commit),
        (
            _("SHA-256 of {file}").format(file=NEEDS_JSON),
            f'<span class="hash">{needs.sha256 if needs else ""}</span>',
        ),
        (_("Made by"), _e(f"sphinx-crmrisk {__version__}")),
    ]
    parts.append('<section class="cover">')
    parts.append(f"<h1>{_e(_('Compliance file'))}</h1>")
    parts.append(f'<p class="organization">{_e(organization)}</p>')
    parts.append(
        '<table class="facts"><tbody>'
        + "".join(f"<tr><th>{_e(k)}</th><td>{v}</td></tr>" for k, v in facts)
        + "</tbody></table>"
    )
    parts.append(
        f'<p class="notice">{_e(_("This file is not legal advice: it states what the sources of the handbook say on the reference date."))}</p>'
    )
    parts.append("</section>")

    # -- summary ---------------------------------------------------------------------
    assessments = traceability.assessments
    gaps = traceability.gaps
    reviews = traceability.reviews
    suspects = [s for r in reviews for s in r.suspects]
    overdue = [r for r in reviews if r.state is ReviewState.OVERDUE]
    evidence = evidence_register(traceability)
    proofs = proof_counts(traceability)
    risks = sorted(model.of_kind(Kind.RISK), key=lambda item: item.id)
    parts.append(f"<h1>{_e(_('Summary'))}</h1>")
    parts.append(f"<h2>{_e(_('Coverage by phase'))}</h2>")
    proof_columns = ("proven", "proof_invalid", "unproven")
    summary_columns = [c for c in SUMMARY_COLUMNS if c != "in_force" and c not in proof_columns]
    rows = []
    proof_rows = []
    phase_summaries = summaries_by_phase(model, assessments)
    for summary, proof in zip(phase_summaries, traceability.proof_summaries, strict=True):
        record = summary_record(model, summary, proof)
        cells = []
        for column in summary_columns:
            value = record[column]
            if column == "phase":
                cells.append(ident(value) if value else "")
            elif column == "title":
                cells.append(_e(_(value) if record["phase"] is None else value))
            elif column == "percent":
                cells.append(_e(f"{value:.0f}\u00a0%" if french else f"{value:.0f}%"))
            else:
                cells.append(_e(value))
        rows.append(cells)
        proof_rows.append(cells[:2] + [_e(record[column]) for column in proof_columns])
    headers = [_(SUMMARY_HEADINGS[c]) for c in summary_columns]
    parts.append(
        table(
            headers,
            rows,
            [14, 18, 9, 8, 7, 8, 7, 8, 9, 12],
            numbers=range(2, len(summary_columns)),
        )
    )
    if proofs:
        # the proof of the covered and upcoming obligations, per phase: a table of its
        # own, as the coverage view has (the states' table is as wide as the page)
        parts.append(f"<h2>{_e(_('Proof by phase'))}</h2>")
        parts.append(
            table(
                [_(SUMMARY_HEADINGS[c]) for c in ("phase", "title", *proof_columns)],
                proof_rows,
                [18, 34, 16, 16, 16],
                numbers=range(2, 5),
            )
        )
    expired = [e for e in evidence if e.state == "expired"]
    others = [f for f in traceability.findings if f.subtype not in ("suspect", "review_overdue")]
    figures = [
        (_("Uncovered obligations (gaps)"), str(len(gaps))),
        (_("Suspect covers"), str(len(suspects))),
        (_("Overdue reviews"), str(len(overdue))),
        (_("Other problems in the data"), str(len(others))),
        (
            _("Proof of the covered obligations"),
            "; ".join(f"{_(k)}{colon} {v}" for k, v in proofs.items())
            if proofs
            else _("none (no evidence recorded)"),
        ),
        (
            _("Expired evidence"),
            str(len(expired)) if evidence else _("none (no evidence recorded)"),
        ),
        (_("Risks"), str(len(risks)) if risks else _("none")),
    ]
    parts.append(f"<h2>{_e(_('Key figures'))}</h2>")
    parts.append(
        '<table class="facts"><tbody>'
        + "".join(f"<tr><th>{_e(k)}</th><td>{_e(v)}</td></tr>" for k, v in figures)
        + "</tbody></table>"
    )

    # -- gaps ------------------------------------------------------------------------
    parts.append(f"<h1>{_e(_('Gaps'))}</h1>")
    parts.append(f"<h2>{_e(_('Uncovered obligations'))}</h2>")
    if gaps:
        rows = []
        for gap in gaps:
            obligation = gap.obligation
            what = _e(obligation.title)
            if gap.upcoming:
                what += (
                    '<br><span class="note">'
                    + _e(
                        _("Takes effect on {date}.").format(
                            date=_long_date_text(obligation.field("effective"), language)
                        )
                    )
                    + "</span>"
                )
            if gap.discounted:
                what += (
                    '<br><span class="note">'
                    + _e(_("Not counted:"))
                    + " "
                    + ", ".join(
                        f"{ident(item.id)} ({_e(item.status or item.type)})"
                        for item, _why in gap.discounted
                    )
                    + "</span>"
                )
            rows.append(
                [
                    ident(obligation.id),
                    what,
                    _e(obligation.field("legal_basis")),
                    idents(obligation.linked("phase")),
                    _e(obligation.location),
                ]
            )
        parts.append(
            table(
                [_("ID"), _("Obligation"), _("Legal basis"), _("Phases"), _("Location")],
                rows,
                [17, 31, 24, 13, 15],
            )
        )
    else:
        parts.append(none())
    parts.append(f"<h2>{_e(_('Other problems in the data'))}</h2>")
    if others:
        parts.append(
            table(
                [_("ID"), _("Problem"), _("Location")],
                [
                    [
                        ident(f.item.id),
                        f'<span class="mono">crmrisk.{_e(f.subtype)}</span> ' + _e(f.message),
                        _e(f.item.location),
                    ]
                    for f in others
                ],
                [17, 63, 20],
            )
        )
    else:
        parts.append(none())

    # -- reviews to do ---------------------------------------------------------------
    parts.append(f"<h1>{_e(_('Reviews to do'))}</h1>")
    parts.append(f"<h2>{_e(_('Suspect covers'))}</h2>")
    if suspects:
        parts.append(
            table(
                [
                    _("Covering item"),
                    _("Owner"),
                    _("Obligation covered"),
                    _("Changed since its review"),
                ],
                [
                    [
                        ident(s.item.id),
                        _e(s.item.field("owner") or _("No owner")),
                        ident(s.obligation.id) + "<br>" + _e(s.obligation.title),
                        _e(", ".join(s.changed)),
                    ]
                    for s in suspects
                ],
                [18, 22, 38, 22],
            )
        )
    else:
        parts.append(none())
    parts.append(f"<h2>{_e(_('Overdue reviews'))}</h2>")
    if overdue:
        parts.append(
            table(
                [_("ID"), _("Title"), _("Owner"), _("Last reviewed"), _("Due")],
                [
                    [
                        ident(r.item.id),
                        _e(r.item.title),
                        _e(r.owner or _("No owner")),
                        day(r.reviewed),
                        f'<span class="review-overdue">{day(r.due)}</span>',
                    ]
                    for r in overdue
                ],
                [17, 33, 20, 15, 15],
            )
        )
    else:
        parts.append(none())

    # -- risks -----------------------------------------------------------------------
    parts.append(f"<h1>{_e(_('Risks'))}</h1>")
    if risks:
        parts.append(_heatmap(risks, _, ident))
        parts.append(_risk_register(risks, traceability, _, ident, table, state_words))
    else:
        parts.append(none())

    # -- matrix ----------------------------------------------------------------------
    parts.append('<section class="wide">')
    parts.append(f"<h1>{_e(_('Traceability matrix'))}</h1>")
    if assessments:
        rows = []
        for assessment in assessments:
            obligation = assessment.obligation
            effective = day(obligation.field("effective"))
            until = obligation.field("until")
            if until:
                effective += "<br>" + _e(_("until")) + " " + day(until)
            rows.append(
                [
                    ident(obligation.id),
                    _e(obligation.title),
                    state(assessment),
                    idents(obligation.linked("phase")),
                    _e(obligation.field("legal_basis")),
                    effective,
                    idents([i.id for i in assessment.covering]) or "",
                ]
            )
        parts.append(
            table(
                [
                    _("ID"),
                    _("Title"),
                    _("State"),
                    _("Phases"),
                    _("Legal basis"),
                    _("Effective"),
                    _("Covered by"),
                ],
                rows,
                [13, 20, 7, 9, 30, 10, 11],
            )
        )
    else:
        parts.append(none())
    parts.append("</section>")

    # -- evidence and approvals ------------------------------------------------------
    parts.append(f"<h1>{_e(_('Evidence and approvals'))}</h1>")
    parts.append(f"<h2>{_e(_('Register of the evidence'))}</h2>")
    if evidence:
        parts.append(
            table(
                [
                    _("ID"),
                    _("Title"),
                    _("Proves"),
                    _("Dated"),
                    _("Valid until"),
                    _("Owner"),
                    _("State"),
                ],
                [
                    [
                        ident(e.id),
                        _e(e.title),
                        idents(e.proves),
                        day(e.dated),
                        day(e.valid_until),
                        _e(e.owner),
                        _e(_(EVIDENCE_STATE_LABELS[EvidenceState(e.state)])),
                    ]
                    for e in evidence
                ],
                [14, 24, 16, 11, 11, 14, 10],
            )
        )
    else:
        parts.append(none())
    parts.append(f"<h2>{_e(_('Approvals'))}</h2>")
    approved = approvals(traceability)
    if approved:
        named = any(a.by for a in approved)
        headers = [_("ID"), _("Title"), _("Owner"), _("Last reviewed")]
        widths = [17, 40, 25, 18]
        if named:
            headers.append(_("By"))
            widths = [15, 33, 20, 15, 17]
        parts.append(
            table(
                headers,
                [
                    [ident(a.id), _e(a.title), _e(a.owner or _("No owner")), day(a.reviewed)]
                    + ([_e(a.by or "")] if named else [])
                    for a in approved
                ],
                widths,
            )
        )
    else:
        parts.append(none())

    # -- annex -----------------------------------------------------------------------
    parts.append(f"<h1>{_e(_('Annex: the files of the pack'))}</h1>")
    parts.append(
        "<p>"
        + _e(
            _(
                "Each file of the pack beside this PDF, with its size and SHA-256; the file {manifest} lists them all, this PDF included. Check them with:"
            ).format(manifest=MANIFEST)
        )
        + f' <span class="mono">sha256sum -c {MANIFEST}</span></p>'
    )
    parts.append(
        table(
            [_("File"), _("Bytes"), "SHA-256"],
            [
                [
                    _e(f.name),
                    _e(f"{len(f.data):,}".replace(",", "\u202f" if french else ",")),
                    f'<span class="hash">{f.sha256}</span>',
                ]
                for f in sorted(files, key=lambda f: f.name)
            ],
            [22, 12, 66],
            numbers=(1,),
        )
    )
    if toolchain:
        parts.append(
            '<p class="note">'
            + _e(
                _("Made with {tools}.").format(
                    tools=", ".join(f"{k} {v}" for k, v in toolchain.items())
                )
            )
            + "</p>"
        )

    css = _CSS % {
        "organization": _css_string(organization),
        "reference": _css_string(
            f"{_('Reference date')}{colon} {long_date(traceability.today, language)}"
        ),
    }
    stamp = date.strftime("%Y-%m-%dT%H:%M:%SZ")
    title = f"{_('Compliance file')} \u2014 {organization}"
    return (
        "<!DOCTYPE html>\n"
        f'<html lang="{_e(language)}"><head><meta charset="utf-8">'
        f"<title>{_e(title)}</title>"
        f'<meta name="author" content="{_e(organization)}">'
        f'<meta name="generator" content="sphinx-crmrisk {_e(__version__)}">'
        f'<meta name="dcterms.created" content="{stamp}">'
        f'<meta name="dcterms.modified" content="{stamp}">'
        f"<style>{css}</style></head><body>\n" + "\n".join(parts) + "\n</body></html>\n"
    )


def _long_date_text(value: str, language: str) -> str:
    date = parse_date(value)
    return long_date(date, language) if date else value


def _heatmap(risks: Sequence[Item], _: Callable[[str], str], ident: Callable[[str], str]) -> str:
    scores = {r.id: risk_score(r) for r in risks}
    rows = []
    head = f"<th>{_e(_('Severity'))} \u2193 / {_e(_('Likelihood'))} \u2192</th>" + "".join(
        f"<th>{_e(_scale(_, 'likelihood', v))}</th>" for v in (1, 2, 3, 4)
    )
    for severity in (4, 3, 2, 1):
        cells = [f"<th>{_e(_scale(_, 'severity', severity))}</th>"]
        for likelihood in (1, 2, 3, 4):
            level = RiskScore(likelihood, severity).level
            here = [
                r.id
                for r in risks
                if (s := scores[r.id]) is not None
                and (s.likelihood, s.severity) == (likelihood, severity)
            ]
            cells.append(f'<td class="level-{level.value}">{" ".join(ident(i) for i in here)}</td>')
        rows.append("<tr>" + "".join(cells) + "</tr>")
    unscored = [r.id for r in risks if scores[r.id] is None]
    note = (
        f'<p class="note">{_e(_("Not scored:"))} {", ".join(ident(i) for i in unscored)}</p>'
        if unscored
        else ""
    )
    return (
        f"<h2>{_e(_('Heat map'))}</h2>"
        f'<table class="heatmap"><thead><tr>{head}</tr></thead><tbody>{"".join(rows)}</tbody></table>'
        + note
    )


def _scale(_: Callable[[str], str], name: str, value: int) -> str:
    return f"{value} \u2013 {_(RISK_SCALES[name][value])}"


def _risk_register(
    risks: Sequence[Item],
    traceability: Traceability,
    _: Callable[[str], str],
    ident: Callable[[str], str],
    table: Callable[..., str],
    state_words: Mapping[State, str],
) -> str:
    states = {a.obligation.id: a.state for a in traceability.assessments}
    levels = list(RISK_LEVEL_LABELS)

    def order(risk: Item) -> tuple[int, int, int, str]:
        score = risk_score(risk)
        if score is None:
            return (1, 0, 0, risk.id)
        return (0, -levels.index(score.level), -score.product, risk.id)

    rows = []
    for risk in sorted(risks, key=order):
        score = risk_score(risk)
        if score is None:
            level = severity = likelihood = "\u2014"
        else:
            level = f'<span class="level-{score.level.value}">{_e(_(RISK_LEVEL_LABELS[score.level]))}</span>'
            severity = _e(_scale(_, "severity", score.severity))
            likelihood = _e(_scale(_, "likelihood", score.likelihood))
        addressed = []
        for target in risk.linked("addresses"):
            state = states.get(target)
            words = f" ({_e(state_words[state])})" if state is not None else ""
            css = f' class="state-{state.value}"' if state is not None else ""
            addressed.append(f"{ident(target)}<span{css}>{words}</span>")
        rows.append(
            [
                ident(risk.id),
                _e(risk.title),
                level,
                severity,
                likelihood,
                _e(risk.field("owner")),
                ", ".join(addressed),
            ]
        )
    return f"<h2>{_e(_('Risk register'))}</h2>" + table(
        [
            _("ID"),
            _("Risk"),
            _("Level"),
            _("Severity"),
            _("Likelihood"),
            _("Owner"),
            _("Obligations addressed and their state"),
        ],
        rows,
        [11, 19, 7, 11, 12, 12, 28],
    )
