"""Inputs that hid gaps or ended in a traceback, checked at the edge (issue 24, 7 to 9).

Hidden gaps: two needs under one key of needs.json, a recorded crmrisk-config.json whose
type names match no need, a source cache that trusted modification times. Tracebacks:
a date of the year 9999, a closed standard output or error, a folder that cannot be
looked into, a FIFO where a file is expected. Byte order marks: needs.json,
crmrisk-config.json and the MyST file ``crmrisk review`` edits. Each test reproduces
the defect first: on the code before the fix, it fails for the reason its name gives.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import os
import shutil
import stat
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from sphinx.errors import ConfigError
from sphinx_builds import build_once, edit

from sphinx_crmrisk import load_traceability
from sphinx_crmrisk import needs_cache as source_build
from sphinx_crmrisk.cli import main
from sphinx_crmrisk.model import FIRST_YEAR, LAST_YEAR, State, parse_date
from sphinx_crmrisk.needs_json import LoadError, read_model_needs, read_needs
from sphinx_crmrisk.reviews import add_months
from sphinx_crmrisk.settings import CONFIG_JSON, MAX_REVIEW_EVERY
from sphinx_crmrisk.source_edit import set_reviewed

FIXTURES = Path(__file__).parent / "fixtures"
ROOTS = Path(__file__).parent / "roots"
BASE = json.loads((FIXTURES / "needs-new.json").read_text(encoding="utf-8"))
TODAY = ["--today", "2026-06-01"]  # OBL-B is uncovered then
BOM = b"\xef\xbb\xbf"


def needs(document: dict) -> dict:
    return document["versions"][document["current_version"]]["needs"]


def base_needs() -> dict[str, dict]:
    return copy.deepcopy(needs(BASE))


def needs_text(entries: list[tuple[str, dict]], *, plain: bool = False) -> str:
    """A needs.json whose needs object holds ``entries`` in order, a key repeated if
    given twice (no Python dict can). ``plain``: with a NaN in a key the model does not
    read, which msgspec refuses and json reads: the file goes the plain path."""
    members = [f"{json.dumps(key)}: {json.dumps(need)}" for key, need in entries]
    if plain:
        members[0] = members[0][:-1] + ', "x_unread": NaN}'
    return '{"current_version": "", "versions": {"": {"needs": {' + ", ".join(members) + "}}}}"


def write(folder: Path, text: str | bytes, name: str = "needs.json") -> Path:
    path = folder / name
    path.write_bytes(text.encode("utf-8") if isinstance(text, str) else text)
    return path


def one_error_line(capsys, argv: list[str]) -> str:
    status = main(argv)
    out, err = capsys.readouterr()
    assert status == 2, (out, err)
    assert out == ""
    assert err.endswith("\n") and err.count("\n") == 1, err
    return err


# ------------------------------------------------------------ two needs under one key


@pytest.mark.parametrize("plain", [False, True], ids=["msgspec path", "json path"])
def test_two_needs_under_one_key_are_an_error_naming_the_file_and_the_key(capsys, tmp_path, plain):
    # the uncovered OBL-B, then a phase under the same key: JSON keeps the phase, and
    # the gap was gone (exit 0)
    entries = list(base_needs().items())
    phase = dict(base_needs()["PH-RUN"], id="OBL-B")
    path = write(tmp_path, needs_text([*entries, ("OBL-B", phase)], plain=plain))
    for argv in (["check", str(path), *TODAY], ["matrix", str(path)]):
        err = one_error_line(capsys, argv)
        assert err.startswith(f"crmrisk: error: {path}: two needs under the key 'OBL-B'")
    for read in (read_needs, read_model_needs):
        with pytest.raises(LoadError, match="two needs under the key 'OBL-B'"):
            read(path)


def test_the_lines_of_both_needs_are_given_when_the_file_has_lines(tmp_path):
    text = needs_text([("OBL-A", base_needs()["OBL-A"]), ("OBL-A", base_needs()["OBL-B"])])
    path = write(tmp_path, text.replace(', "OBL-A"', ',\n"OBL-A"'))
    with pytest.raises(LoadError, match=r"'OBL-A' \(lines 1 and 2\): JSON keeps only the last"):
        read_model_needs(path)


@pytest.mark.parametrize(
    ("text", "why"),
    [
        # a merge that repeated the needs object: the second, empty, would be read alone
        (
            '{"versions": {"": {"needs": {"OBL-1": {"type": "obligation"}}, "needs": {}}}}',
            "version '': 'needs' is written twice",
        ),
        (
            '{"versions": {"": {"needs": {"OBL-1": {"type": "obligation"}}}, "": {"needs": {}}}}',
            "version '' is written twice in 'versions'",
        ),
        (
            '{"versions": {"": {"needs": {"OBL-1": {"type": "obligation"}}}}, "versions": {}}',
            "'versions' is written twice",
        ),
    ],
)
@pytest.mark.parametrize("plain", [False, True], ids=["msgspec path", "json path"])
def test_a_repeated_container_that_held_needs_is_an_error(tmp_path, text, why, plain):
    if plain:  # NaN where the model reads nothing: json reads the file
        text = text.replace('{"type": "obligation"}', '{"type": "obligation", "x": NaN}')
    path = write(tmp_path, text)
    for read in (read_needs, read_model_needs):
        with pytest.raises(LoadError, match=f"^{path}: {why}; JSON keeps only the last$"):
            read(path)


def test_a_repeated_key_that_lost_no_need_is_read(tmp_path):
    # an empty needs object first, then the real one: nothing is lost
    text = '{"versions": {"": {"needs": {}, "needs": {"OBL-1": {"type": "obligation"}}}}}'
    assert list(read_model_needs(write(tmp_path, text))) == ["OBL-1"]


def test_a_need_whose_id_is_not_its_key_is_read_under_its_id(capsys, tmp_path):
    document = copy.deepcopy(BASE)
    needs(document)["SOME-KEY"] = needs(document).pop("OBL-B")
    path = write(tmp_path, json.dumps(document))
    assert main(["check", str(path), *TODAY]) == 1
    out = capsys.readouterr().out
    assert "obligations.md:10: OBL-B: obligation 'Honour objections' is not covered" in out


# ------------------------------------------------------------------ byte order marks


@pytest.mark.parametrize("plain", [False, True], ids=["msgspec path", "json path"])
def test_a_needs_json_with_a_byte_order_mark_is_read_as_without(tmp_path, plain):
    text = needs_text(list(base_needs().items()), plain=plain)
    without = read_model_needs(write(tmp_path, text))
    assert read_model_needs(write(tmp_path, BOM + text.encode("utf-8"))) == without
    assert read_needs(tmp_path / "needs.json") == read_needs(write(tmp_path, text))


def test_a_recorded_config_with_a_byte_order_mark_is_read(tmp_path):
    write(tmp_path, json.dumps(BASE))
    values = {"crmrisk_today": "2026-06-01", "crmrisk_inactive_statuses": []}
    write(tmp_path, BOM + json.dumps(values).encode("utf-8"), CONFIG_JSON)
    traceability = load_traceability(tmp_path)
    assert traceability.today == dt.date(2026, 6, 1)
    states = {a.obligation.id: a.state for a in traceability.assessments}
    assert states["OBL-B"] is State.COVERED  # its clause is draft: no status is inactive


def test_set_reviewed_keeps_a_byte_order_mark_before_a_directive_on_line_1():
    text = "\ufeff```{clause} Contrat\n:id: CLA-1\n```\n"
    assert set_reviewed(text, 1, "clause", "2026-11-30") == (
        "\ufeff```{clause} Contrat\n:id: CLA-1\n:reviewed: 2026-11-30\n```\n"
    )


def test_crmrisk_review_edits_a_myst_file_with_a_byte_order_mark(tmp_path, capsys):
    project = tmp_path / "projet"
    project.mkdir()
    write(project, 'extensions = ["myst_parser", "sphinx_crmrisk"]\n', "conf.py")
    write(project, "# Index\n\n```{toctree}\nclauses\n```\n", "index.md")
    clause = "```{clause} Contrat\n:id: CLA-BOM\n:owner: DPO\n```\n\nTexte.\n"
    path = write(project, BOM + clause.encode("utf-8"), "clauses.md")
    assert main(["review", str(project), "CLA-BOM", "--today", "2026-11-30"]) == 0
    assert capsys.readouterr().err == ""
    assert path.read_bytes() == BOM + clause.replace(
        ":owner: DPO\n", ":owner: DPO\n:reviewed: 2026-11-30\n"
    ).encode("utf-8")


# ------------------------------------------------- recorded names that match no need


def _renamed_config(folder: Path, type_names: dict[str, str]) -> Path:
    values = {"crmrisk_today": "2026-06-01", "crmrisk_type_names": type_names}
    return write(folder, json.dumps(values), CONFIG_JSON)


def test_recorded_type_names_that_name_no_need_are_refused(capsys, tmp_path):
    # a record of a build that renamed every type, beside needs of the default names:
    # read with it, « 0 obligations », exit 0
    write(tmp_path, json.dumps(BASE))
    kinds = ("phase", "obligation", "clause", "procedure", "risk")
    config = _renamed_config(tmp_path, {kind: f"crm_{kind}" for kind in kinds})
    err = one_error_line(capsys, ["check", str(tmp_path), "--gaps-only"])
    assert err.startswith(
        f"crmrisk: error: {config}: records the need types crm_phase, crm_obligation, "
        f"crm_clause, crm_procedure, crm_risk, watch, evidence, but {tmp_path / 'needs.json'} "
        "has no need "
        "of them (its types: clause, obligation, phase); a record of another build?"
    )


def test_a_renamed_type_found_only_under_its_canonical_name_is_refused(capsys, tmp_path):
    # obligation renamed: the obligations of type 'obligation' are not ours, the gaps
    # of --gaps-only are gone (the phases and clauses are still ours)
    write(tmp_path, json.dumps(BASE))
    config = _renamed_config(tmp_path, {"obligation": "crm_obligation"})
    err = one_error_line(capsys, ["check", str(tmp_path), "--gaps-only"])
    assert err.startswith(
        f"crmrisk: error: {config}: records 'crm_obligation' as the type of obligations, "
        f"but {tmp_path / 'needs.json'} has no need of that type, and its OBL-A of type "
        "'obligation' is linked with the items"
    )


def test_a_renamed_type_beside_a_host_type_of_its_canonical_name_is_read(capsys, tmp_path):
    # the reason to rename: the host has a type 'obligation' of its own, unlinked
    document = copy.deepcopy(BASE)
    for need in needs(document).values():
        if need["type"] == "obligation":
            need["type"] = "crm_obligation"
    needs(document)["HOST-1"] = {"id": "HOST-1", "type": "obligation", "title": "Host's"}
    write(tmp_path, json.dumps(document))
    _renamed_config(tmp_path, {"obligation": "crm_obligation"})
    assert main(["check", str(tmp_path), "--gaps-only"]) == 1
    out = capsys.readouterr().out
    assert out.endswith(
        "4 obligations on 2026-06-01: 2 covered, 0 justified, 0 upcoming, 1 lapsed, 1 uncovered\n"
    )


def test_a_build_without_items_leaves_no_record_of_an_earlier_build(tmp_path):
    srcdir = tmp_path / "src"
    srcdir.mkdir()
    write(srcdir, 'extensions = ["sphinx_crmrisk"]\ncrmrisk_enable = True\n', "conf.py")
    write(srcdir, "Index\n=====\n\nNo item.\n", "index.rst")
    stale = srcdir / "_build" / "html" / CONFIG_JSON
    stale.parent.mkdir(parents=True)
    stale.write_text('{"crmrisk_type_names": {"obligation": "crm_obligation"}}')
    app = build_once(srcdir)
    assert (Path(app.outdir) / "index.html").is_file()
    assert not (Path(app.outdir) / CONFIG_JSON).exists()


# ------------------------------------------------------------------ the source cache


def _copy_project(tmp_path: Path) -> Path:
    return Path(shutil.copytree(FIXTURES / "sphinx-project", tmp_path / "sphinx-project"))


def _states(path: Path) -> dict[str, State]:
    return {a.obligation.id: a.state for a in load_traceability(path).assessments}


def test_a_source_replaced_by_an_older_file_is_seen(tmp_path):
    project = _copy_project(tmp_path)
    assert _states(project) == {"OBL-SRC-1": State.COVERED}
    index = project / "index.rst"
    # as cp -p, tar x or unzip -o leave it: new content, a modification time of 2001
    edit(index, "   :covers: OBL-SRC-1", "   :status: draft\n   :covers: OBL-SRC-1")
    os.utime(index, (1_000_000_000, 1_000_000_000))
    os.utime(project, (1_000_000_000, 1_000_000_000))
    assert _states(project) == {"OBL-SRC-1": State.UNCOVERED}


def test_an_unchanged_source_with_a_new_modification_time_reuses_the_cache(tmp_path, monkeypatch):
    project = _copy_project(tmp_path)
    load_traceability(project)
    index = project / "index.rst"
    index.write_bytes(index.read_bytes())  # touched, same content
    os.utime(index, (4_000_000_000, 4_000_000_000))

    def no_build(*args: object) -> None:
        raise AssertionError("the needs builder ran again")

    monkeypatch.setattr(source_build, "_run_needs_builder", no_build)
    assert _states(project) == {"OBL-SRC-1": State.COVERED}


def test_a_file_changed_during_the_build_is_recorded_as_unknown(tmp_path):
    project = _copy_project(tmp_path)
    # the build "started" before the file's last change (0), or after it (the end of time)
    during = source_build.sources_record(project, ["index.rst"], started_ns=0)
    before = source_build.sources_record(project, ["index.rst"], started_ns=2**63 - 1)
    assert during == {"files": {"index.rst": None}, "folders": {".": None}}
    assert before["files"]["index.rst"].startswith("sha256:")
    assert before["folders"]["."].startswith("sha256:")


# ---------------------------------------------------------------------------- dates


def test_dates_are_read_within_the_documented_years():
    assert parse_date(f"{FIRST_YEAR}-01-01") == dt.date(FIRST_YEAR, 1, 1)
    assert parse_date(f"{LAST_YEAR}-12-31") == dt.date(LAST_YEAR, 12, 31)
    for text in ("9999-12-31", "0001-01-01", f"{FIRST_YEAR - 1}-12-31", f"{LAST_YEAR + 1}-01-01"):
        assert parse_date(text) is None
    # the longest review cycle from the last accepted day does not overflow
    assert add_months(dt.date(LAST_YEAR, 12, 31), MAX_REVIEW_EVERY) == dt.date(3083, 3, 31)


def test_a_review_date_of_9999_is_a_located_bad_date_not_a_crash(capsys, tmp_path):
    document = copy.deepcopy(BASE)
    needs(document)["CLA-1"]["reviewed"] = "9999-12-31"
    needs(document)["OBL-A"]["effective"] = "9999-12-31"
    path = write(tmp_path, json.dumps(document))
    assert main(["check", str(path), *TODAY]) == 1
    out = capsys.readouterr().out
    assert (
        "clauses.md:3: CLA-1: reviewed '9999-12-31' is not a date of the years 1800 to 2999 [crmrisk.bad_date]"
        in out
    )
    assert (
        "obligations.md:3: OBL-A: effective '9999-12-31' is not a date of the years "
        f"{FIRST_YEAR} to {LAST_YEAR} [crmrisk.bad_date]" in out
    )


def test_a_review_date_of_9999_does_not_stop_the_build(tmp_path):
    srcdir = Path(shutil.copytree(ROOTS / "test-clean", tmp_path / "src"))
    edit(srcdir / "controles.md", ":owner: DPO\n", ":owner: DPO\n:reviewed: 9999-12-31\n")
    app = build_once(srcdir)
    warnings = app.warning.getvalue()
    # the project is French: so is the message
    assert (
        "PROC-IA-16\u202f: reviewed «\u202f9999-12-31\u202f» n'est pas une date des années 1800 à 2999"
        in warnings
    )
    assert (Path(app.outdir) / "controles.html").is_file()


@pytest.mark.parametrize(
    ("values", "why"),
    [
        (
            {"crmrisk_today": "9999-12-31"},
            f"crmrisk_today must be a date YYYY-MM-DD of the years {FIRST_YEAR} to "
            f"{LAST_YEAR}, not '9999-12-31'",
        ),
        (
            {"crmrisk_review_every": 10**6},
            f"crmrisk_review_every must be a number of months from 0 to {MAX_REVIEW_EVERY}",
        ),
        ({"crmrisk_csv_delimiter": "\ud800"}, "crmrisk_csv_delimiter must be one printable"),
        ({"crmrisk_csv_delimiter": "\x00"}, "crmrisk_csv_delimiter must be one printable"),
        ({"crmrisk_review_lock": "a\x00b"}, "crmrisk_review_lock must be a file name"),
        ({"crmrisk_audit_pages": "index"}, "crmrisk_audit_pages must be a list of docnames"),
        ({"crmrisk_audit_pages": [1]}, "crmrisk_audit_pages must be a list of docnames"),
    ],
)
def test_a_recorded_value_out_of_its_range_is_one_line(capsys, tmp_path, values, why):
    write(tmp_path, json.dumps(BASE))
    config = write(tmp_path, json.dumps(values).encode("utf-8", "surrogatepass"), CONFIG_JSON)
    for argv in (["check", str(tmp_path)], ["matrix", str(tmp_path), "--format", "csv"]):
        err = one_error_line(capsys, argv)
        assert err.startswith(f"crmrisk: error: {config}: unusable crmrisk values: {why}")


def test_a_reference_date_of_9999_is_one_line(capsys):
    with pytest.raises(SystemExit) as exited:
        main(["check", str(FIXTURES / "needs-new.json"), "--today", "9999-12-31"])
    assert exited.value.code == 2
    assert capsys.readouterr().err == (
        "crmrisk check: error: argument --today: '9999-12-31' is not a date YYYY-MM-DD of "
        f"the years {FIRST_YEAR} to {LAST_YEAR} (see --help)\n"
    )


def test_a_reference_date_of_9999_in_conf_py_is_a_configuration_error(tmp_path):
    srcdir = Path(shutil.copytree(ROOTS / "test-clean", tmp_path / "src"))
    edit(srcdir / "conf.py", '"2026-11-30"', '"9999-12-31"')
    with pytest.raises(ConfigError, match="crmrisk_today must be a date YYYY-MM-DD of the"):
        build_once(srcdir)


def test_an_unusable_review_lock_stops_the_build_with_one_line_naming_it(tmp_path):
    srcdir = Path(shutil.copytree(ROOTS / "test-reviews", tmp_path / "src"))
    lock = srcdir / "crmrisk-reviews.json"
    lock.write_text('{"version": 1,\n "reviewed_against": [\n', encoding="utf-8")
    with pytest.raises(ConfigError) as failure:
        build_once(srcdir)
    message = str(failure.value)
    assert message.startswith(f"{lock}: unusable review lock: ")
    assert "\n" not in message


# ------------------------------------------- closed outputs, folders, FIFOs: one line


def _command(*argv: str) -> list[str]:
    return [sys.executable, "-c", "from sphinx_crmrisk.cli import run; run()", *argv]


def _environment() -> dict[str, str]:
    root = str(Path(__file__).parents[1])
    return {**os.environ, "PYTHONPATH": os.pathsep.join([root, os.environ.get("PYTHONPATH", "")])}


def _closing(fd: int):
    """For ``preexec_fn``: the child starts with ``fd`` closed, as ``>&-`` leaves it."""
    return lambda: os.close(fd)


@pytest.mark.parametrize("command", [["check"], ["matrix", "--format", "csv"]])
def test_a_closed_standard_output_is_exit_2_and_one_line(command):
    result = subprocess.run(
        _command(command[0], str(FIXTURES / "needs-new.json"), *command[1:]),
        stdin=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        preexec_fn=_closing(1),
        env=_environment(),
        check=False,
    )
    assert result.stderr.decode() == (
        "crmrisk: error: cannot write to the standard output: it is closed\n"
    )
    assert result.returncode == 2


def test_a_closed_standard_error_keeps_the_error_out_of_the_output():
    result = subprocess.run(
        _command("check", "no-such-needs.json"),
        stdout=subprocess.PIPE,
        preexec_fn=_closing(2),
        env=_environment(),
        check=False,
    )
    assert result.returncode == 2
    assert result.stdout == b""


def test_a_folder_that_cannot_be_looked_into_is_one_line(capsys, tmp_path, monkeypatch):
    # what the system answers for a folder without permission (root is never refused:
    # the next test makes the system itself refuse, as another user)
    folder = tmp_path / "locked"
    folder.mkdir()
    write(folder, json.dumps(BASE))
    real_stat = Path.stat

    def refuse(self, *args, **kwargs):
        if self.parent == folder:
            raise PermissionError(13, "Permission denied", str(self))
        return real_stat(self, *args, **kwargs)

    monkeypatch.setattr(Path, "stat", refuse)
    err = one_error_line(capsys, ["check", str(folder)])
    assert err == f"crmrisk: error: {folder / 'conf.py'}: cannot read: Permission denied\n"


def _without_the_right_to_read_everything() -> list[str]:
    """The command prefix under which a folder's mode bits hold; none for a user.

    Root reads every folder. ``unshare --user`` runs the command in a new user namespace
    where root's capabilities do not reach the machine's files (no user is mapped into
    it), so ``chmod 0`` holds, and the interpreter is this one whatever folder it lives
    in. Where user namespaces are refused, ``setpriv`` to user 65534, if that user can
    run this interpreter (pyenv's live under /root, which only root enters).
    """
    if os.geteuid() != 0:
        return []
    for prefix in (
        [shutil.which("unshare"), "--user"],
        [shutil.which("setpriv"), "--reuid=65534", "--regid=65534", "--clear-groups"],
    ):
        if prefix[0] is None:
            continue
        probe = subprocess.run(
            [*prefix, sys.executable, "-c", "pass"], capture_output=True, check=False
        )
        if probe.returncode == 0:
            return [str(part) for part in prefix]
    # skipped, not passed, where nothing can take root's right away (no user namespaces,
    # no interpreter another user can run): what the command prints for an unreadable
    # folder is still checked in-process (test_a_folder_that_cannot_be_looked_into_is_one_line)
    pytest.skip(
        "root reads every folder, and neither unshare --user nor setpriv to user 65534 "
        f"could run {sys.executable} without that right"
    )


def test_an_unreadable_folder_is_one_line_for_the_real_command():
    prefix = _without_the_right_to_read_everything()
    # a folder that user 65534 can reach, if setpriv is the way (tmp_path is root's alone)
    top = Path(tempfile.mkdtemp(prefix="crmrisk-unreadable-"))
    try:
        top.chmod(0o755)
        folder = top / "build"
        folder.mkdir()
        write(folder, json.dumps(BASE))
        folder.chmod(0)
        result = subprocess.run(
            [*prefix, *_command("check", str(folder))],
            capture_output=True,
            env=_environment(),
            cwd=top,
            check=False,
        )
    finally:
        (top / "build").chmod(stat.S_IRWXU)
        shutil.rmtree(top)
    assert result.returncode == 2
    assert result.stdout == b""
    assert result.stderr.decode() == (
        f"crmrisk: error: {folder / 'conf.py'}: cannot read: Permission denied\n"
    )


@pytest.mark.parametrize("where", ["needs.json", "crmrisk-config.json"])
def test_a_fifo_where_a_file_is_expected_is_one_line_and_never_waits(tmp_path, where):
    if where == "needs.json":
        os.mkfifo(tmp_path / "needs.json")
    else:
        write(tmp_path, json.dumps(BASE))
        os.mkfifo(tmp_path / where)
    result = subprocess.run(
        _command("check", str(tmp_path)),
        capture_output=True,
        env=_environment(),
        timeout=120,  # reading a FIFO with no writer would wait forever
        check=False,
    )
    assert result.returncode == 2
    assert result.stderr.decode().startswith(
        f"crmrisk: error: {tmp_path / where}: not a regular file"
    )
    assert result.stderr.count(b"\n") == 1


def test_a_file_where_a_folder_is_expected_is_one_line(capsys, tmp_path):
    path = write(tmp_path, json.dumps(BASE))
    err = one_error_line(capsys, ["check", str(path / "needs.json")])
    assert err == (
        f"crmrisk: error: {path / 'needs.json'}: no such file (expected a needs.json or a "
        "folder holding one)\n"
    )
