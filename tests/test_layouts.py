"""Each kind's need layout: its own fields only, French labels, the user's choice wins."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from conftest import ROOTS
from sphinx_builds import soup, warnings_of
from sphinx_needs.config import NeedsSphinxConfig

import sphinx_crmrisk.sphinx_ext
from sphinx_crmrisk.kinds import COMPUTED_FIELDS, FIELD_SPECS, FIELDS, Kind
from sphinx_crmrisk.needs_json import read_needs
from sphinx_crmrisk.sphinx_ext import registration
from sphinx_crmrisk.sphinx_ext.layouts import (
    LAYOUT,
    _excluded,
    field_labels,
    kind_fields,
    kind_layout,
    need_layout,
)

#: The French label of every field of ours an obligation alone has.
OBLIGATION_ONLY_LABELS = (
    "Base légale",
    "En vigueur le",
    "Jusqu'au",
    "Sanction",
    "Source",
    "Justification",
)


def rendered(app, need_id: str, page: str = "index") -> tuple[str, str]:
    """A need's layout name (from its CSS class) and its text, whitespace collapsed."""
    table = soup(app, page).find("table", id=need_id)
    assert table is not None, need_id
    layouts = [
        c.removeprefix("needs_layout_") for c in table["class"] if c.startswith("needs_layout_")
    ]
    return layouts[0], " ".join(table.get_text(" ").split())


def test_each_kind_lists_status_and_its_own_fields():
    for kind in Kind:
        names = kind_fields(kind)
        assert names[0] == "status"
        # the fields shown as badges are not layout lines
        badges = {n for n, spec in FIELD_SPECS.items() if not spec.in_layout}
        assert {"verification", "reviewed", "severity", *COMPUTED_FIELDS} <= badges
        assert set(names[1:]) == {n for n, kinds in FIELDS.items() if kind in kinds} - badges
    # the review fields are in the review badge, the scores in the level badge
    assert kind_fields(Kind.CLAUSE) == ["status", "party", "owner", "expected_evidence"]
    assert kind_fields(Kind.EVIDENCE) == ["status", "owner", "document", "dated", "valid_until"]
    assert kind_fields(Kind.RISK) == ["status", "owner"]


@pytest.mark.sphinx("html", testroot="layouts", freshenv=True)
def test_each_kind_renders_with_its_own_layout(app):
    app.build()
    assert warnings_of(app) == []

    layout, obligation = rendered(app, "OBL-RGPD-30")
    assert layout == kind_layout(Kind.OBLIGATION) == "crmrisk-obligation"
    assert obligation.startswith("Obligation : Tenir le registre OBL-RGPD-30")
    assert "Base légale : RGPD, art. 30" in obligation
    assert "En vigueur le : 2018-05-25" in obligation
    assert "Sanction : Amende" in obligation
    assert "couverte par : CLA-CLEAN-01 , CLA-RGPD-03 , PROC-REG-01" in obligation
    assert "traitée par le risque : RISK-01" in obligation
    assert "layout:" not in obligation

    layout, clause = rendered(app, "CLA-RGPD-03")
    assert layout == "crmrisk-clause"
    assert clause.startswith("Clause : Accord de sous-traitance CLA-RGPD-03")
    assert "Partie(s) : prestataire, éditeur" in clause
    assert "couvre : OBL-RGPD-30" in clause
    for label in (*OBLIGATION_ONLY_LABELS, "Responsable", "Fréquence"):
        assert label not in clause
    assert "layout:" not in clause

    layout, procedure = rendered(app, "PROC-REG-01")
    assert layout == "crmrisk-procedure"
    assert "Responsable : DPO" in procedure
    assert "Fréquence : annuelle" in procedure
    assert "Partie(s)" not in procedure
    for label in OBLIGATION_ONLY_LABELS:
        assert label not in procedure

    assert rendered(app, "RISK-01")[0] == "crmrisk-risk"
    assert rendered(app, "PH-CONCEPTION")[0] == "crmrisk-phase"


@pytest.mark.sphinx("html", testroot="layouts", freshenv=True)
def test_user_fields_stay_visible(app):
    app.build()
    # in a French build, their colon too has its narrow no-break space (normalised here)
    assert "reviewer : Camille" in rendered(app, "OBL-RGPD-30")[1]
    assert "reviewer : Dominique" in rendered(app, "CLA-RGPD-03")[1]


@pytest.mark.sphinx("html", testroot="layouts", freshenv=True)
def test_a_french_layout_keeps_french_typography(app):
    """« Base légale : », « Obligation : », « couverte par : »: a narrow no-break space
    (U+202F) before each colon of the layout, never in the item's own text (issue 24)."""
    app.build()
    html = (Path(app.outdir) / "index.html").read_text(encoding="utf-8")
    assert "<strong>Base légale</strong>\u202f: " in html
    assert '<span class="needs_data">Obligation</span></span>\u202f: ' in html
    assert "couverte par\u202f: " in html
    assert "Base légale: " not in html and "couverte par: " not in html


@pytest.mark.sphinx("html", testroot="layouts", freshenv=True)
def test_an_explicit_layout_on_a_need_wins(app):
    app.build()
    layout, text = rendered(app, "CLA-CLEAN-01")
    assert layout == "clean"
    assert "Partie(s)" not in text and "party: éditeur" in text
    assert read_needs(app.outdir)["CLA-CLEAN-01"]["layout"] == "clean"


@pytest.mark.sphinx("html", testroot="layouts", freshenv=True)
def test_other_need_types_keep_the_generic_layout(app):
    """A need of another type (the host's) keeps the host's layout, here sphinx-needs'
    default ``clean``: our layouts are for our kinds only (issue 11, coexistence; the
    generic ``crmrisk`` layout that every other need once got is gone)."""
    app.build()
    assert rendered(app, "REQ-AUTRE-01")[0] == "clean"
    assert not read_needs(app.outdir)["REQ-AUTRE-01"].get("layout")
    assert LAYOUT not in NeedsSphinxConfig(app.config).layouts


@pytest.mark.sphinx(
    "html", testroot="layouts", freshenv=True, confoverrides={"needs_default_layout": "complete"}
)
def test_the_users_default_layout_wins(app):
    app.build()
    assert warnings_of(app) == []
    for need_id in ("OBL-RGPD-30", "CLA-RGPD-03", "PROC-REG-01", "REQ-AUTRE-01"):
        assert rendered(app, need_id)[0] == "complete"
    assert rendered(app, "CLA-CLEAN-01")[0] == "clean"


@pytest.mark.sphinx(
    "html",
    testroot="layouts",
    freshenv=True,
    confoverrides={
        "needs_fields": {
            "reviewer": {
                "description": "Relecteur",
                "schema": {"type": "string"},
                "nullable": True,
            },
            "layout": {"default": "complete"},
        }
    },
)
def test_the_users_layout_default_wins(app):
    app.build()
    assert warnings_of(app) == []
    assert rendered(app, "CLA-RGPD-03")[0] == "complete"
    assert rendered(app, "OBL-RGPD-30")[0] == "complete"
    assert rendered(app, "CLA-CLEAN-01")[0] == "clean"


@pytest.mark.sphinx("html", testroot="clean", freshenv=True)
def test_the_french_handbook_builds_clean_with_the_kind_layouts(app):
    app.build()
    assert warnings_of(app) == []
    layout, clause = rendered(app, "CLA-RGPD-03", "controles")
    assert layout == "crmrisk-clause"
    assert "Partie(s) : prestataire, éditeur" in clause
    assert "Base légale" not in clause
    layout, procedure = rendered(app, "PROC-IA-16", "controles")
    assert layout == "crmrisk-procedure"
    assert "Responsable : DPO" in procedure
    layout, obligation = rendered(app, "OBL-FIN-1", "obligations")
    assert layout == "crmrisk-obligation"
    assert "Justification : Le programme ne vend aucun service financier." in obligation


def _sphinx_needs_layout(kind: Kind) -> dict[str, object]:
    """The layout as it was before our lines were drawn after sphinx-needs had laid the
    need out: all of it drawn by sphinx-needs, the head, one ``meta()`` line a field with
    its label, ``meta_all()`` for the user's other fields, then the links."""
    labels = field_labels()
    # the project is in French: the colon of « Base légale : », narrow no-break space first
    colon = "\u202f: "
    lines = [
        f'<<meta("{name}", prefix="\\*\\*{labels[name]}\\*\\*{colon}")>>'
        for name in kind_fields(kind)
    ]
    head = f'<<meta("type_name")>>{colon}**<<meta("title")>>** <<meta_id()>>'
    other_fields = f"<<meta_all(no_links=True, exclude={_excluded()!r})>>"
    assert need_layout()["layout"] == {"head": [], "meta": []}
    return {
        "grid": "simple",
        "layout": {"head": [head], "meta": [*lines, other_fields, "<<meta_links_all()>>"]},
    }


def _need_tables(outdir: Path) -> dict[str, str]:
    soup = BeautifulSoup((outdir / "index.html").read_text(), "html.parser")
    return {table["id"]: str(table) for table in soup.find_all("table", class_="need")}


def test_the_layout_lines_are_what_sphinx_needs_draws(make_app, tmp_path, monkeypatch):
    """The head and the meta block, drawn after sphinx-needs' layout without parsing,
    are the HTML that sphinx-needs' own layout lines give: the head's ``meta()`` and
    ``meta_id()``, one ``<<meta(...)>>`` line a field of ours (same labels, same empty
    lines for empty fields, the ``source`` URLs as links (needs_string_links), split at
    the comma with sphinx-needs' separator), ``meta_all()`` for the user's own fields (a
    text, a list) and ``meta_links_all()``, both ways, resolved by sphinx-needs."""

    def build(name: str):
        srcdir = Path(shutil.copytree(ROOTS / "test-layouts", tmp_path / name))
        app = make_app("html", srcdir=srcdir, freshenv=True)
        app.build()
        app.cleanup()
        assert warnings_of(app) == []
        return _need_tables(Path(app.outdir))

    ours = build("layouts")
    add_need_layout = registration.add_need_layout

    def meta_lines(app, name, layout, *args, **kwargs):
        kinds = {kind_layout(kind): kind for kind in Kind}
        if name in kinds:
            layout = _sphinx_needs_layout(kinds[name])
        return add_need_layout(app, name, layout, *args, **kwargs)

    monkeypatch.setattr(registration, "add_need_layout", meta_lines)
    monkeypatch.setattr(sphinx_crmrisk.sphinx_ext, "add_layout_lines", lambda *args: None)
    theirs = build("layouts-meta")
    assert sorted(ours) == sorted(theirs)
    for need_id, table in ours.items():
        assert table == theirs[need_id], need_id
    assert "Responsable" in ours["PROC-REG-01"] and "Statut" in ours["PROC-REG-01"]
    assert ours["OBL-RGPD-30"].count('class="reference external"') == 2
    # the head, the user's own fields (a text, a list) and the links are all there
    assert (
        "Tenir le registre" in ours["OBL-RGPD-30"] and 'href="#OBL-RGPD-30"' in ours["OBL-RGPD-30"]
    )
    assert "reviewer" in ours["OBL-RGPD-30"] and "Camille" in ours["OBL-RGPD-30"]
    assert 'class="needs_spacer"' in ours["OBL-RGPD-30"]  # tags: registre, rgpd
    assert 'class="needs_data"' in ours["CLA-RGPD-03"] and "OBL-RGPD-30" in ours["CLA-RGPD-03"]
