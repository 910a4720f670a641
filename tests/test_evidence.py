"""Evidence (issue 20): states, proof, checks at the evidence, named approvals, views and
exports, incremental and parallel builds, and the "done when" of the issue."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import jsonschema
import openpyxl
import pytest
from bs4 import BeautifulSoup
from sphinx_builds import build_once, edit
from test_incremental import assert_read_in_parallel, assert_same_pages, build, needs_of
from test_incremental import clean_build_of as clean_copy
from test_incremental import crmrisk_warnings as warnings_of

from sphinx_crmrisk import evidence as evidence_module
from sphinx_crmrisk.cli import main
from sphinx_crmrisk.diff import diff_document, diff_markdown
from sphinx_crmrisk.evidence import (
    MISSING,
    OUTSIDE,
    UNREADABLE,
    EvidenceState,
    ProofState,
    examine,
    file_sha256,
    is_path,
)
from sphinx_crmrisk.exports import SCHEMA_FILE
from sphinx_crmrisk.model import Item, Model
from sphinx_crmrisk.reviews import Approval, ReviewLock
from sphinx_crmrisk.traceability import Traceability

BIN = Path(sys.executable).parent
ROOTS = Path(__file__).parent / "roots"
TODAY = dt.date(2026, 11, 30)
SIGNED_PDF = "preuves/dpa-acme-signe.pdf"


def review(capsys, *args: str) -> tuple[int, str, str]:
    status = main(["review", *args])
    out, err = capsys.readouterr()
    return status, out, err


# -- the pure part -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("document", "expected"),
    [
        ("preuves/dpa-signe.pdf", True),
        ("contrat.pdf", True),
        ("preuves\\registre.xlsx", True),
        ("Contrat signé.PDF", True),
        ("https://intranet.example/dpa.pdf", False),
        ("ged:2026/0042", False),
        ("GED-2026-0042", False),
        ("Contrat n° 2026/014", False),
        ("version 1.2", False),
        ("", False),
    ],
)
def test_a_document_is_a_path_when_it_names_a_file(document, expected):
    assert is_path(document) is expected


def test_examine_records_the_digest_or_why_there_is_none(tmp_path, monkeypatch):
    src = tmp_path / "src"
    (src / "preuves").mkdir(parents=True)
    (src / "preuves" / "a.pdf").write_bytes(b"%PDF signed")
    (tmp_path / "outside.pdf").write_bytes(b"secret")
    (src / "preuves" / "link.pdf").symlink_to(tmp_path / "outside.pdf")
    (src / "preuves" / "folder.pdf").mkdir()
    assert examine(src, "preuves/a.pdf") == file_sha256(src / "preuves" / "a.pdf")
    assert len(examine(src, "preuves/a.pdf")) == 64
    assert examine(src, "preuves/absent.pdf") == MISSING
    assert examine(src, "preuves/folder.pdf") == MISSING
    for out in ("../outside.pdf", str(tmp_path / "outside.pdf"), "preuves/link.pdf"):
        assert examine(src, out) == OUTSIDE, out

    def unreadable(path: Path) -> str:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(evidence_module, "file_sha256", unreadable)
    assert examine(src, "preuves/a.pdf") == UNREADABLE


def _model(evidence: list[Item], covering: tuple[str, ...] = ("CLA-A",)) -> Model:
    items = [
        Item("PH-A", "phase", "A"),
        Item("OBL-A", "obligation", "A", links={"phase": ("PH-A",)}),
        Item("OBL-UP", "obligation", "Up", fields={"effective": "2027-06-01"}, links={}),
        Item("OBL-GAP", "obligation", "Gap"),
        *(Item(c, "clause", c, links={"covers": ("OBL-A", "OBL-UP")}) for c in covering),
        *evidence,
    ]
    return Model(items)


def _evidence(
    evidence_id: str, *, until: str = "", found: str = "", status: str | None = None
) -> Item:
    fields = {"document": "p/x.pdf" if found else "GED-1", "dated": "2026-01-01"}
    if until:
        fields["valid_until"] = until
    if found:
        fields["document_sha256"] = found
    return Item(
        evidence_id,
        "evidence",
        evidence_id,
        status=status,
        fields=fields,
        links={"proves": ("CLA-A",)},
    )


GOOD, BAD = "a" * 64, "b" * 64
LOCK = ReviewLock(
    present=True,
    approvals={
        "EVD-FILE": Approval("2026-02-01", "Marie Dupont, DPO", GOOD),
        "EVD-CHANGED": Approval("2026-02-01", "", GOOD),
        "EVD-BOTH": Approval("2026-02-01", "", GOOD),
    },
)
#: each evidence alone, its state and the proof it gives OBL-A
COMBINATIONS = {
    "valid": (_evidence("EVD-V"), EvidenceState.VALID, ProofState.PROVEN),
    "valid, an approved file": (
        _evidence("EVD-FILE", found=GOOD),
        EvidenceState.VALID,
        ProofState.PROVEN,
    ),
    "expiring in 90 days": (
        _evidence("EVD-SOON", until="2027-02-28"),
        EvidenceState.EXPIRING,
        ProofState.PROVEN,
    ),
    "valid in 91 days": (
        _evidence("EVD-L", until="2027-03-01"),
        EvidenceState.VALID,
        ProofState.PROVEN,
    ),
    "last valid day": (
        _evidence("EVD-D", until="2026-11-30"),
        EvidenceState.EXPIRING,
        ProofState.PROVEN,
    ),
    "expired": (_evidence("EVD-E", until="2026-11-29"), EvidenceState.EXPIRED, ProofState.INVALID),
    "missing file": (_evidence("EVD-M", found=MISSING), EvidenceState.MISSING, ProofState.INVALID),
    "unreadable file": (
        _evidence("EVD-U", found=UNREADABLE),
        EvidenceState.MISSING,
        ProofState.INVALID,
    ),
    "changed file": (
        _evidence("EVD-CHANGED", found=BAD),
        EvidenceState.CHANGED,
        ProofState.INVALID,
    ),
    "never approved file": (
        _evidence("EVD-NEW", found=BAD),
        EvidenceState.VALID,
        ProofState.PROVEN,
    ),
    "expired and changed": (
        _evidence("EVD-BOTH", until="2026-01-01", found=BAD),
        EvidenceState.EXPIRED,
        ProofState.INVALID,
    ),
    "missing and expired": (
        _evidence("EVD-ME", until="2026-01-01", found=MISSING),
        EvidenceState.MISSING,
        ProofState.INVALID,
    ),
    "a draft": (
        _evidence("EVD-DRAFT", status="draft", until="2020-01-01"),
        EvidenceState.INACTIVE,
        ProofState.UNPROVEN,
    ),
}


@pytest.mark.parametrize("name", COMBINATIONS)
def test_each_evidence_state_and_the_proof_it_gives(name):
    item, state, proof = COMBINATIONS[name]
    data = Traceability.at(_model([item]), TODAY, lock=LOCK)
    assert [(e.item.id, e.state) for e in data.evidence] == [(item.id, state)]
    assert data.proofs["OBL-A"].state is proof
    # an upcoming obligation has a proof state too; a gap has none
    assert data.proofs["OBL-UP"].state is proof
    assert "OBL-GAP" not in data.proofs
    # off by default: the proof is shown, never a finding
    assert not [f for f in data.findings if f.subtype == "unproven"]
    required = data.with_settings(require_evidence=True)
    unproven = [f.item.id for f in required.findings if f.subtype == "unproven"]
    assert unproven == ([] if proof is ProofState.PROVEN else ["OBL-A", "OBL-UP"])


def test_no_evidence_is_unproven_and_one_valid_evidence_proves():
    data = Traceability.at(_model([]), TODAY, require_evidence=True)
    assert data.proofs["OBL-A"].state is ProofState.UNPROVEN
    assert [f.message for f in data.findings if f.subtype == "unproven"] == [
        "OBL-A: obligation 'A' is covered by CLA-A but not proven: no evidence proves CLA-A",
        "OBL-UP: obligation 'Up' is covered by CLA-A but not proven: no evidence proves CLA-A",
    ]
    mixed = [_evidence("EVD-E", until="2026-01-01"), _evidence("EVD-V")]
    data = Traceability.at(_model(mixed), TODAY, require_evidence=True)
    proof = data.proofs["OBL-A"]
    assert proof.state is ProofState.PROVEN
    assert [e.item.id for e in proof.evidence] == ["EVD-E", "EVD-V"]
    assert [e.item.id for e in proof.valid] == ["EVD-V"]
    assert not [f for f in data.findings if f.subtype == "unproven"]


def test_diff_lists_proof_and_evidence_changes():
    before = Traceability.at(_model([_evidence("EVD-V", until="2027-06-01")]), TODAY)
    after = before.with_settings(today="2027-07-01")
    document = diff_document(before, after)
    assert document["proof_changes"] == [
        {"id": "OBL-A", "title": "A", "old": "proven", "new": "invalid"},
        {"id": "OBL-UP", "title": "Up", "old": "proven", "new": "invalid"},
    ]
    assert [(c["id"], c["old"], c["new"]) for c in document["evidence_changes"]] == [
        ("EVD-V", "valid", "expired")
    ]
    text = diff_markdown(document)
    assert "#### Proof changes (2)" in text and "| OBL-A | A | proven → invalid |" in text
    assert "#### Evidence changes (1)" in text


# -- the checks, located, in MyST and reST ------------------------------------------------

EXPECTED_PROBLEMS = [
    "evidence.md:11: WARNING: EVD-MISSING: its document files/absent.pdf, proof of PROC-MISSING "
    "dated 2026-01-01, is missing (no readable file at that path in the source folder) "
    "[crmrisk.evidence_missing]",
    "evidence.md:18: WARNING: EVD-CHANGED: its document files/changed.txt, proof of PROC-MISSING "
    "dated 2026-02-01, changed since it was approved on 2026-03-01 by Alex Martin, DPO "
    "(SHA-256 000000000000… then, 69dda0e55277… now): check it, then run 'crmrisk review' "
    "[crmrisk.evidence_changed]",
    "evidence.md:32: WARNING: EVD-BADDATES: dated '31/01/2026' is not a YYYY-MM-DD date "
    "[crmrisk.bad_date]",
    "evidence.md:32: WARNING: EVD-BADDATES: valid_until '2026-13-01' is not a YYYY-MM-DD date "
    "[crmrisk.bad_date]",
    "evidence.md:3: WARNING: EVD-EXPIRED: expired: the proof of CLA-EXPIRED dated 2024-01-01 was "
    "valid until 2025-12-31, before the reference date 2026-11-30 [crmrisk.evidence_expired]",
    "evidence.md:40: WARNING: EVD-BACKWARDS: expired: the proof of PROC-PROVEN dated 2026-06-01 "
    "was valid until 2026-05-01, before the reference date 2026-11-30 "
    "[crmrisk.evidence_expired]",
    "evidence.md:40: WARNING: EVD-BACKWARDS: valid_until 2026-05-01 is before dated 2026-06-01 "
    "[crmrisk.bad_date]",
    "evidence.md:48: WARNING: EVD-FUTURE: dated 2027-01-01 is after the reference date "
    "2026-11-30: a proof cannot have been established yet [crmrisk.future_date]",
    "evidence.md:55: WARNING: EVD-EMPTY: evidence has no 'dated' [crmrisk.missing_field]",
    "evidence.md:55: WARNING: EVD-EMPTY: evidence has no 'document' [crmrisk.missing_field]",
    "evidence.md:55: WARNING: EVD-EMPTY: evidence has no 'proves' link: it proves nothing "
    "[crmrisk.missing_field]",
    "evidence.md:59: WARNING: EVD-WRONG: 'proves' link to OBL-PROVEN, a obligation; it must "
    "point at a clause or a procedure [crmrisk.link_type]",
    "evidence.md:66: WARNING: EVD-OUTSIDE: document '../outside.pdf' is not inside the source "
    "folder: give a path relative to it [crmrisk.bad_value]",
    "index.rst:11: WARNING: OBL-EXPIRED: obligation 'Proven by expired evidence' is covered by "
    "CLA-EXPIRED but not proven: none of the evidence of CLA-EXPIRED is valid (EVD-EXPIRED "
    "expired, EVD-RST-EXPIRED expired) [crmrisk.unproven]",
    "index.rst:16: WARNING: OBL-NOPROOF: obligation 'Covered without evidence' is covered by "
    "CLA-NOPROOF but not proven: no evidence proves CLA-NOPROOF [crmrisk.unproven]",
    "index.rst:21: WARNING: OBL-MISSING: obligation 'Proven by missing or changed files' is "
    "covered by PROC-MISSING but not proven: none of the evidence of PROC-MISSING is valid "
    "(EVD-CHANGED changed, EVD-MISSING missing, EVD-RST-MISSING missing) [crmrisk.unproven]",
    "index.rst:35: WARNING: CLA-NOPROOF: reviewed 2027-03-01 is after the reference date "
    "2026-11-30: a review cannot have happened yet [crmrisk.future_date]",
    "index.rst:48: WARNING: EVD-RST-EXPIRED: expired: the proof of CLA-EXPIRED dated 2025-01-10 "
    "was valid until 2026-01-09, before the reference date 2026-11-30 "
    "[crmrisk.evidence_expired]",
    "index.rst:55: WARNING: EVD-RST-MISSING: its document files/minutes.pdf, proof of "
    "PROC-MISSING dated 2026-05-01, is missing (no readable file at that path in the source "
    "folder) [crmrisk.evidence_missing]",
]


def test_each_evidence_problem_is_a_located_warning(make_app, copy_root, capsys):
    src = copy_root("evidence-problems")
    app = build(make_app, src, fresh=True)
    assert warnings_of(app) == sorted(EXPECTED_PROBLEMS)
    # the draft, long expired, is not counted and not checked; OBL-PROVEN is proven
    exported = json.loads((Path(app.outdir) / "traceability.json").read_text())
    states = {e["id"]: e["state"] for e in exported["evidence"]}
    assert states["EVD-DRAFT"] == "inactive" and states["EVD-OUTSIDE"] == "missing"
    assert {o["id"]: o["proof"] for o in exported["obligations"]} == {
        "OBL-EXPIRED": "invalid",
        "OBL-MISSING": "invalid",
        "OBL-NOPROOF": "unproven",
        "OBL-PROVEN": "proven",
    }
    # the command says the same from the build folder, and exits 1
    assert main(["check", str(app.outdir)]) == 1
    out = capsys.readouterr().out
    for line in EXPECTED_PROBLEMS:
        assert line.replace(" WARNING:", "") in out
    assert "proof: 1 proven, 2 invalid, 1 unproven" in out


def test_an_authors_digest_is_replaced_with_a_warning(make_app, copy_root):
    src = copy_root("evidence")
    edit(
        src / "preuves.md",
        ":owner: Direction juridique\n",
        ":owner: Direction juridique\n:document_sha256: " + "0" * 64 + "\n",
    )
    app = build(make_app, src, fresh=True)
    found = warnings_of(app)
    assert len(found) == 1 and "'document_sha256' is set by the build" in found[0]
    assert "[crmrisk.computed_field]" in found[0] and found[0].startswith("preuves.md:3:")
    digests = {n["id"]: n.get("document_sha256") for n in needs_of(app).values()}
    assert digests["EVD-DPA-01"] == file_sha256(src / SIGNED_PDF)


# -- the "done when" of the issue ----------------------------------------------------------


def sphinx_build(src: Path, *extra: str) -> subprocess.CompletedProcess:
    command = [BIN / "sphinx-build", "-W", "--keep-going", "-b", "html", *extra]
    command += [src, src / "_build" / "html"]
    return subprocess.run(command, capture_output=True, text=True, timeout=300, check=False)


def flip_one_byte(path: Path) -> None:
    """One byte of the file changed in place: same size, the rest as it was."""
    data = bytearray(path.read_bytes())
    middle = len(data) // 2
    data[middle] ^= 0x01
    path.write_bytes(bytes(data))


def test_a_changed_signed_pdf_fails_the_build_until_it_is_approved_again(copy_root, capsys):
    src = copy_root("evidence")
    assert sphinx_build(src).returncode == 0
    flip_one_byte(src / SIGNED_PDF)
    failed = sphinx_build(src)
    assert failed.returncode == 1
    [line] = [line for line in failed.stderr.splitlines() if "WARNING" in line]
    # the project is French: so are its warnings
    assert line.startswith(
        f"{src}/preuves.md:3: WARNING: EVD-DPA-01\u202f: son document {SIGNED_PDF}"
    )
    assert line.endswith("[crmrisk.evidence_changed]")
    assert "depuis son approbation le 2026-11-15 par Claire Martin, DPO" in line
    # the command reads the same facts from the build folder
    assert main(["check", str(src / "_build" / "html")]) == 1
    assert "[crmrisk.evidence_changed]" in capsys.readouterr().out

    status, out, err = review(capsys, str(src), "EVD-DPA-01", "--by", "Claire Martin, DPO")
    assert (status, err) == (0, "")
    digest = file_sha256(src / SIGNED_PDF)
    assert out.startswith("preuves.md:3: EVD-DPA-01 relue le ")
    assert out.endswith(f"par Claire Martin, DPO ({SIGNED_PDF}, SHA-256 {digest[:12]}…)\n")
    lock = json.loads((src / "crmrisk-reviews.json").read_text())
    assert lock["version"] == 2
    assert lock["approvals"]["EVD-DPA-01"]["sha256"] == digest
    passed = sphinx_build(src)
    assert passed.returncode == 0, passed.stderr


def test_an_expired_evidence_fails_the_build(copy_root):
    src = copy_root("evidence")
    edit(src / "preuves.md", ":valid_until: 2029-03-11", ":valid_until: 2026-06-30")
    failed = sphinx_build(src)
    assert failed.returncode == 1
    assert (
        f"{src}/preuves.md:3: WARNING: EVD-DPA-01\u202f: expirée\u202f: la preuve de CLA-DPA-01 datée "
        "du 2026-03-12 était valable jusqu'au 2026-06-30, avant la date de référence 2026-11-30 "
        "[crmrisk.evidence_expired]"
    ) in failed.stderr


def test_requiring_evidence_fails_the_build_for_a_clause_without_any(copy_root):
    src = copy_root("evidence")
    # off by default: the project builds
    assert sphinx_build(src).returncode == 0
    with (src / "conf.py").open("a", encoding="utf-8") as conf:
        conf.write("crmrisk_require_evidence = True\n")
    failed = sphinx_build(src)
    assert failed.returncode == 1
    warnings = [line for line in failed.stderr.splitlines() if "WARNING" in line]
    assert warnings == [
        f"{src}/obligations.md:28: WARNING: OBL-RGPD-13\u202f: l'obligation «\u202fInformer les "
        "personnes démarchées\u202f» est couverte par CLA-INFO-02 mais n'est pas prouvée\u202f: aucune "
        "preuve ne prouve CLA-INFO-02 [crmrisk.unproven]"
    ]


def test_a_missing_evidence_file_fails_the_build(copy_root):
    src = copy_root("evidence")
    (src / "preuves" / "registre-2026.csv").unlink()
    failed = sphinx_build(src)
    assert failed.returncode == 1
    assert (
        f"{src}/procedures.rst:20: WARNING: EVD-REG-01\u202f: son document "
        "preuves/registre-2026.csv, preuve de PROC-REG-01 datée du 2026-10-15, est introuvable"
    ) in failed.stderr
    assert "[crmrisk.evidence_missing]" in failed.stderr


# -- crmrisk review --by -------------------------------------------------------------------


def test_review_by_names_clauses_procedures_and_evidence_byte_exact(copy_root, capsys):
    src = copy_root("evidence")
    before = {path: path.read_bytes() for path in src.rglob("*") if path.is_file()}
    status, out, err = review(
        capsys,
        str(src),
        "CLA-DPA-01",
        "PROC-REG-01",
        "EVD-CONSENT-01",
        "--by",
        "Marie Dupont, DPO",
        "--today",
        "2026-11-30",
    )
    assert (status, err) == (0, "")
    assert out.splitlines() == [
        "clauses.md:3: CLA-DPA-01 relue le 2026-11-30 par Marie Dupont, DPO",
        "procedures.rst:4: PROC-REG-01 relue le 2026-11-30 par Marie Dupont, DPO",
        "preuves.md:14: EVD-CONSENT-01 relue le 2026-11-30 par Marie Dupont, DPO",
    ]
    # the sources: the reviewed dates and nothing else; an evidence's source is untouched
    changed = {
        path.name
        for path in src.rglob("*")
        if path.is_file() and "_build" not in path.parts and before.get(path) != path.read_bytes()
    }
    assert changed == {"clauses.md", "procedures.rst", "crmrisk-reviews.json"}
    for name in ("clauses.md", "procedures.rst"):
        # the first item of each file: its date replaced, byte for byte
        old = before[src / name]
        assert (src / name).read_bytes() == old.replace(b"2026-11-15", b"2026-11-30", 1)
    lock = json.loads((src / "crmrisk-reviews.json").read_text())["approvals"]
    assert lock["CLA-DPA-01"] == {"by": "Marie Dupont, DPO", "date": "2026-11-30"}
    # a reference that is not a path: approved, no digest
    assert lock["EVD-CONSENT-01"] == {"by": "Marie Dupont, DPO", "date": "2026-11-30"}
    # the others keep their approval
    assert lock["EVD-DPA-01"]["by"] == "Claire Martin, DPO"
    # unnamed reviews keep working: the name is dropped for that item
    assert review(capsys, str(src), "CLA-DPA-01", "--today", "2026-11-30")[0] == 0
    lock = json.loads((src / "crmrisk-reviews.json").read_text())["approvals"]
    assert lock["CLA-DPA-01"] == {"date": "2026-11-30"}


def test_review_refuses_an_evidence_whose_file_is_missing(copy_root, capsys):
    src = copy_root("evidence")
    (src / SIGNED_PDF).unlink()
    lock = (src / "crmrisk-reviews.json").read_bytes()
    status, out, err = review(capsys, str(src), "EVD-DPA-01", "--by", "X")
    assert (status, out) == (2, "")
    assert err == (
        f"crmrisk: error: preuves.md:3: EVD-DPA-01: its document {SIGNED_PDF} is missing: "
        "nothing to approve\n"
    )
    assert (src / "crmrisk-reviews.json").read_bytes() == lock


# -- views and exports, in French and in English ------------------------------------------


@pytest.fixture(scope="module")
def french(tmp_path_factory):
    src = tmp_path_factory.mktemp("fr") / "evidence"
    shutil.copytree(ROOTS / "test-evidence", src)
    # one evidence expired, for the register's order and the proof states
    edit(src / "procedures.rst", ":valid_until: 2027-10-14", ":valid_until: 2026-10-31")
    return build_once(src, freshenv=True)


@pytest.fixture(scope="module")
def english(tmp_path_factory):
    src = tmp_path_factory.mktemp("en") / "evidence"
    shutil.copytree(ROOTS / "test-evidence", src)
    return build_once(src, freshenv=True, confoverrides={"language": "en"})


def page(app, name: str) -> BeautifulSoup:
    return BeautifulSoup((Path(app.outdir) / f"{name}.html").read_text(), "html.parser")


def text(node) -> str:
    """The node's text, its ASCII blanks collapsed (U+202F, the French space before
    « : », is kept)."""
    return re.sub(r"[ \t\r\n]+", " ", node.get_text(" ")).strip()


def test_the_register_lists_evidence_by_owner_what_to_act_on_first(french):
    register = page(french, "registre")
    body = register.find("div", class_="body")
    assert text(body.find("p", class_="crmrisk-count")) == (
        "Preuves\u202f: 3. Expirées, introuvables ou modifiées\u202f: 1\u202f; expirent sous 90 "
        "jours\u202f: 1\u202f; valides\u202f: 1."
    )
    owners = [text(r) for r in body.find_all(class_="crmrisk-owner")]
    assert owners == ["Conformité commerciale", "Direction juridique", "DPO"]
    tables = body.find_all("table", class_="crmrisk-evidence")
    headings = [text(th) for th in tables[0].find_all("th")]
    assert headings == [
        "Identifiant",
        "Intitulé",
        "État",
        "Prouve",
        "Document",
        "Date de la preuve",
        "Valable jusqu'au",
        "Dernière revue",
    ]
    rows = {
        text(tr.find("td")): [text(td) for td in tr.find_all("td")]
        for t in tables
        for tr in t.find("tbody").find_all("tr")
    }
    assert rows["EVD-REG-01"] == [
        "EVD-REG-01",
        "Extrait du registre des traitements, revue 2026",
        "expirée",
        "PROC-REG-01",
        "preuves/registre-2026.csv",
        "2026-10-15",
        "2026-10-31",
        "revu le 2026-11-15 par Claire Martin, DPO",
    ]
    assert rows["EVD-CONSENT-01"][2] == "expire bientôt"
    assert rows["EVD-DPA-01"][2] == "valide"
    # each linked
    link = body.find("a", string="EVD-DPA-01")
    assert link["href"] == "preuves.html#EVD-DPA-01"
    assert body.find("a", string="PROC-REG-01")["href"] == "procedures.html#PROC-REG-01"


def test_an_obligation_shows_its_proof_and_a_clause_its_evidence(french):
    obligations = page(french, "obligations")
    need = obligations.find("table", id="OBL-RGPD-28-3")
    badge = need.select_one(".crmrisk-proof-proven")
    assert text(badge) == "Preuve\u202f: prouvée"
    line = badge.find_parent("p")
    assert text(line) == "Preuve\u202f: prouvée — EVD-DPA-01 valide"
    assert line.find("a")["href"] == "preuves.html#EVD-DPA-01"
    invalid = obligations.find("table", id="OBL-RGPD-30").select_one(".crmrisk-proof")
    assert "crmrisk-proof-invalid" in invalid["class"]
    assert text(invalid.find_parent("p")) == "Preuve\u202f: preuve invalide — EVD-REG-01 expirée"
    none = obligations.find("table", id="OBL-RGPD-13").select_one(".crmrisk-proof")
    assert text(none) == "Preuve\u202f: sans preuve"
    # the clause: its review, named, then its evidence with its state
    clause = page(french, "clauses").find("table", id="CLA-DPA-01")
    assert "revu le 2026-11-15 par Claire Martin, DPO" in text(clause.select_one(".crmrisk-review"))
    assert text(clause.select_one(".crmrisk-proof-line")) == "Preuves\u202f: EVD-DPA-01 valide"
    assert "prouvée par" in text(clause)
    assert text(
        page(french, "clauses").find("table", id="CLA-INFO-02").select_one(".crmrisk-proof-line")
    ) == ("Preuves\u202f: aucune")
    # the evidence itself: state, dates, approval
    evidence = page(french, "preuves").find("table", id="EVD-DPA-01")
    assert text(evidence.select_one(".crmrisk-evidence")) == (
        "Preuve\u202f: valide — établie le 2026-03-12, valable jusqu'au 2029-03-11, revu le "
        "2026-11-15 par Claire Martin, DPO"
    )
    assert "prouve" in text(evidence) and "Date de la preuve" in text(evidence)


def test_the_matrix_has_a_proof_column_and_the_coverage_its_counts(french):
    suivi = page(french, "suivi")
    matrix = suivi.find("table", class_="crmrisk-matrix")
    assert [text(th) for th in matrix.find_all("th")][5] == "Preuve"
    proofs = {tr["data-proof"] for tr in matrix.find("tbody").find_all("tr")}
    assert proofs == {"proven", "invalid", "unproven"}
    row = next(tr for tr in matrix.find("tbody").find_all("tr") if "OBL-RGPD-30" in text(tr))
    assert text(row.find_all("td")[5]) == "preuve invalide EVD-REG-01"
    proof_table = suivi.find("table", class_="crmrisk-proof-summary")
    assert [text(th) for th in proof_table.find_all("th")] == [
        "Phase",
        "Couvertes ou à venir",
        "Prouvées",
        "Preuve invalide",
        "Sans preuve",
        "Prouvées (%)",
    ]
    total = [text(td) for td in proof_table.find("tbody").find_all("tr")[-1].find_all("td")]
    assert total == ["Toutes les phases", "4", "2", "1", "1", "50 %"]
    # the review calendar names who reviewed
    calendar = suivi.find("table", class_="crmrisk-reviews")
    assert "2026-11-15 par Claire Martin, DPO" in text(calendar)


def test_the_exports_carry_the_proof_and_the_evidence(french):
    outdir = Path(french.outdir)
    document = json.loads((outdir / "traceability.json").read_text())
    jsonschema.validate(document, json.loads(SCHEMA_FILE.read_text()))
    by_id = {o["id"]: o for o in document["obligations"]}
    assert (by_id["OBL-RGPD-28-3"]["proof"], by_id["OBL-RGPD-28-3"]["proven_by"]) == (
        "proven",
        ["EVD-DPA-01"],
    )
    assert (by_id["OBL-RGPD-30"]["proof"], by_id["OBL-RGPD-13"]["proof"]) == ("invalid", "unproven")
    assert {r["id"]: r["reviewed_by"] for r in document["reviews"]}["CLA-DPA-01"] == (
        "Claire Martin, DPO"
    )
    dpa = next(e for e in document["evidence"] if e["id"] == "EVD-DPA-01")
    assert dpa == {
        "id": "EVD-DPA-01",
        "title": "Accord de sous-traitance signé avec Acme Appels",
        "state": "valid",
        "status": "",
        "proves": ["CLA-DPA-01"],
        "document": SIGNED_PDF,
        "dated": "2026-03-12",
        "valid_until": "2029-03-11",
        "owner": "Direction juridique",
        "sha256": file_sha256(ROOTS / "test-evidence" / SIGNED_PDF),
        "reviewed": "2026-11-15",
        "reviewed_by": "Claire Martin, DPO",
        "file": "preuves.md",
        "line": 3,
    }
    rows = list(
        csv.DictReader(
            io.StringIO((outdir / "traceability.csv").read_text("utf-8-sig")), delimiter=";"
        )
    )
    row = next(r for r in rows if r["Identifiant"] == "OBL-RGPD-30")
    assert (row["Preuve"], row["Prouvée par"]) == ("preuve invalide", "EVD-REG-01")
    book = openpyxl.load_workbook(outdir / "traceability.xlsx")
    assert book.sheetnames[-3:] == ["Revues", "Preuves", "Éléments"]
    sheet = book["Preuves"]
    assert [c.value for c in sheet[1]][:5] == [
        "Identifiant",
        "Intitulé",
        "État",
        "Statut",
        "Prouve",
    ]
    values = {r[0]: r for r in sheet.iter_rows(min_row=2, values_only=True)}
    assert values["EVD-REG-01"][2] == "expirée"
    assert values["EVD-DPA-01"][10:12] == (dt.datetime(2026, 11, 15), "Claire Martin, DPO")
    assert "Revu par" in [c.value for c in book["Revues"][1]]
    summary = [c.value for c in book["Synthèse"][1]]
    assert summary[-3:] == ["Prouvées", "Preuve invalide", "Sans preuve"]


def test_the_views_and_exports_in_english(english):
    register = page(english, "registre").find("div", class_="body")
    assert text(register.find("p", class_="crmrisk-count")) == (
        "Evidence: 3. Expired, missing or changed: 0; expiring within 90 days: 1; valid: 2."
    )
    assert "reviewed on 2026-11-15 by Claire Martin, DPO" in text(register)
    need = page(english, "obligations").find("table", id="OBL-RGPD-13")
    assert text(need.select_one(".crmrisk-proof")) == "Proof: unproven"
    book = openpyxl.load_workbook(Path(english.outdir) / "traceability.xlsx")
    assert book.sheetnames[-3:] == ["Reviews", "Evidence register", "Items"]
    headings = [c.value for c in book["Evidence register"][1]]
    assert headings[:4] == ["ID", "Title", "State", "Status"]
    assert "Reviewed by" in headings
    csv_head = (Path(english.outdir) / "traceability.csv").read_text("utf-8-sig").splitlines()[0]
    assert "Proof,Proven by" in csv_head


def test_computed_fields_carry_the_proof_and_the_evidence_state(english):
    needs = needs_of(english)
    assert needs["OBL-RGPD-28-3"]["proof_state"] == "proven"
    assert needs["OBL-RGPD-13"]["proof_state"] == "unproven"
    assert needs["EVD-CONSENT-01"]["evidence_state"] == "expiring"
    assert needs["EVD-DPA-01"]["document_sha256"] == file_sha256(
        ROOTS / "test-evidence" / SIGNED_PDF
    )


# -- incremental and parallel builds --------------------------------------------------------


def test_editing_evidence_gives_what_a_clean_build_gives(make_app, copy_root, tmp_path, capsys):
    src = copy_root("evidence")
    assert warnings_of(build(make_app, src, fresh=True)) == []
    pdf = src / SIGNED_PDF
    stamp = pdf.stat()
    steps = {
        "expire": lambda: edit(
            src / "preuves.md", ":valid_until: 2029-03-11", ":valid_until: 2026-06-30"
        ),
        "back": lambda: edit(
            src / "preuves.md", ":valid_until: 2026-06-30", ":valid_until: 2029-03-11"
        ),
        # only the bytes of the file: the same size, and its old modification time back
        "bytes": lambda: (
            flip_one_byte(pdf),
            os.utime(pdf, ns=(stamp.st_atime_ns, stamp.st_mtime_ns)),
        ),
        "approve": lambda: review(
            capsys, str(src), "EVD-DPA-01", "--by", "Claire Martin, DPO", "--today", "2026-11-30"
        ),
        "delete": lambda: pdf.unlink(),
        "restore": lambda: shutil.copy(ROOTS / "test-evidence" / SIGNED_PDF, pdf),
        "retire": lambda: edit(
            src / "procedures.rst",
            "   :id: EVD-REG-01\n",
            "   :id: EVD-REG-01\n   :status: retired\n",
        ),
    }
    expected = {
        "expire": ["[crmrisk.evidence_expired]"],
        "back": [],
        "bytes": ["[crmrisk.evidence_changed]"],
        "approve": [],
        "delete": ["[crmrisk.evidence_missing]"],
        "restore": ["[crmrisk.evidence_changed]"],
        "retire": ["[crmrisk.evidence_changed]"],
    }
    for name, step in steps.items():
        step()
        incremental = build(make_app, src)
        clean = clean_copy(make_app, src, tmp_path, f"clean-{name}")
        found = warnings_of(incremental)
        assert found == warnings_of(clean), name
        assert [w[w.rindex("[") :] for w in found] == expected[name], (name, found)
        assert_same_pages(incremental, clean)
        assert needs_of(incremental) == needs_of(clean)
        assert (Path(incremental.outdir) / "traceability.json").read_bytes() == (
            Path(clean.outdir) / "traceability.json"
        ).read_bytes()
    # the retired evidence: not counted, so PROC-REG-01's obligation has no proof left
    document = json.loads((Path(incremental.outdir) / "traceability.json").read_text())
    assert {o["id"]: o["proof"] for o in document["obligations"]}["OBL-RGPD-30"] == "unproven"
    # a no-change build writes nothing and says the same
    again = build(make_app, src)
    assert warnings_of(again) == found
    assert again.written_pages - {"genindex", "search", "permalink"} == set()


def test_parallel_build_with_evidence_matches_serial_build(make_app, copy_root, tmp_path):
    src = copy_root("evidence")
    flip_one_byte(src / SIGNED_PDF)
    edit(src / "procedures.rst", ":valid_until: 2027-10-14", ":valid_until: 2026-10-31")
    serial = build(make_app, src, fresh=True, parallel=1)
    parallel_src = tmp_path / "parallel-j2"
    shutil.copytree(src, parallel_src, ignore=shutil.ignore_patterns("_build"))
    parallel = build(make_app, parallel_src, fresh=True, parallel=2)
    assert_read_in_parallel(parallel)
    assert [w[w.rindex("[") :] for w in warnings_of(serial)] == [
        "[crmrisk.evidence_changed]",
        "[crmrisk.evidence_expired]",
    ]
    assert warnings_of(parallel) == warnings_of(serial)
    assert needs_of(parallel) == needs_of(serial)
    assert_same_pages(parallel, serial)
    # an incremental parallel build after the file changes back
    shutil.copy(ROOTS / "test-evidence" / SIGNED_PDF, parallel_src / SIGNED_PDF)
    for page_file in parallel_src.glob("*.md"):
        page_file.write_text(page_file.read_text() + "\n")
    again = build(make_app, parallel_src, parallel=2)
    clean = clean_copy(make_app, parallel_src, tmp_path, "clean-j2")
    assert warnings_of(again) == warnings_of(clean)
    assert_same_pages(again, clean)


def test_the_command_on_a_source_folder_reads_the_facts_of_its_needs_build(copy_root, capsys):
    src = copy_root("evidence")
    assert main(["check", str(src), "--format", "json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["proof"] == {"proven": 3, "invalid": 0, "unproven": 1}
    flip_one_byte(src / SIGNED_PDF)
    assert main(["check", str(src), "--format", "json"]) == 1
    [problem] = json.loads(capsys.readouterr().out)["problems"]
    assert (problem["subtype"], problem["location"], problem["id"]) == (
        "evidence_changed",
        "preuves.md:3",
        "EVD-DPA-01",
    )
