"""OSCAL exports: ``crmrisk matrix --format oscal-catalog|oscal-profile`` and the shipped
catalogue's ``oscal-catalog.json``, checked against NIST's OSCAL 1.2.3 JSON schemas.

The schemas are vendored under ``tests/oscal/`` (see its NOTICE.md). Python's
``jsonschema`` refuses their ``\\p{L}`` patterns; jsonschema-rs, installed with
sphinx-needs, reads them. The JSON schemas check neither uniqueness nor references:
the OSCAL Metaschema constraints that matter here are checked by :func:`constraints`.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import jsonschema_rs
import pytest
from sphinx_builds import build_once

from sphinx_crmrisk.cli import main
from sphinx_crmrisk.law_catalogue import CATALOGUE_DIR, OSCAL_FILE, versions
from sphinx_crmrisk.oscal import CATALOG_FILE, NS, OSCAL_VERSION, control_id, prose

SCHEMAS = Path(__file__).parent / "oscal"


def validator(model: str) -> jsonschema_rs.Draft7Validator:
    schema = json.loads((SCHEMAS / f"oscal_{model}_schema.json").read_text(encoding="utf-8"))
    return jsonschema_rs.Draft7Validator(schema, validate_formats=True)


def schema_errors(model: str, document: dict) -> list[str]:
    """Each error with where it is (``evaluate`` names the place inside an ``anyOf``)."""
    check = validator(model)
    if check.is_valid(document):
        return []
    return [f"{e['instanceLocation']}: {e['error']}" for e in check.evaluate(document).errors()]


def controls_of(catalog: dict) -> list[dict]:
    found = list(catalog.get("controls", []))
    for group in catalog.get("groups", []):
        found += group.get("controls", [])
    return found


def constraints(document: dict) -> list[str]:
    """What the OSCAL Metaschema requires beyond the JSON schema: unique ids, a statement
    part on each control, ``#uuid`` links that resolve, our props with our namespace."""
    catalog = document["catalog"]
    problems = []
    ids = [g["id"] for g in catalog.get("groups", [])]
    for control in controls_of(catalog):
        ids.append(control["id"])
        ids += [part["id"] for part in control.get("parts", [])]
        if not any(part["name"] == "statement" for part in control.get("parts", [])):
            problems.append(f"{control['id']} has no statement part")
        for prop in control.get("props", []):
            if "ns" not in prop and prop["name"] not in ("label", "status"):
                problems.append(f"{control['id']}: prop {prop['name']} lacks ns")
            if "ns" in prop and prop["ns"] != NS:
                problems.append(f"{control['id']}: prop {prop['name']} in {prop['ns']}")
    if len(ids) != len(set(ids)):
        problems.append("ids are not unique")
    resources = {r["uuid"] for r in catalog.get("back-matter", {}).get("resources", [])}
    control_ids = {c["id"] for c in controls_of(catalog)}
    for control in controls_of(catalog):
        for link in control.get("links", []):
            target = link["href"].removeprefix("#")
            if link["href"].startswith("#") and target not in resources | control_ids:
                problems.append(f"{control['id']}: {link['href']} resolves to nothing")
    return problems


@pytest.fixture(scope="module")
def insurer(tmp_path_factory):
    """A build of the catalogue root (an insurer that canvasses: the AI Act is out of its
    scope; lapsed rules are part of the law) and its two OSCAL documents, each written
    twice by the command."""
    root = tmp_path_factory.mktemp("oscal") / "insurer"
    shutil.copytree(Path(__file__).parent / "roots" / "test-catalogue", root)
    build = Path(build_once(root).outdir)
    written = {}
    for fmt in ("oscal-catalog", "oscal-profile"):
        runs = []
        for n in (1, 2):
            out = root / f"{fmt}-{n}.json"
            assert main(["matrix", str(build), "--format", fmt, "--output", str(out)]) == 0
            runs.append(out.read_bytes())
        written[fmt] = runs
    trace = json.loads((build / "traceability.json").read_text(encoding="utf-8"))
    return written, {o["id"]: o for o in trace["obligations"]}, build


def test_the_catalog_validates_against_nists_schema_and_holds_every_obligation(insurer):
    written, states, _build = insurer
    catalog = json.loads(written["oscal-catalog"][0])
    assert schema_errors("catalog", catalog) == []
    assert constraints(catalog) == []
    body = catalog["catalog"]
    assert body["metadata"]["oscal-version"] == OSCAL_VERSION
    assert body["metadata"]["last-modified"] == "2026-11-30T00:00:00Z"  # crmrisk_today
    controls = {c["id"]: c for c in controls_of(body)}
    # the catalog is the law: out of scope and lapsed obligations are in it
    assert set(controls) == {control_id(i) for i in states}
    assert {g["id"] for g in body["groups"]} == {
        "PH-CONCEPTION",
        "PH-DEPLOIEMENT",
        "PH-EXPLOITATION",
    }
    opt_in = controls["OBL-CONSO-L223-1"]
    props = {(p["name"], p["value"]) for p in opt_in["props"]}
    assert ("label", "OBL-CONSO-L223-1") in props
    assert ("applies_to", "prospection") in props
    assert {"legal_basis", "effective", "verification"} <= {p["name"] for p in opt_in["props"]}
    statement = opt_in["parts"][0]
    assert statement["name"] == "statement" and "démarcher par téléphone" in statement["prose"]
    # the official source is a back-matter resource the control links to
    resources = {r["uuid"]: r for r in body["back-matter"]["resources"]}
    link = next(link for link in opt_in["links"] if link["rel"] == "reference")
    assert resources[link["href"][1:]]["rlinks"][0]["href"].startswith("https://")
    # a lapsed obligation is withdrawn, in OSCAL's own words
    lapsed = [i for i, o in states.items() if o["state"] == "lapsed"]
    assert lapsed
    for obligation_id in lapsed:
        assert {"name": "status", "value": "withdrawn"} in controls[control_id(obligation_id)][
            "props"
        ]
    # MyST is not OSCAL's Markdown: no role, no directive fence is left in the prose
    for control in controls.values():
        text = control["parts"][0]["prose"]
        assert "{need}`" not in text and "```{" not in text, control["id"]


def test_the_profile_selects_the_obligations_in_scope_from_the_catalog(insurer):
    written, states, _build = insurer
    profile = json.loads(written["oscal-profile"][0])
    catalog = json.loads(written["oscal-catalog"][0])
    assert schema_errors("profile", profile) == []
    (imported,) = profile["profile"]["imports"]
    assert imported["href"] == CATALOG_FILE  # the catalog's file name, beside the profile
    (selected,) = imported["include-controls"]
    chosen = selected["with-ids"]
    # every ID it selects is a control of the catalog (the JSON schema cannot tell)
    assert set(chosen) <= {c["id"] for c in controls_of(catalog["catalog"])}
    expected = sorted(i for i, o in states.items() if o["state"] not in ("out_of_scope", "lapsed"))
    assert chosen == [control_id(i) for i in expected]
    # out of scope (the AI Act, for an insurer) and lapsed rules are left out
    assert "OBL-IA-50" not in chosen and states["OBL-IA-50"]["state"] == "out_of_scope"
    assert not {i for i, o in states.items() if o["state"] == "lapsed"} & set(chosen)
    # uncovered obligations in scope are in it: the profile is the scope, not the coverage
    assert any(states[i]["state"] == "uncovered" for i in chosen)
    activities = {
        p["value"] for p in profile["profile"]["metadata"]["props"] if p["name"] == "activity"
    }
    assert activities == {"prospection", "assurance"}


def test_two_exports_of_one_build_are_byte_identical(insurer):
    written, _states, _build = insurer
    for fmt, (first, second) in written.items():
        assert first == second, fmt
    catalog = json.loads(written["oscal-catalog"][0])
    profile = json.loads(written["oscal-profile"][0])
    assert catalog["catalog"]["uuid"] != profile["profile"]["uuid"]


def test_the_profile_href_is_a_valid_uri_reference_whatever_is_given(insurer, tmp_path, capsys):
    _written, _states, build = insurer
    out = tmp_path / "profile.json"
    argv = ["matrix", str(build), "--format", "oscal-profile", "--output", str(out)]
    assert main([*argv, "--catalog-href", "mon catalogue <v2>.json"]) == 0
    profile = json.loads(out.read_text(encoding="utf-8"))
    assert profile["profile"]["imports"][0]["href"] == "mon%20catalogue%20%3Cv2%3E.json"
    assert schema_errors("profile", profile) == []


def test_an_id_that_is_not_an_oscal_token_is_mapped_and_kept_as_its_label():
    assert control_id("OBL-RGPD-28-3") == "OBL-RGPD-28-3"
    assert control_id("28-3-RGPD") == "_28-3-RGPD"
    assert control_id("OBL:X") == "_OBL_X"
    token = {"type": "string", "pattern": r"^(\p{L}|_)(\p{L}|\p{N}|[.\-_])*$"}
    for value in ("28-3-RGPD", "OBL:X", "A B", "é-1"):
        assert jsonschema_rs.is_valid(token, control_id(value)), value


def test_prose_turns_myst_roles_and_directives_into_plain_markdown():
    text = (
        "Voir {need}`OBL-X` et {doc}`la page <handbook/x>`.\n\n"
        "```{admonition} À confirmer\n:class: warning\n- Date : à relire.\n```\n"
    )
    assert prose(text) == "Voir OBL-X et la page.\n\n**À confirmer**\n- Date : à relire."


def test_the_shipped_oscal_catalogue_validates_against_nists_schema():
    newest = CATALOGUE_DIR / versions()[-1] / OSCAL_FILE
    catalog = json.loads(newest.read_text(encoding="utf-8"))
    assert schema_errors("catalog", catalog) == []
    assert constraints(catalog) == []
    assert catalog["catalog"]["metadata"]["version"] == versions()[-1]


def test_a_profile_with_nothing_in_scope_is_refused_in_one_line(tmp_path):
    import datetime as dt

    from sphinx_crmrisk.model import Item, Model
    from sphinx_crmrisk.oscal import OscalError, catalog_document, profile_document
    from sphinx_crmrisk.traceability import Traceability

    lapsed = Item("OBL-OLD", "obligation", "Old", fields={"until": "2020-01-01"})
    trace = Traceability.at(Model([lapsed]), dt.date(2026, 12, 5))
    catalog = catalog_document(trace)
    assert schema_errors("catalog", catalog) == []
    # no phase: the control stands at the top of the catalog
    assert [c["id"] for c in catalog["catalog"]["controls"]] == ["OBL-OLD"]
    with pytest.raises(OscalError, match="no obligation is in scope"):
        profile_document(trace)
