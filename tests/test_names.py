"""The parts of coexistence (issue 11, part 2) that tests/test_coexistence.py does not
take one by one: renamed names in the model, the CLI and messages, the ID rule, the
``crmrisk_enable = "auto"`` scan and what it does to an incremental build."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import pytest
from sphinx.errors import ConfigError
from sphinx.testing.util import SphinxTestApp
from sphinx_builds import after_the_cache, soup
from sphinx_needs.config import NeedsSphinxConfig

from sphinx_crmrisk.cli import main
from sphinx_crmrisk.kinds import DEFAULT_NAMES, Kind, Names
from sphinx_crmrisk.model import Model, find_problems, item_from_need, need_keys
from sphinx_crmrisk.needs_json import read_model_needs
from sphinx_crmrisk.settings import CONFIG_JSON, SettingsError, default_values, read_settings
from sphinx_crmrisk.sphinx_ext.autodetect import directive_pattern
from sphinx_crmrisk.sphinx_ext.coexistence import ID_REGEX, extended_id_regex

ROOTS = Path(__file__).parent / "roots"
RENAMED = Names.resolve({"risk": "crm_risk"}, {"owner": "crm_owner"}, {"covers": "crm_covers"})


def config_with(**values):
    return read_settings({**default_values(), **values})


# -- the names ---------------------------------------------------------------------


def test_names_default_to_the_canonical_ones():
    assert config_with().names == DEFAULT_NAMES
    assert DEFAULT_NAMES.is_canonical and not RENAMED.is_canonical
    assert RENAMED.type(Kind.RISK) == "crm_risk" and RENAMED.type(Kind.PHASE) == "phase"
    assert RENAMED.kinds["crm_risk"] is Kind.RISK and "risk" not in RENAMED.kinds


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"crmrisk_type_names": {"hazard": "x"}}, "'hazard' is not one of our types"),
        ({"crmrisk_field_names": {"owner": "two words"}}, "must be a field name"),
        ({"crmrisk_link_names": {"covers": ""}}, "must be a link name"),
        ({"crmrisk_type_names": {"risk": "clause"}}, "'clause' and 'risk' are both named 'clause'"),
        ({"crmrisk_field_names": {"owner": "covers"}}, "are both named 'covers'"),
        ({"crmrisk_type_names": ["risk"]}, "crmrisk_type_names must be a dict"),
        ({"crmrisk_enable": "yes"}, "crmrisk_enable must be 'auto', True or False"),
    ],
)
def test_bad_names_are_settings_errors(values, message):
    with pytest.raises(SettingsError, match=re.escape(message)):
        config_with(**values)


def test_a_need_is_read_under_the_projects_names():
    ours = item_from_need(
        {"id": "RISK-1", "type": "crm_risk", "title": "t", "addresses": ["OBL-1"]}, RENAMED
    )
    assert ours.kind is Kind.RISK and ours.links == {"addresses": ("OBL-1",)}
    procedure = item_from_need(
        {
            "id": "PROC-1",
            "type": "procedure",
            "title": "t",
            "crm_owner": "DPO",
            "owner": "Team",
            "crm_covers": ["OBL-1"],
            "covers": ["REQ_1"],
        },
        RENAMED,
    )
    # canonical names inside; the host's owner and covers are not ours
    assert procedure.fields == {"owner": "DPO"} and procedure.links == {"covers": ("OBL-1",)}
    host = item_from_need({"id": "HZ_1", "type": "risk", "title": "t"}, RENAMED)
    assert host.kind is None
    assert set(need_keys(RENAMED)) >= {"crm_owner", "crm_covers"}
    assert not {"owner", "covers"} & set(need_keys(RENAMED))


def test_messages_use_the_projects_names_and_skip_host_needs():
    needs = {
        "OBL-1": {"id": "OBL-1", "type": "obligation", "title": "o", "legal_basis": "x"},
        "RISK-1": {"id": "RISK-1", "type": "crm_risk", "title": "r", "crm_covers": ["OBL-1"]},
        # a host need with a link of a name that is ours elsewhere: never reported
        "T_1": {"id": "T_1", "type": "test", "title": "t", "crm_covers": ["RISK-1"]},
    }
    model = Model.from_needs(
        needs,
        Names.resolve({"risk": "crm_risk"}, {}, {"covers": "crm_covers", "phase": "crm_phase"}),
    )
    messages = [f.message for f in find_problems(model)]
    assert messages == [
        "OBL-1: obligation has no 'crm_phase' link",
        "RISK-1: a crm_risk cannot have a 'crm_covers' link (only clause, procedure can)",
    ]


def test_a_host_layout_of_our_layout_name_is_a_config_error(copy_root):
    srcdir = copy_root("host-mixed")
    with pytest.raises(ConfigError, match="needs_layouts defines 'crmrisk-obligation'"):
        build(srcdir, needs_layouts={"crmrisk-obligation": {"grid": "simple", "layout": {}}})


# -- the ID rule -------------------------------------------------------------------


@pytest.mark.parametrize(
    "host",
    ["^[A-Z0-9_]{5,}", "^[a-z]+_[0-9]+$", "(?i)^req_[0-9]+", "^[A-Za-z0-9_]+"],
)
def test_the_id_rule_accepts_what_the_host_did_and_ours(host):
    combined = extended_id_regex(host)
    samples = [
        "REQ_001_login",
        "REQ_004-draft",
        "abc_12",
        "req_7",
        "Req_7x",
        "OBL-RGPD-30",
        "PH-X",
        "RISK-05",
        "ab-1",
        "x",
        "CLA-RGPD-03",
        "a b",
    ]
    for sample in samples:
        before = re.match(host, sample) is not None
        ours = re.match(ID_REGEX, sample) is not None
        assert (re.match(combined, sample) is not None) == (before or ours), sample
        # needextract tells an ID from a filter with fullmatch: the same union
        assert (re.fullmatch(combined, sample) is not None) == (
            re.fullmatch(host, sample) is not None or re.fullmatch(ID_REGEX, sample) is not None
        ), sample


def test_the_id_rule_is_left_alone_when_there_is_none_or_it_is_extended():
    assert extended_id_regex("") == "" and extended_id_regex(None) is None
    once = extended_id_regex("^[A-Z0-9_]{5,}")
    assert extended_id_regex(once) == once


def test_an_id_rule_that_cannot_be_extended_is_a_config_error():
    with pytest.raises(ConfigError, match="needs_id_regex"):
        extended_id_regex("^[A-Z](?i)x")


# -- crmrisk_enable = "auto" -----------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "found"),
    [
        (".. obligation:: Keep a record", True),
        ("   .. procedure:: indented, in eval-rst", True),
        ("```{clause} A clause", True),
        (":::{phase} Colon fence", True),
        ('    "```{obligation} In a notebook cell\\n",', True),
        ("The obligation:: is only a word here", False),
        (".. req:: A host need", False),
        ("```{code-block} python", False),
        ("Some text ```{obligation} in the middle of a line", False),
        ("{obligation}`a role, not a directive`", False),
        ("``{obligation}`` two backticks are inline code", False),
    ],
)
def test_the_scan_finds_our_directives_only(line, found):
    pattern = directive_pattern(DEFAULT_NAMES.types.values())
    assert pattern.search(f"Title\n=====\n\n{line}\n") is found
    assert pattern.search(line) is found  # on the first line of a file too


def build(srcdir: Path, **overrides) -> SphinxTestApp:
    app = SphinxTestApp(
        "html", srcdir=srcdir, confoverrides=overrides, status=io.StringIO(), warning=io.StringIO()
    )
    try:
        app.build()
    finally:
        app.cleanup()
    return app


def type_names(app: SphinxTestApp) -> set[str]:
    return {t["directive"] for t in NeedsSphinxConfig(app.config).types}


def test_an_excluded_page_of_items_does_not_enable(copy_root):
    srcdir = copy_root("host-mixed")
    (srcdir / "conf.py").write_text(
        (srcdir / "conf.py").read_text() + '\nexclude_patterns = ["crmrisk.md"]\n'
    )
    assert "obligation" not in type_names(build(srcdir))


def test_an_included_file_enables(copy_root):
    srcdir = copy_root("host-plain")
    (srcdir / "items.inc").write_text(
        ".. phase:: Deployment\n   :id: PH-DEPLOY\n", encoding="utf-8"
    )
    (srcdir / "index.rst").write_text(
        (srcdir / "index.rst").read_text() + "\n.. include:: items.inc\n", encoding="utf-8"
    )
    app = build(srcdir)
    assert "phase" in type_names(app)
    assert (Path(app.outdir) / CONFIG_JSON).is_file()


def report_of(app: SphinxTestApp) -> str:
    section = soup(app, "index").find("section", id="report")
    return " ".join(section.get_text(" ").split())


def test_the_first_item_added_to_a_host_is_seen_by_an_incremental_build(copy_root):
    """config-inited runs every build, so the scan does: the build after the first item
    was written (on a page of its own) registers our types, and since sphinx-needs
    re-reads every page when the need types change, the host's unchanged needreport
    page lists ours at once. Removing the item takes them away again."""
    srcdir = copy_root("host-plain")
    first = build(srcdir)
    assert "obligation" not in type_names(first)
    assert "Obligation" not in report_of(first)
    items = srcdir / "items.rst"
    items.write_text(
        ":orphan:\n\nItems\n=====\n\n.. obligation:: Keep a record\n   :id: OBL-RGPD-30\n"
        "   :legal_basis: GDPR, art. 30\n",
        encoding="utf-8",
    )
    second = build(srcdir)
    assert "obligation" in type_names(second)
    assert "Obligation" in report_of(second)
    # the obligation has no phase: our check runs
    assert "OBL-RGPD-30: obligation has no 'phase' link" in second.warning.getvalue()
    items.unlink()
    third = build(srcdir)
    assert "obligation" not in type_names(third)
    assert report_of(third) == report_of(first)


# -- the command -------------------------------------------------------------------


def test_the_command_reads_the_renamed_keys_from_the_record(copy_root, capsys):
    srcdir = copy_root("host-renamed")
    app = build(srcdir)
    record = json.loads((Path(app.outdir) / CONFIG_JSON).read_text(encoding="utf-8"))
    assert record["crmrisk_type_names"] == {"risk": "crm_risk"}
    assert record["crmrisk_link_names"] == {"covers": "crm_covers"}
    needs = read_model_needs(Path(app.outdir), RENAMED)
    assert needs["PROC-REG-01"]["crm_covers"] == ["OBL-RGPD-30"]
    assert main(["check", str(app.outdir), "--format", "json"]) == 1
    problems = json.loads(capsys.readouterr().out)["problems"]
    # OBL-RGPD-30 is covered through crm_covers; the host's TEST_LOGIN covers is not ours
    assert [(p["id"], p["subtype"]) for p in problems] == [("OBL-RGPD-32", "uncovered")]


def test_the_command_on_a_host_build_without_items_uses_the_defaults(copy_root, capsys):
    srcdir = copy_root("host-link-covers")
    app = build(srcdir)
    assert (Path(app.outdir) / "needs.json").is_file()
    assert not (Path(app.outdir) / CONFIG_JSON).exists()
    assert main(["check", str(app.outdir), "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["problems"] == []


def test_a_stale_record_is_not_kept_by_the_source_cache(copy_root):
    """The needs cache of a source folder (crmrisk check SOURCE) keeps no record of an
    earlier build once the project has no crmrisk item left."""
    from sphinx_crmrisk.needs_cache import needs_json_of

    srcdir = copy_root("host-mixed")
    needs_json = needs_json_of(srcdir)
    assert (needs_json.parent / CONFIG_JSON).is_file()
    (srcdir / "crmrisk.md").unlink()
    after_the_cache(needs_json, srcdir)  # a removed file changes its folder's mtime
    needs_json = needs_json_of(srcdir)
    assert needs_json.is_file() and not (needs_json.parent / CONFIG_JSON).exists()
