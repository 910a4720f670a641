"""sphinx_crmrisk added to an existing sphinx-needs project (issue 11, part 2).

Each host root under ``tests/roots/test-host-*`` is built twice, without and with the
extension (``coexistence.build_twice``), and the host's own output is compared: its
needs in ``needs.json`` key by key, its warnings line by line, how each of its needs is
rendered (layout and text), the need types sphinx-needs lists, and the files written.

Where a host already uses one of our names with another meaning, the build may instead
stop at once with a ConfigError that names the clash and the ``crmrisk_*_names`` value
that resolves it (``coexists_or_refuses``); with that value set, the host's output must
then be unchanged.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from coexistence import Build, added_warnings, build, build_twice, diff_needs
from sphinx.errors import ConfigError
from sphinx_builds import soup

from sphinx_crmrisk.kinds import FIELDS, LINK_SPECS, Kind

ROOTS = Path(__file__).parent / "roots"

#: Keys a host need may gain with the extension: the fields and links it registers
#: (sphinx-needs writes every registered field on every need, even fields declared on
#: our types alone; only the host's ``needs_json_remove_defaults`` drops them, see
#: docs/how-to/coexistence.md), under their canonical names or the ``crm_`` names the
#: roots here give them through ``crmrisk_field_names``/``crmrisk_link_names``.
_OUR_NAMES = frozenset(FIELDS) | frozenset(LINK_SPECS)
_OUR_LINKS = frozenset(LINK_SPECS) | {f"crm_{n}" for n in LINK_SPECS}
OUR_KEYS = _OUR_NAMES | {f"crm_{n}" for n in _OUR_NAMES} | {f"{n}_back" for n in _OUR_LINKS}

#: Every output file of a build with crmrisk items that sphinx_crmrisk itself writes.
OUR_FILES = frozenset(
    {
        "traceability.csv",
        "traceability.xlsx",
        "traceability.json",
        "crmrisk-config.json",
        "_static/crmrisk.css",
        "_static/crmrisk-views.css",
    }
)


def root(name: str) -> Path:
    return ROOTS / f"test-host-{name}"


def assert_host_unchanged(
    without: Build, with_: Build, host_ids: set[str] | None = None, our_pages: tuple[str, ...] = ()
) -> None:
    """The host's needs, warnings and rendering are the same with the extension.

    Warnings located in ``our_pages`` (the pages of crmrisk items, left out of the
    build without the extension) are ours to give, and not compared.
    """
    ids = set(without.needs) if host_ids is None else host_ids
    assert ids, "the host root has needs of its own"
    pairs = [("build data", without.needs, with_.needs)]
    if without.json_needs is not None:
        assert with_.json_needs is not None, "the host's needs.json is written"
        pairs.append(("needs.json", without.json_needs, with_.json_needs))
    for what, before, after in pairs:
        diff = diff_needs(before, after, ids)
        assert diff.missing == [], f"host needs lost with the extension ({what})"
        assert diff.removed_keys == {}, what
        assert diff.changed == {}, f"host need values changed ({what}): {diff.changed}"
        foreign = {i: [k for k in keys if k not in OUR_KEYS] for i, keys in diff.added_keys.items()}
        assert {i: k for i, k in foreign.items() if k} == {}, f"keys not of our fields ({what})"
    added = added_warnings(without.warnings, with_.warnings)
    assert [w for w in added if not w.startswith(tuple(f"<src>/{p}:" for p in our_pages))] == []
    for need_id in ids:
        if need_id in without.rendered:
            assert with_.rendered.get(need_id) == without.rendered[need_id], need_id


def coexists_or_refuses(
    tmp_path: Path, name: str, clash: str, value: str, **overrides: Any
) -> tuple[Build, Build] | None:
    """Builds the root both ways; None when the extension refused it as it should.

    A refusal must be a ConfigError naming the clashing name and the ``crmrisk_``
    value that resolves it. A build that goes through must leave the host unchanged.
    """
    try:
        without, with_ = build_twice(root(name), tmp_path, confoverrides=overrides or None)
    except ConfigError as err:
        refusal = str(err)
    else:
        assert_host_unchanged(without, with_)
        return without, with_
    assert clash in refusal, f"the ConfigError names the clash {clash!r}: {refusal}"
    assert value in refusal, f"the ConfigError names {value}: {refusal}"
    return None


#: The clash roots hold no crmrisk item, so with ``crmrisk_enable = "auto"`` (the
#: default) nothing of ours is registered and the host builds as without us; forced
#: (True, as for needs imported from elsewhere) our names meet the host's, and the
#: build must then refuse them clearly or keep the host's meaning.
ENABLE = pytest.mark.parametrize("enable", ["auto", True])

#: Forced, so that the renamed types, fields and links are registered in a root with
#: no crmrisk item of its own (the renaming is what these tests check).
FORCED = {"crmrisk_enable": True}


# -- a host need type ``risk`` ------------------------------------------------------


@ENABLE
def test_host_type_risk_keeps_its_meaning_or_is_refused_clearly(tmp_path, enable):
    """Before: NeedsApiConfigException ``risk already exists as need type`` (a
    SphinxError, not a ConfigError naming ``crmrisk_type_names``)."""
    builds = coexists_or_refuses(
        tmp_path, "type-risk", "risk", "crmrisk_type_names", crmrisk_enable=enable
    )
    if enable is True:
        assert builds is None, "our type 'risk' cannot be registered beside the host's"
    else:
        assert builds is not None, "the host's '.. risk::' is not taken for one of ours"
    if builds is not None:
        without, with_ = builds
        host_risk = next(t for t in without.types if t["directive"] == "risk")
        assert next(t for t in with_.types if t["directive"] == "risk") == host_risk


def test_host_type_risk_with_our_type_renamed(tmp_path):
    """``crmrisk_type_names = {"risk": "crm_risk"}``: the host's ``risk`` is untouched and
    ours is ``crm_risk``. Before: the value was unknown and the build aborted as above."""
    without, with_ = build_twice(
        root("type-risk"),
        tmp_path,
        confoverrides={**FORCED, "crmrisk_type_names": {"risk": "crm_risk"}},
    )
    assert_host_unchanged(without, with_)
    by_directive = {t["directive"]: t for t in with_.types}
    assert by_directive["risk"]["title"] == "Hazard"
    assert by_directive["risk"]["prefix"] == "HZ_"
    assert "crm_risk" in by_directive


# -- sphinx-needs' default ID rule ----------------------------------------------------


@ENABLE
def test_host_ids_on_the_default_rule_are_all_kept(tmp_path, enable):
    """Before: ``needs_id_regex`` was replaced by ``^[A-Z0-9][A-Z0-9_-]{2,}$``, which
    refuses ``REQ_001_login``: the host's needs are lost, each with a warning. Forced,
    the rule is extended for our IDs and still accepts every one of the host's."""
    without, with_ = build_twice(
        root("id-regex"), tmp_path, confoverrides={"crmrisk_enable": enable}
    )
    assert set(without.json_needs) == {
        "REQ_001_login",
        "SPEC_002_logout",
        "TEST_003_login_ok",
        "REQ_004-draft",
    }
    assert_host_unchanged(without, with_)
    assert ("obligation" in {t["directive"] for t in with_.types}) is (enable is True)


# -- a host link type ``covers`` ------------------------------------------------------


@ENABLE
def test_host_link_covers_keeps_its_meaning_or_is_refused_clearly(tmp_path, enable):
    """Before: each host ``covers`` link got a ``crmrisk.link_type`` warning (a test
    cannot have a 'covers' link...), since the checks read every need's links."""
    builds = coexists_or_refuses(
        tmp_path, "link-covers", "covers", "crmrisk_link_names", crmrisk_enable=enable
    )
    assert (builds is None) is (enable is True)
    if builds is not None:
        _without, with_ = builds
        assert not [w for w in with_.warnings if "[crmrisk." in w]
        # the host's own labels, not ours ("covered by")
        assert "is tested by" in with_.rendered["REQ_LOGIN"][1]


def test_host_link_covers_with_our_link_renamed(tmp_path):
    without, with_ = build_twice(
        root("link-covers"),
        tmp_path,
        confoverrides={**FORCED, "crmrisk_link_names": {"covers": "crm_covers"}},
    )
    assert_host_unchanged(without, with_)
    assert with_.json_needs["REQ_LOGIN"]["covers_back"] == ["TEST_LOGIN"]
    # ours is registered, under its new name
    assert with_.json_needs["REQ_LOGIN"]["crm_covers"] == []


# -- host fields ``owner``, ``source`` and ``phase`` ------------------------------------


@ENABLE
def test_host_fields_keep_their_meaning_or_are_refused_clearly(tmp_path, enable):
    """Before: ``Duplicate need field 'owner'`` and ``'source'`` (needs.config warnings)
    and the host's ``phase`` values read as links to needs ``design`` and ``build``
    (dead-link warnings, ``phase`` a list in needs.json)."""
    try:
        without, with_ = build_twice(
            root("fields"), tmp_path, confoverrides={"crmrisk_enable": enable}
        )
    except ConfigError as err:
        message = str(err)
        assert any(name in message for name in ("owner", "source", "phase"))
        assert "crmrisk_field_names" in message or "crmrisk_link_names" in message
        return
    assert enable == "auto", "forced, our owner, source and phase meet the host's"
    assert_host_unchanged(without, with_)
    assert with_.json_needs["REQ_LOGIN"]["owner"] == "Team Auth"
    assert with_.json_needs["REQ_LOGIN"]["phase"] == "design"
    assert with_.json_needs["REQ_LOGIN"]["source"] == "customer workshop"


def test_host_fields_with_our_names_renamed(tmp_path):
    without, with_ = build_twice(
        root("fields"),
        tmp_path,
        confoverrides={
            **FORCED,
            "crmrisk_field_names": {"owner": "crm_owner", "source": "crm_source"},
            "crmrisk_link_names": {"phase": "crm_phase"},
        },
    )
    assert_host_unchanged(without, with_)
    assert with_.json_needs["SPEC_FORM"]["source"] == "REQ_LOGIN"
    assert with_.json_needs["SPEC_FORM"]["phase"] == "build"
    assert with_.json_needs["SPEC_FORM"]["crm_owner"] is None  # ours, registered


# -- the layout ------------------------------------------------------------------


@ENABLE
def test_explicit_clean_layout_stays_clean(tmp_path, enable):
    """Before: ``needs_default_layout = "clean"`` could not be told from the default and
    was replaced by ``crmrisk``: host needs were drawn with our layout."""
    without, with_ = build_twice(
        root("layout-clean"), tmp_path, confoverrides={"crmrisk_enable": enable}
    )
    assert without.rendered["REQ_LOGIN"][0][0] == "needs_layout_clean"
    assert_host_unchanged(without, with_)
    assert ("obligation" in {t["directive"] for t in with_.types}) is (enable is True)


@ENABLE
@pytest.mark.parametrize("name", ["id-regex", "link-covers", "plain"])
def test_host_needs_keep_the_default_layout(tmp_path, name, enable):
    """A host that never set ``needs_default_layout``: its needs keep ``clean`` too
    (forced: with our layouts registered; our ``covers`` renamed beside the host's)."""
    overrides: dict[str, Any] = {"crmrisk_enable": enable}
    if enable is True and name == "link-covers":
        overrides["crmrisk_link_names"] = {"covers": "crm_covers"}
    without, with_ = build_twice(root(name), tmp_path, confoverrides=overrides)
    assert without.rendered, "the root renders needs"
    for need_id, (classes, _text) in without.rendered.items():
        assert with_.rendered.get(need_id, ((), ""))[0] == classes, need_id


# -- a project with no crmrisk item -------------------------------------------------


def test_project_without_crmrisk_items_gets_nothing_of_ours(tmp_path):
    """Before: needs.json (needs_build_json forced on), crmrisk-config.json,
    traceability.csv/xlsx/json and _static/crmrisk.css are written, and the
    needreport lists our five types."""
    without, with_ = build_twice(root("plain"), tmp_path)
    assert not without.wrote_needs_json
    assert sorted(with_.files - without.files) == []
    assert_host_unchanged(without, with_)
    assert [t["directive"] for t in with_.types] == [t["directive"] for t in without.types]
    # the needreport (types, links, fields, needs per type) is the host's alone
    assert report_text(with_) == report_text(without)
    assert "Obligation" not in report_text(with_)


def report_text(result: Build) -> str:
    section = soup(result.outdir, "index").find("section", id="report")
    return " ".join(section.get_text(" ").split())


def test_no_crmrisk_item_no_crmrisk_file_in_any_host_root(tmp_path):
    """The other host roots (needs_build_json set by the host): needs.json is theirs;
    nothing of ours is added."""
    for name in ("id-regex", "link-covers", "layout-clean"):
        without, with_ = build_twice(root(name), tmp_path / name)
        assert without.wrote_needs_json and with_.wrote_needs_json
        assert sorted(with_.files - without.files) == [], name


# -- host items and crmrisk items in one project --------------------------------------


def test_mixed_project_host_needs_unchanged_and_ours_checked(tmp_path):
    """Host needs on the default ID rule and the default layout, beside crmrisk items.
    Without the extension the page of crmrisk items is left out (its directives
    would not exist). Before: REQ_010_register and SPEC_011_export were lost (ID rule)
    and would be drawn with the crmrisk layout."""
    without, with_ = build_twice(
        root("mixed"), tmp_path, host_overrides={"exclude_patterns": ["crmrisk.md"]}
    )
    assert set(without.json_needs) == {"REQ_010_register", "SPEC_011_export"}
    assert_host_unchanged(without, with_, our_pages=("crmrisk.md",))
    ours = {i: n["type"] for i, n in with_.json_needs.items() if i not in without.json_needs}
    assert ours == {
        "PH-DEPLOY": "phase",
        "OBL-RGPD-30": "obligation",
        "OBL-RGPD-32": "obligation",
        "PROC-REG-01": "procedure",
    }
    # our checks still run on our kinds: the one uncovered obligation is reported
    crmrisk = [w for w in with_.warnings if "[crmrisk." in w]
    assert len(crmrisk) == 1 and "OBL-RGPD-32" in crmrisk[0] and "[crmrisk.uncovered]" in crmrisk[0]
    # our layout on our kinds only
    assert with_.rendered["OBL-RGPD-30"][0][0] == "needs_layout_crmrisk-obligation"
    assert with_.rendered["REQ_010_register"][0][0] == "needs_layout_clean"
    # and our exports, since the project has crmrisk items
    assert with_.files >= OUR_FILES


def test_crmrisk_items_under_renamed_names_are_checked(tmp_path):
    """A host with its own ``risk``, ``covers`` and ``owner``: our kinds under their
    renamed names work as before (coverage counted through ``crm_covers``)."""
    without, with_ = build_twice(
        root("renamed"), tmp_path, host_overrides={"exclude_patterns": ["crmrisk.rst"]}
    )
    assert_host_unchanged(without, with_, our_pages=("crmrisk.rst",))
    assert with_.json_needs["OBL-RGPD-30"]["crm_covers_back"] == ["PROC-REG-01"]
    assert with_.json_needs["PROC-REG-01"]["crm_owner"] == "DPO"
    assert with_.json_needs["RISK-LEAK"]["type"] == "crm_risk"
    crmrisk = [w for w in with_.warnings if "[crmrisk." in w]
    assert len(crmrisk) == 1 and "OBL-RGPD-32" in crmrisk[0], crmrisk
    assert not [w for w in with_.warnings if "TEST_LOGIN" in w]


def test_build_helper_sees_our_items_today(tmp_path):
    """The helper itself: a build with the extension of a crmrisk root has our types
    and our exports, and without it has neither (passed before the fixes too)."""
    result = build(ROOTS / "test-rst", tmp_path / "with", with_extension=True)
    assert {t["directive"] for t in result.types} >= {k.value for k in Kind}
    assert {"traceability.csv", "needs.json"} <= result.files
    assert result.json_needs["CLA-RGPD-03"]["covers"] == ["OBL-RGPD-28-3"]
