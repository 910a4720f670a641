"""sphinx_crmrisk.forked: work done in a forked child, its result taken later; and the
build's exports made so, while the pages are written (sphinx_ext/outputs.py)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import pytest
from sphinx_builds import cut_cell_warning

from sphinx_crmrisk import forked
from sphinx_crmrisk.file_names import BUILD_FILES


def run_python(code: str) -> list:
    """``code`` run in a fresh interpreter (one thread: a fork is safe there); the JSON
    of its last line of output."""
    result = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.splitlines()[-1])


def test_the_work_runs_in_a_child_and_its_result_comes_back_whole():
    # 300 kB: more than a pipe holds, so the child waits for the parent to read
    parent, child, size, again = run_python(
        """
        import json, os
        from sphinx_crmrisk.forked import Forked
        draft = Forked.start(lambda: {"pid": os.getpid(), "data": b"x" * 300_000})
        result = draft.result()
        try:
            draft.result()
            again = "taken twice"
        except RuntimeError as err:
            again = str(err)
        print(json.dumps([os.getpid(), result["pid"], len(result["data"]), again]))
        """
    )
    assert child != parent
    assert size == 300_000
    assert again == "the result of a forked child is taken once"


def test_a_child_that_fails_gives_none_and_the_caller_goes_on():
    raised, exited, printed = run_python(
        """
        import json, os
        from sphinx_crmrisk.forked import Forked

        def leave():
            print("from the child")
            os._exit(3)

        raised = Forked.start(lambda: 1 / 0).result()
        exited = Forked.start(leave).result()
        print(json.dumps([raised, exited, "printed"]))
        """
    )
    assert (raised, exited, printed) == (None, None, "printed")


def test_a_child_the_host_reaps_itself_gives_none():
    # a host that ignores SIGCHLD has its children reaped by the system: their status is
    # lost, so the result is not trusted and the caller does the work
    (result,) = run_python(
        """
        import json, signal
        from sphinx_crmrisk.forked import Forked
        signal.signal(signal.SIGCHLD, signal.SIG_IGN)
        print(json.dumps([Forked.start(lambda: "made").result()]))
        """
    )
    assert result is None


def test_a_cancelled_child_is_stopped_and_waited_for():
    ended, children_left = run_python(
        """
        import json, os, time
        from sphinx_crmrisk.forked import Forked
        draft = Forked.start(lambda: time.sleep(60))
        start = time.monotonic()
        draft.cancel()
        draft.cancel()  # a second time does nothing
        try:
            os.waitpid(-1, os.WNOHANG)
            left = "a child left"
        except ChildProcessError:
            left = "none"
        print(json.dumps([time.monotonic() - start < 10, left]))
        """
    )
    assert (ended, children_left) == (True, "none")


def test_no_fork_from_a_process_with_a_second_thread(monkeypatch):
    monkeypatch.setattr(sys, "platform", "linux")
    stop = threading.Event()
    thread = threading.Thread(target=stop.wait)
    thread.start()
    try:
        assert not forked.may_fork()
        assert forked.Forked.start(lambda: 1) is None
    finally:
        stop.set()
        thread.join()


def test_no_fork_but_on_linux(monkeypatch):
    monkeypatch.setattr(sys, "platform", "darwin")
    assert not forked.may_fork()
    assert forked.Forked.start(lambda: 1) is None


_BUILD = """
import json, os, sys
from pathlib import Path
from sphinx.application import Sphinx
import sphinx_crmrisk.forked as forked
import sphinx_crmrisk.sphinx_ext.outputs as outputs

mode, source = sys.argv[1], Path(sys.argv[2])
parent, children = os.getpid(), []
start = forked.Forked.start

def recorded(work):
    draft = start(work)
    children.append(draft is not None)
    return draft

forked.Forked.start = recorded
if mode == "no-fork":
    forked.may_fork = lambda: False
if mode == "child-fails":
    made = outputs.made_exports

    def failing(*args):
        if os.getpid() != parent:
            raise OSError("a full disk")
        return made(*args)

    outputs.made_exports = failing
out = source / "_build" / "html"
app = Sphinx(source, source, out, out / ".doctrees", "html", status=None, warning=sys.stderr)
app.build()
print(json.dumps([app.statuscode, children]))
"""


def build_in_a_fresh_interpreter(source: Path, mode: str) -> tuple[int, list[bool], str]:
    result = subprocess.run(
        [sys.executable, "-c", _BUILD, mode, str(source)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    status, children = json.loads(result.stdout.splitlines()[-1])
    return status, children, result.stderr


def exports(source: Path) -> dict[str, bytes]:
    return {name: (source / "_build" / "html" / name).read_bytes() for name in BUILD_FILES.values()}


@pytest.mark.parametrize("mode", ["fork", "child-fails"])
def test_the_exports_made_while_the_pages_are_written_are_those_made_at_the_end(
    copy_root, tmp_path, mode
):
    source = copy_root("pack")
    alone = tmp_path / "alone"
    shutil.copytree(source, alone)
    status, children, warnings = build_in_a_fresh_interpreter(source, mode)
    assert (status, children) == (0, [True])  # one child, forked at write-started
    assert "crmrisk.export" not in warnings
    status, children, _ = build_in_a_fresh_interpreter(alone, "no-fork")
    assert (status, children) == (0, [False])
    assert exports(source) == exports(alone)


def test_a_cut_cell_is_warned_of_at_its_obligation_from_the_child(copy_root):
    source = copy_root("matrix")
    _long_basis, warning = cut_cell_warning(source)
    status, children, warnings = build_in_a_fresh_interpreter(source, "fork")
    assert (status, children) == (0, [True])
    assert warning in warnings
    assert (source / "_build" / "html" / "traceability.xlsx").stat().st_size > 0
