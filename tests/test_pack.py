"""``crmrisk pack``: the audit pack, read back as a reviewer reads it.

The PDF is read with pypdf (text, pages, outline, metadata); the manifest is checked
with ``sha256sum -c``; two packs are made in two processes and compared byte for byte.
Each test project is built once per module (``build_once``), then packed.
"""

from __future__ import annotations

import hashlib
import importlib.abc
import importlib.util
import json
import math
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

import pypdf
import pytest
from sphinx.testing.util import SphinxTestApp
from sphinx_builds import build_once, edit

from sphinx_crmrisk import load_traceability
from sphinx_crmrisk.cli import main
from sphinx_crmrisk.file_names import MANIFEST
from sphinx_crmrisk.pack import (
    PackError,
    pack_date,
    pack_html,
    pdf_inputs_digest,
    read_build,
)
from sphinx_crmrisk.provenance import Provenance

ROOTS = Path(__file__).parent / "roots"
PDF_FR, PDF_EN = "dossier-audit.pdf", "audit-pack.pdf"
PACK_FILES = {
    "SHA256SUMS",
    "crmrisk-config.json",
    "crmrisk-reviews.json",
    "needs.json",
    "traceability.csv",
    "traceability.json",
    "traceability.xlsx",
}
OBLIGATIONS = {
    "OBL-COVERED",
    "OBL-GAP",
    "OBL-SCRIPT",
    "OBL-LAPSED",
    "OBL-UPCOMING",
    "OBL-CONSO-DEMARCHAGE-TELEPHONIQUE-CONSENTEMENT-PREALABLE",
}


def built(tmp_path_factory, root: str, **confoverrides) -> Path:
    """The HTML output folder of a private copy of ``tests/roots/test-<root>``."""
    source = tmp_path_factory.mktemp(root) / "src"
    shutil.copytree(ROOTS / f"test-{root}", source)
    app = build_once(source, confoverrides=confoverrides)
    return Path(app.outdir)


def pack(build: Path, output: Path, capsys=None) -> Path:
    assert main(["pack", str(build), "--output", str(output)]) == 0
    if capsys is not None:
        capsys.readouterr()
    return output


def text_of(pdf: Path) -> list[str]:
    """Each page's text, its white space made single spaces (U+202F and U+00A0 too)."""
    reader = pypdf.PdfReader(pdf)
    return [" ".join(page.extract_text().split()) for page in reader.pages]


#: The running header (the organization, the reference date) and footer (the section,
#: the page number), which pypdf gives at the end of each page's text.
ORGANIZATIONS = ("Société Exemple & <Fils>", "non indiqué", "acme")
SECTIONS = (
    "Synthèse",
    "Écarts",
    "Revues à faire",
    "Risques",
    "Matrice de traçabilité",
    "Preuves et approbations",
    "Annexe : les fichiers du dossier",
    "Summary",
    "Gaps",
    "Reviews to do",
    "Risks",
    "Traceability matrix",
    "Evidence and approvals",
    "Annex: the files of the pack",
)
_FURNITURE = re.compile(
    rf" ?(?:(?:{'|'.join(map(re.escape, ORGANIZATIONS))}) "
    r"(?:Date de référence|Reference date) ?: \S+ \S+ \d{4} )?"
    rf"(?:{'|'.join(map(re.escape, SECTIONS))})? ?page \d+ / \d+$"
)


def body(page: str) -> str:
    """A page's text without its running header and footer."""
    return _FURNITURE.sub("", page)


def section(pages: list[str], heading: str, following: str, after: str | None = None) -> str:
    """The text between two headings, over the pages, running headers and footers left
    out (the first ``heading`` after ``after``, when its words come earlier too)."""
    text = " ".join(body(page) for page in pages)
    start = text.index(heading, text.index(after) if after else 0)
    return text[start + len(heading) : text.index(following, start)]


@pytest.fixture(scope="module")
def french(tmp_path_factory):
    """The test project built in French, and its pack."""
    build = built(tmp_path_factory, "pack")
    output = tmp_path_factory.mktemp("pack") / "dossier"
    assert main(["pack", str(build), "--output", str(output)]) == 0
    return build, output


@pytest.fixture(scope="module")
def french_text(french):
    return text_of(french[1] / PDF_FR)


# -- the files --------------------------------------------------------------------------


def test_the_pack_holds_the_pdf_the_build_files_and_a_manifest(french):
    build, output = french
    assert {p.name for p in output.iterdir()} == PACK_FILES | {PDF_FR}
    # copies of the build's own files, byte for byte
    for name in PACK_FILES - {MANIFEST}:
        assert (output / name).read_bytes() == (build / name).read_bytes(), name


def test_sha256sum_checks_the_manifest(french):
    output = french[1]
    result = subprocess.run(
        ["sha256sum", "-c", MANIFEST], cwd=output, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.count(": OK") == len(PACK_FILES | {PDF_FR}) - 1
    # the same in Python: two spaces, a relative name, sorted, every other file once
    lines = (output / MANIFEST).read_text(encoding="utf-8").splitlines()
    names = [line.split("  ", 1)[1] for line in lines]
    assert names == sorted((PACK_FILES | {PDF_FR}) - {MANIFEST})
    for line in lines:
        digest, name = line.split("  ", 1)
        assert hashlib.sha256((output / name).read_bytes()).hexdigest() == digest


def test_a_pack_folder_is_a_build_folder_the_command_reads(french, capsys):
    # the pack keeps the build's record and lock: `crmrisk check` of the pack says what
    # it says of the build
    build, output = french
    capsys.readouterr()
    status = main(["check", str(build), "--format", "json"])
    of_build = capsys.readouterr().out
    assert main(["check", str(output), "--format", "json"]) == status == 1
    assert capsys.readouterr().out == of_build


# -- the PDF ----------------------------------------------------------------------------


def test_the_pdf_names_every_obligation_gap_and_risk(french, french_text):
    text = " ".join(french_text)
    for obligation in OBLIGATIONS:
        assert obligation in text, obligation  # never broken across lines
    gaps = section(french_text, "Obligations non couvertes", "Autres problèmes", after="Écarts")
    assert "OBL-GAP" in gaps and "Tenir le registre des oppositions" in gaps
    assert "C. conso., art. L223-2" in gaps and "obligations.md" in gaps
    assert "OBL-COVERED" not in gaps
    risks = section(french_text, "Registre des risques", "Matrice de traçabilité")
    assert "RISK-FRAUD" in risks and "RISK-SUPPLIER" in risks and "Élevé" in risks


def test_the_pdf_is_in_french_with_its_dates_and_typography(french_text):
    cover = french_text[0]
    assert "Dossier de conformité" in cover
    assert "Société Exemple & <Fils>" in cover
    assert "Date de référence 1er juin 2026" in cover
    assert "Date du dossier 1er juin 2026" in cover
    assert "ne constitue pas un avis juridique" in cover
    # the running header on every page but the cover (its thin space made a space here)
    assert all("Date de référence : 1er juin 2026" in page for page in french_text[1:])
    assert "1er mai 2027" in " ".join(french_text)  # OBL-UPCOMING's date in words


def test_the_colon_takes_a_thin_space(french):
    page = pypdf.PdfReader(french[1] / PDF_FR).pages[1].extract_text()
    assert "Date de référence\u202f: 1er juin 2026" in page


def test_the_page_count_is_the_footers(french, french_text):
    reader = pypdf.PdfReader(french[1] / PDF_FR)
    count = len(reader.pages)
    assert count == 8  # cover, summary, gaps, reviews, risks, matrix, evidence, annex
    for number, page in enumerate(french_text, start=1):
        assert f"page {number} / {count}" in page
    # A4, the matrix on a landscape page
    sizes = [(round(p.mediabox.width), round(p.mediabox.height)) for p in reader.pages]
    landscape = [n for n, size in enumerate(sizes, start=1) if size == (842, 595)]
    assert landscape == [6] and sizes.count((595, 842)) == count - 1
    assert "Matrice de traçabilité" in french_text[5]


def test_no_text_is_smaller_than_8_points(french):
    # the size each run of text is drawn at: its font size scaled by the text and
    # graphics matrices, as pypdf reports them
    sizes = set()

    def visit(text, cm, tm, font, size):
        if text.strip():
            sizes.add(round(size * math.hypot(tm[0], tm[1]) * math.hypot(cm[0], cm[1]), 2))

    for page in pypdf.PdfReader(french[1] / PDF_FR).pages:
        page.extract_text(visitor_text=visit)
    assert sizes and min(sizes) >= 8.0, sorted(sizes)


def test_headings_make_the_outline_and_the_metadata_is_the_packs(french):
    reader = pypdf.PdfReader(french[1] / PDF_FR)
    titles = [item.title for item in reader.outline if not isinstance(item, list)]
    assert titles == [
        "Dossier de conformité",
        "Synthèse",
        "Écarts",
        "Revues à faire",
        "Risques",
        "Matrice de traçabilité",
        "Preuves et approbations",
        "Annexe\u202f: les fichiers du dossier",
    ]
    meta = reader.metadata
    assert meta.title == "Dossier de conformité \u2014 Société Exemple & <Fils>"
    assert meta["/CreationDate"] == meta["/ModDate"] == "D:20260601000000Z"
    assert reader.trailer["/Root"]["/Lang"] == "fr"
    assert len(reader.trailer["/ID"]) == 2  # from the content, not random


def test_reviews_to_do_and_approvals_name_owners_and_dates(french_text):
    todo = section(french_text, "Revues à faire", "Risques")
    suspects = todo[: todo.index("Revues en retard")]
    assert "PROC-AUDIT" in suspects and "DPO" in suspects and "OBL-SCRIPT" in suspects
    overdue = todo[todo.index("Revues en retard") :]
    assert "CLA-PRESTA" in overdue and "Direction juridique" in overdue
    assert "15 janvier 2024" in overdue and "15 janvier 2025" in overdue
    approvals = section(french_text, "Approbations", "Annexe")
    assert "CLA-PRESTA" in approvals and "1er mars 2026" in approvals
    # no evidence kind yet: the register says there is none
    evidence = section(french_text, "Registre des preuves", "Approbations")
    assert evidence.strip() == "aucun"


def test_the_annex_lists_every_other_file_with_its_sha256(french, french_text):
    annex = section(french_text, "Annexe : les fichiers du dossier", "Produit avec")
    for name in PACK_FILES - {MANIFEST}:
        digest = hashlib.sha256((french[1] / name).read_bytes()).hexdigest()
        assert f"{name} " in annex and digest in annex, name
    cover = french_text[0]
    needs = hashlib.sha256((french[1] / "needs.json").read_bytes()).hexdigest()
    assert needs in cover


def test_a_script_in_a_title_is_text_in_the_pdf(french, french_text):
    assert '<script>alert("x")</script> dans un intitulé' in " ".join(french_text)
    build = read_build(french[0] / "needs.json")
    html = pack_html(build.traceability, build.provenance, [], date=pack_date(build.traceability))
    assert "<script>" not in html and "&lt;script&gt;alert(&quot;x&quot;)" in html
    # the organization is in a CSS string of the page header: escaped there too
    assert "Soci\\e9 t\\e9  Exemple \\26  \\3c Fils\\3e " in html


# -- the same bytes ---------------------------------------------------------------------


def run_pack(build: Path, output: Path, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if k != "SOURCE_DATE_EPOCH"}
    environment.update(env)
    return subprocess.run(
        [sys.executable, "-m", "sphinx_crmrisk.cli", "pack", str(build), "--output", str(output)],
        capture_output=True,
        text=True,
        check=False,
        env=environment,
    )


def test_two_packs_made_in_two_processes_are_byte_identical(french, tmp_path):
    build = french[0]
    first, second = tmp_path / "first", tmp_path / "second"
    assert run_pack(build, first).returncode == 0
    # another process, another hash seed, another time zone and locale
    assert run_pack(build, second, PYTHONHASHSEED="12345", TZ="Pacific/Auckland").returncode == 0
    names = sorted(p.name for p in first.iterdir())
    assert names == sorted(p.name for p in second.iterdir())
    for name in names:
        assert (first / name).read_bytes() == (second / name).read_bytes(), name
    # and the in-process pack of the module's fixture too
    assert (first / PDF_FR).read_bytes() == (french[1] / PDF_FR).read_bytes()


def test_two_builds_of_one_source_give_the_same_pack(tmp_path_factory, capsys):
    # what `make pack` twice does: build, pack, build again, pack again (sphinx-needs
    # leaves the time of the build out of needs.json: needs_reproducible_json)
    packs = []
    for run in ("first", "second"):
        build = built(tmp_path_factory, "pack", needs_reproducible_json=True)
        packs.append(pack(build, tmp_path_factory.mktemp(run) / "pack", capsys))
    first, second = ({p.name: p.read_bytes() for p in folder.iterdir()} for folder in packs)
    assert first.keys() == second.keys() and first == second


def test_source_date_epoch_dates_the_pack(french, tmp_path):
    output = tmp_path / "dated"
    # 2026-07-14T00:00:00Z
    assert run_pack(french[0], output, SOURCE_DATE_EPOCH="1783987200").returncode == 0
    reader = pypdf.PdfReader(output / PDF_FR)
    assert reader.metadata["/CreationDate"] == "D:20260714000000Z"
    cover = " ".join(reader.pages[0].extract_text().split())
    assert "Date du dossier 14 juillet 2026" in cover
    assert "Date de référence 1er juin 2026" in cover


def test_a_build_that_writes_its_pdf_writes_the_packs(tmp_path_factory, capsys):
    # crmrisk_pack_pdf: the PDF a page of the site links to is the pack's, byte for byte
    build = built(tmp_path_factory, "pack", crmrisk_pack_pdf=True)
    output = pack(build, tmp_path_factory.mktemp("site") / "pack", capsys)
    assert (build / PDF_FR).read_bytes() == (output / PDF_FR).read_bytes()


def _record_drafts(monkeypatch) -> list[str]:
    """What the end of each build makes of its draft of the site's PDF: ``draft`` (taken)
    or ``no draft`` (none, or not the files written: the PDF rendered at the end)."""
    from sphinx_crmrisk.sphinx_ext import site_pdf

    made: list[str] = []
    real_drafted = site_pdf._drafted

    def drafted(*args, **kwargs):
        pdf = real_drafted(*args, **kwargs)
        made.append("no draft" if pdf is None else "draft")
        return pdf

    monkeypatch.setattr(site_pdf, "_drafted", drafted)
    return made


def test_a_build_renders_the_pdf_again_only_when_what_it_shows_changed(
    tmp_path_factory, capsys, monkeypatch
):
    # the PDF costs seconds: a rebuild that changed nothing it is made from keeps it;
    # one that changed a need has it drafted in a second process while the build goes
    # on, and takes that draft
    from sphinx_crmrisk.sphinx_ext import site_pdf

    made = _record_drafts(monkeypatch)
    real_pack_files = site_pdf.pack_files

    def rendered_here(*args, **kwargs):
        made.append("here")
        return real_pack_files(*args, **kwargs)

    monkeypatch.setattr(site_pdf, "pack_files", rendered_here)
    source = tmp_path_factory.mktemp("again") / "src"
    shutil.copytree(ROOTS / "test-pack", source)

    def build() -> Path:
        # needs.json without its build time (else each build is another needs.json,
        # whose SHA-256 the PDF shows)
        config = {"crmrisk_pack_pdf": True, "needs_reproducible_json": True}
        app = build_once(source, confoverrides=config)
        assert not (Path(app.doctreedir) / site_pdf.PDF_DRAFT).exists()  # cleaned up
        return Path(app.outdir)

    site = build()
    first = (site / PDF_FR).read_bytes()
    assert made == ["draft"]
    output = pack(site, tmp_path_factory.mktemp("again-first") / "pack", capsys)
    assert first == (output / PDF_FR).read_bytes()
    build()  # nothing changed
    assert made == ["draft"] and (site / PDF_FR).read_bytes() == first
    # the file in the output is not the one made: made again, never trusted
    (site / PDF_FR).write_bytes(b"%PDF-1.7 another file")
    build()
    # made again, at the end: a build that read no page drafts nothing (Sphinx 8 and 9
    # start writing even then)
    assert made[1:] == ["no draft", "here"] and (site / PDF_FR).read_bytes() == first
    # an edit of what it shows: drafted again, and it is the pack's
    made.clear()
    edit(source / "obligations.md", "Informer les personnes appelées", "Informer les appelés")
    build()
    assert made == ["draft"]
    assert "Informer les appelés" in " ".join(text_of(site / PDF_FR))
    output = pack(site, tmp_path_factory.mktemp("again-pack") / "pack", capsys)
    assert (site / PDF_FR).read_bytes() == (output / PDF_FR).read_bytes()


def test_a_draft_of_other_files_is_not_taken(tmp_path_factory, capsys, monkeypatch):
    # the needs.json written at the end is not the one the draft was made of (here the
    # same needs, the file laid out otherwise): the PDF is made from what was written

    made = _record_drafts(monkeypatch)

    def lay_out_otherwise(app, exception):
        needs_json = Path(app.outdir) / "needs.json"
        needs_json.write_text(json.dumps(json.loads(needs_json.read_bytes()), indent=1))

    source = tmp_path_factory.mktemp("other") / "src"
    shutil.copytree(ROOTS / "test-pack", source)
    config = {"crmrisk_pack_pdf": True, "needs_reproducible_json": True}
    app = SphinxTestApp("html", srcdir=source, confoverrides=config)
    try:
        # after sphinx-needs writes needs.json (500), before the PDF is taken (650)
        app.connect("build-finished", lay_out_otherwise, priority=600)
        app.build()
    finally:
        app.cleanup()
    site = Path(app.outdir)
    assert made == ["no draft"]
    output = pack(site, tmp_path_factory.mktemp("other-pack") / "pack", capsys)
    assert (site / PDF_FR).read_bytes() == (output / PDF_FR).read_bytes()


def test_a_draft_that_cannot_be_made_leaves_the_pdf_to_the_end(
    tmp_path_factory, capsys, monkeypatch
):
    # the draft only saves time: one that fails (here sphinx-needs' classes changed)
    # breaks nothing, and the PDF is made at the end
    from sphinx_crmrisk.sphinx_ext import site_pdf

    def changed(app):
        raise AttributeError("NeedsList has no attribute dump_json")

    monkeypatch.setattr(site_pdf, "_needs_json_bytes", changed)
    source = tmp_path_factory.mktemp("failed") / "src"
    shutil.copytree(ROOTS / "test-pack", source)
    config = {"crmrisk_pack_pdf": True, "needs_reproducible_json": True}
    app = build_once(source, confoverrides=config)
    assert "crmrisk.export" not in app._warning.getvalue()  # the PDF was made
    site = Path(app.outdir)
    output = pack(site, tmp_path_factory.mktemp("failed-pack") / "pack", capsys)
    assert (site / PDF_FR).read_bytes() == (output / PDF_FR).read_bytes()


def _record_when_drafted(monkeypatch) -> list[str]:
    """The moments the site's PDF is drafted: ``ahead`` (the needs not yet resolved by
    sphinx-needs) or ``writing`` (resolved: the write phase has started)."""
    from sphinx_needs.data import SphinxNeedsData

    from sphinx_crmrisk.sphinx_ext import site_pdf

    when: list[str] = []
    real_draft = site_pdf._draft

    def draft(app, needs_json):
        resolved = SphinxNeedsData(app.env).needs_is_post_processed
        when.append("writing" if resolved else "ahead")
        return real_draft(app, needs_json)

    monkeypatch.setattr(site_pdf, "_draft", draft)
    return when


def test_the_pdf_is_drafted_ahead_from_a_copy_of_the_needs(tmp_path_factory, monkeypatch):
    # drafted as soon as the pages are read (the audit notebooks run meanwhile), from
    # the needs resolved on a copy: the build's own needs, warnings and needs.json are
    # those of a build without the PDF, and the environment pickled for the next build
    # holds them as read (an edit then builds what a clean build of the edit builds)
    when = _record_when_drafted(monkeypatch)
    root = tmp_path_factory.mktemp("ahead")
    sources = {name: root / name for name in ("pdf", "plain", "clean")}
    for source in sources.values():
        shutil.copytree(ROOTS / "test-pack", source)
        # a dead link: sphinx-needs warns of it when it resolves the needs, once
        edit(
            source / "couverture.md", ":covers: OBL-COVERED,", ":covers: OBL-NOWHERE, OBL-COVERED,"
        )

    def build(name: str, pdf: bool) -> tuple[bytes, str]:
        config = {"crmrisk_pack_pdf": pdf, "needs_reproducible_json": True}
        app = build_once(sources[name], confoverrides=config)
        warnings = app.warning.getvalue().replace(str(sources[name]), "SRC")
        return (Path(app.outdir) / "needs.json").read_bytes(), warnings

    with_pdf, plain = build("pdf", True), build("plain", False)
    assert when == ["ahead"]
    assert plain[1].count("OBL-NOWHERE") == 1  # the dead link, said once
    assert with_pdf == plain
    when.clear()
    for name in ("pdf", "clean"):
        edit(sources[name] / "couverture.md", " OBL-COVERED,", "")
    edited = build("pdf", True)
    assert when == ["ahead"]
    assert edited == build("clean", False)
    assert edited[0] != with_pdf[0]
    # prose edited, no need changed: the PDF in the output is found up to date when the
    # pages are read, and nothing is drafted, then or when the writing starts
    when.clear()
    edit(sources["pdf"] / "index.md", "# Manuel de test", "# Le manuel de test")
    assert build("pdf", True)[0] == edited[0]
    assert when == ["ahead"]


def test_a_handler_of_the_resolution_leaves_the_draft_to_the_writing(
    tmp_path_factory, capsys, monkeypatch
):
    # another extension's handler of sphinx-needs' resolution would see it twice: the
    # PDF is then drafted once sphinx-needs has resolved the needs, and is the pack's
    when = _record_when_drafted(monkeypatch)
    seen: list[int] = []
    source = tmp_path_factory.mktemp("handler") / "src"
    shutil.copytree(ROOTS / "test-pack", source)
    config = {"crmrisk_pack_pdf": True, "needs_reproducible_json": True}
    app = SphinxTestApp("html", srcdir=source, confoverrides=config)
    try:
        app.connect("needs-before-sealing", lambda _app, needs: seen.append(len(needs)))
        app.build()
    finally:
        app.cleanup()
    assert when == ["writing"] and len(seen) == 1
    site = Path(app.outdir)
    output = pack(site, tmp_path_factory.mktemp("handler-pack") / "pack", capsys)
    assert (site / PDF_FR).read_bytes() == (output / PDF_FR).read_bytes()


def test_a_kept_server_drafts_the_pdf(tmp_path_factory, capsys, monkeypatch):
    # CRMRISK_WARM=keep (a writer's machine): the draft is forked by a server kept
    # between builds, which imported WeasyPrint once; the PDF is the pack's all the same
    from sphinx_crmrisk.sphinx_ext.kernel_fork import ping

    runtime = Path(tempfile.mkdtemp(prefix="crmrisk-run-"))
    runtime.chmod(0o700)
    monkeypatch.setenv("CRMRISK_WARM", "keep")
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(runtime))
    made = _record_drafts(monkeypatch)
    source = tmp_path_factory.mktemp("kept") / "src"
    shutil.copytree(ROOTS / "test-pack", source)
    config = {"crmrisk_pack_pdf": True, "needs_reproducible_json": True}
    try:
        app = build_once(source, confoverrides=config)
        # the build started the server: its socket is there, and it answers
        sockets = [p for p in (runtime / "sphinx-crmrisk").iterdir() if p.is_socket()]
        assert [p.name.split("-")[0] for p in sockets] == ["jobs"]
        answer = ping(str(sockets[0]))
        assert answer is not None and answer["fresh"]
        os.kill(answer["pid"], signal.SIGTERM)
    finally:
        shutil.rmtree(runtime, ignore_errors=True)
    assert made == ["draft"]
    site = Path(app.outdir)
    output = pack(site, tmp_path_factory.mktemp("kept-pack") / "pack", capsys)
    assert (site / PDF_FR).read_bytes() == (output / PDF_FR).read_bytes()


def test_what_the_pdf_is_made_from_is_one_digest():
    files = {"needs.json": b'{"a": 1}', "crmrisk-config.json": b"{}"}
    digest = pdf_inputs_digest(files, environ={})
    assert digest == pdf_inputs_digest(dict(reversed(files.items())), environ={})
    assert digest != pdf_inputs_digest({**files, "needs.json": b'{"a": 2}'}, environ={})
    assert digest != pdf_inputs_digest({**files, "crmrisk-reviews.json": b""}, environ={})
    # a name and its bytes are not confused with another cut of the same characters
    assert pdf_inputs_digest({"a": b"bc"}, environ={}) != pdf_inputs_digest(
        {"ab": b"c"}, environ={}
    )
    assert digest != pdf_inputs_digest(files, environ={"SOURCE_DATE_EPOCH": "1783987200"})


# -- other builds -----------------------------------------------------------------------


def test_an_english_build_gives_an_english_pack(tmp_path_factory, capsys):
    build = built(tmp_path_factory, "pack", language="en")
    output = pack(build, tmp_path_factory.mktemp("en") / "pack", capsys)
    assert (output / PDF_EN).is_file() and not (output / PDF_FR).exists()
    pages = text_of(output / PDF_EN)
    assert "Compliance file" in pages[0] and "Reference date 1 June 2026" in pages[0]
    assert "is not legal advice" in pages[0]
    assert all("Reference date: 1 June 2026" in page for page in pages[1:])
    gaps = section(pages, "Uncovered obligations", "Other problems", after="Gaps")
    assert "OBL-GAP" in gaps and "OBL-COVERED" not in gaps
    for obligation in OBLIGATIONS:
        assert obligation in " ".join(pages)
    outline = pypdf.PdfReader(output / PDF_EN).outline
    assert "Gaps" in [i.title for i in outline if not isinstance(i, list)]


def test_a_build_without_risks_or_evidence_says_none(tmp_path_factory, capsys):
    build = built(tmp_path_factory, "uncovered", language="fr")
    output = pack(build, tmp_path_factory.mktemp("none") / "pack", capsys)
    pages = text_of(output / PDF_FR)
    todo = "Revues à faire"
    assert section(pages, "Couvertures à revoir", "Revues en retard", todo).strip() == "aucun"
    assert section(pages, "Revues en retard", "Risques", todo).strip() == "aucun"
    assert section(pages, "Risques", "Matrice de traçabilité", todo).strip() == "aucun"
    assert section(pages, "Registre des preuves", "Approbations").strip() == "aucun"
    assert section(pages, "Approbations", "Annexe").strip() == "aucun"
    summary = section(pages, "Chiffres clés", "Écarts")
    assert "Preuves des obligations couvertes aucune (aucune preuve enregistrée)" in summary
    assert "Preuves expirées aucune (aucune preuve enregistrée)" in summary
    assert "Risques aucun" in summary
    # no review lock in this build: the pack has none either
    assert not (output / "crmrisk-reviews.json").exists()
    assert "État du droit au non indiqué" in pages[0]


def test_the_pack_of_a_starter_names_its_gaps(tmp_path_factory, capsys):
    starter = tmp_path_factory.mktemp("starter") / "acme"
    assert main(["init", str(starter), "--profile", "prospection"]) == 0
    app = build_once(starter)
    output = pack(Path(app.outdir), tmp_path_factory.mktemp("starter-pack") / "pack", capsys)
    data = load_traceability(app.outdir)
    assert data.gaps  # a starter covers nothing yet
    pages = text_of(output / PDF_FR)
    gaps = section(pages, "Obligations non couvertes", "Autres problèmes", after="Écarts")
    for gap in data.gaps:
        assert gap.obligation.id in gaps, gap.obligation.id
    summary = section(pages, "Chiffres clés", "Écarts")
    assert f"Obligations non couvertes (écarts) {len(data.gaps)}" in summary
    # the law's date: the shipped catalogue the starter imports
    version = json.loads((Path(app.outdir) / "crmrisk-config.json").read_text())["provenance"][
        "catalogues"
    ]
    assert version and "(catalogue livré avec sphinx-crmrisk)" in pages[0]


# -- bad input --------------------------------------------------------------------------


def one_line_error(capsys) -> str:
    out, err = capsys.readouterr()
    assert out == "" and err.count("\n") == 1 and err.startswith("crmrisk: error: "), err
    return err


def assert_nothing_written(folder: Path, before: set[str]) -> None:
    assert {p.name for p in folder.iterdir()} == before


def test_no_build_there_is_one_line_and_nothing_written(tmp_path, capsys):
    assert main(["pack", str(tmp_path / "missing"), "--output", str(tmp_path / "out")]) == 2
    assert "no such file" in one_line_error(capsys)
    assert_nothing_written(tmp_path, set())


def test_an_unreadable_file_is_one_line_and_nothing_written(french, tmp_path, capsys):
    build = tmp_path / "build"
    shutil.copytree(french[0], build)
    (build / "crmrisk-config.json").write_text("{ not json", encoding="utf-8")
    assert main(["pack", str(build), "--output", str(tmp_path / "out")]) == 2
    err = one_line_error(capsys)
    assert "crmrisk-config.json" in err and "invalid JSON at line 1" in err
    assert_nothing_written(tmp_path, {"build"})


def test_a_build_without_its_record_is_refused(french, tmp_path, capsys):
    build = tmp_path / "build"
    shutil.copytree(french[0], build)
    (build / "crmrisk-config.json").unlink()
    assert main(["pack", str(build), "--output", str(tmp_path / "out")]) == 2
    assert "the build recorded no settings" in one_line_error(capsys)
    assert_nothing_written(tmp_path, {"build"})


def test_an_export_that_does_not_match_its_data_is_refused(french, tmp_path, capsys):
    build = tmp_path / "build"
    shutil.copytree(french[0], build)
    csv = build / "traceability.csv"
    csv.write_bytes(csv.read_bytes().replace(b"couverte", b"couverte!", 1))
    assert main(["pack", str(build), "--output", str(tmp_path / "out")]) == 2
    assert "traceability.csv does not hold what its needs.json gives" in one_line_error(capsys)
    assert_nothing_written(tmp_path, {"build"})


def test_exports_the_build_lacks_are_written_from_its_data(french, tmp_path, capsys):
    build = tmp_path / "build"
    shutil.copytree(french[0], build)
    for name in ("traceability.csv", "traceability.xlsx", "traceability.json"):
        (build / name).unlink()
    output = pack(build, tmp_path / "out", capsys)
    for name in ("traceability.csv", "traceability.xlsx", "traceability.json"):
        assert (output / name).read_bytes() == (french[1] / name).read_bytes(), name


@pytest.mark.parametrize("kind", ["file", "folder"])
def test_an_output_that_is_not_an_empty_folder_is_refused(french, tmp_path, capsys, kind):
    output = tmp_path / "out"
    if kind == "file":
        output.write_text("mine", encoding="utf-8")
    else:
        output.mkdir()
        (output / "mine.txt").write_text("mine", encoding="utf-8")
    assert main(["pack", str(french[0]), "--output", str(output)]) == 2
    err = one_line_error(capsys)
    assert str(output) in err and "nothing written" in err
    assert_nothing_written(tmp_path, {"out"})
    if kind == "folder":
        assert_nothing_written(output, {"mine.txt"})


def test_an_empty_output_folder_is_filled(french, tmp_path, capsys):
    output = tmp_path / "out"
    output.mkdir()
    pack(french[0], output, capsys)
    assert (output / PDF_FR).read_bytes() == (french[1] / PDF_FR).read_bytes()
    assert_nothing_written(tmp_path, {"out"})  # no work folder left beside it


def test_a_bad_source_date_epoch_is_one_line(french, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "yesterday")
    assert main(["pack", str(french[0]), "--output", str(tmp_path / "out")]) == 2
    assert "SOURCE_DATE_EPOCH must be a whole number of seconds" in one_line_error(capsys)
    assert_nothing_written(tmp_path, set())


def test_without_weasyprint_the_command_says_what_to_install(french, tmp_path, capsys, monkeypatch):
    # an import that fails as it does when the pdf extra is not installed
    monkeypatch.setitem(sys.modules, "weasyprint", None)
    assert main(["pack", str(french[0]), "--output", str(tmp_path / "out")]) == 2
    err = one_line_error(capsys)
    assert "install sphinx-crmrisk[pdf] and Pango (apt-get install libpango-1.0-0" in err
    assert_nothing_written(tmp_path, set())


def test_without_pango_the_command_says_what_to_install(french, tmp_path, capsys, monkeypatch):
    # what `import weasyprint` does without Pango: a page of explanations on stdout, then
    # OSError; the command prints neither, but its one line
    class NoPango(importlib.abc.MetaPathFinder, importlib.abc.Loader):
        def find_spec(self, name, path=None, target=None):
            if name == "weasyprint":
                return importlib.util.spec_from_loader(name, self)
            return None

        def create_module(self, spec):
            return None

        def exec_module(self, module):
            print("WeasyPrint could not import some external libraries.")
            raise OSError("cannot load library 'libpango-1.0-0'")

    for name in [m for m in sys.modules if m.split(".")[0] == "weasyprint"]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setattr(sys, "meta_path", [NoPango(), *sys.meta_path])
    assert main(["pack", str(french[0]), "--output", str(tmp_path / "out")]) == 2
    err = one_line_error(capsys)  # nothing on stdout
    assert "WeasyPrint cannot load Pango (cannot load library 'libpango-1.0-0')" in err
    assert "apt-get install libpango-1.0-0 libpangoft2-1.0-0" in err
    assert_nothing_written(tmp_path, set())


def test_a_failure_while_writing_leaves_nothing_behind(french, tmp_path, capsys, monkeypatch):
    from sphinx_crmrisk.cli import pack as command

    def fail(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(command.os, "replace", fail)
    assert main(["pack", str(french[0]), "--output", str(tmp_path / "out")]) == 2
    assert "No space left on device" in one_line_error(capsys)
    assert_nothing_written(tmp_path, set())


def test_the_pack_date_never_reads_the_clock(french):
    data = read_build(french[0] / "needs.json").traceability
    assert pack_date(data, {}).isoformat() == "2026-06-01T00:00:00+00:00"
    assert pack_date(data, {"SOURCE_DATE_EPOCH": "0"}).isoformat() == "1970-01-01T00:00:00+00:00"
    with pytest.raises(PackError, match="SOURCE_DATE_EPOCH"):
        pack_date(data, {"SOURCE_DATE_EPOCH": "-5"})


# -- where the data came from -------------------------------------------------------------


def git(folder: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-C", str(folder), *args], capture_output=True, text=True, check=True
    ).stdout.strip()


def test_the_cover_names_the_commit_of_the_sources(tmp_path, capsys):
    repository = tmp_path / "repo"
    source = repository / "docs"
    shutil.copytree(ROOTS / "test-pack", source)
    git(repository, "init", "-q")
    git(repository, "-c", "user.name=t", "-c", "user.email=t@example.org", "add", ".")
    git(repository, "-c", "user.name=t", "-c", "user.email=t@example.org", "commit", "-qm", "x")
    commit = git(repository, "rev-parse", "HEAD")
    app = build_once(source, builddir=tmp_path / "out")
    record = json.loads((Path(app.outdir) / "crmrisk-config.json").read_text())["provenance"]
    assert record == {"commit": commit, "folder": "docs", "modified": False, "catalogues": []}
    cover = text_of(pack(Path(app.outdir), tmp_path / "p1", capsys) / PDF_FR)[0]
    assert commit in cover and "dossier docs" in cover and "non validées" not in cover

    # a tracked file changed and not committed: the cover says so
    (source / "index.md").write_text("# Changé\n", encoding="utf-8")
    app = build_once(source, builddir=tmp_path / "out2")
    cover = text_of(pack(Path(app.outdir), tmp_path / "p2", capsys) / PDF_FR)[0]
    assert commit in cover and "avec des modifications non validées" in cover


def test_sources_outside_git_record_no_commit(french, french_text):
    record = json.loads((french[0] / "crmrisk-config.json").read_text())["provenance"]
    # the module's build is a copy in a temporary folder, outside any checkout
    assert record["commit"] is None and record["modified"] is None
    assert "non enregistré (les sources ne sont pas un dépôt git)" in french_text[0]


def test_an_unusable_provenance_record_is_refused(french, tmp_path, capsys):
    build = tmp_path / "build"
    shutil.copytree(french[0], build)
    config = build / "crmrisk-config.json"
    values = json.loads(config.read_text())
    values["provenance"] = {"commit": "not a commit"}
    config.write_text(json.dumps(values))
    assert main(["pack", str(build), "--output", str(tmp_path / "out")]) == 2
    assert "provenance: commit 'not a commit' is not a git commit ID" in one_line_error(capsys)


def test_provenance_records_round_trip():
    provenance = Provenance("a" * 40, "docs", True, ("2026-12-05",))
    assert Provenance.from_record(json.loads(json.dumps(provenance.record()))) == provenance
    assert Provenance.from_record(None) == Provenance()
    for bad in ({"modified": "yes"}, {"catalogues": ["soon"]}, [1]):
        with pytest.raises(ValueError):
            Provenance.from_record(bad)


def test_importing_the_pack_module_does_not_import_weasyprint():
    code = (
        "import sys, sphinx_crmrisk.pack, sphinx_crmrisk.cli.pack; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('weasyprint', 'pydyf')))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"


def test_the_pack_of_a_build_with_evidence_lists_the_proof_and_who_approved(
    tmp_path_factory, capsys
):
    build = built(tmp_path_factory, "evidence")
    output = pack(build, tmp_path_factory.mktemp("evidence") / "pack", capsys)
    pages = text_of(output / PDF_FR)
    summary = section(pages, "Chiffres clés", "Écarts")
    assert (
        "Preuves des obligations couvertes prouvée : 3; preuve invalide : 0; sans preuve : 1"
        in (summary)
    )
    assert "Preuves expirées 0" in summary
    by_phase = section(pages, "Preuve par phase", "Chiffres clés")
    assert "PH-DEPLOIEMENT Déploiement 3 0 1" in by_phase
    register = section(pages, "Registre des preuves", "Approbations")
    for evidence, state in (
        ("EVD-CONSENT-01", "expire bientôt"),
        ("EVD-DPA-01", "valide"),
        ("EVD-REG-01", "valide"),
    ):
        assert evidence in register
        after = register[register.index(evidence) :]
        assert state in after
    approvals = section(pages, "Approbations", "Annexe")
    assert approvals.count("Claire Martin, DPO") == 7
    assert "EVD-DPA-01" in approvals and "CLA-DPA-01" in approvals
