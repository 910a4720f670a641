"""Warm kernels (``sphinx_ext/kernel_fork.py``): the audit notebooks' kernels forked from
one process that imported what they import, yet each the kernel a fresh interpreter
would have been.

The notebooks are executed with nbclient as the build executes them (the keywords
``_warm_kernels`` gives); that the pages of a build are those of myst-nb's own execution
is in ``tests/test_audits.py`` (its notebooks run in warm kernels too) and was checked on
the handbook's three audits (their HTML and figures, byte for byte).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

from sphinx_crmrisk.sphinx_ext.kernel_fork import ping
from sphinx_crmrisk.sphinx_ext.notebooks import (
    KERNEL_FORK,
    _imported,
    _native_kernel,
    _over_unix_sockets,
    _warm_kernels,
)
from sphinx_crmrisk.sphinx_ext.warm import kept_server, private_folder, warm_mode

pytestmark = pytest.mark.book  # ipykernel, nbclient: the notebooks' stack

DRAW = """
import os, random, sys
import numpy
import pandas  # which imports numpy.random: in the server, before the fork
print(random.random(), numpy.random.rand(), os.getpid(), os.getcwd())
print(any(path.endswith("sphinx_ext") for path in sys.path), os.environ.get("WARM_TEST"))
"""


def notebook(*sources: str, kernel: str = "python3") -> nbformat.NotebookNode:
    cells = [nbformat.v4.new_code_cell(source) for source in sources]
    node = nbformat.v4.new_notebook(cells=cells)
    node.metadata["kernelspec"] = {"name": kernel, "display_name": "Python 3"}
    return node


def execute(node, warm, cwd: Path, **kwargs) -> list[str]:
    NotebookClient(node, resources={"metadata": {"path": str(cwd)}}, **warm, **kwargs).execute()
    return [out["text"] for cell in node.cells for out in cell.outputs if "text" in out]


def ended(pid: int) -> bool:
    """Whether ``pid`` has ended: no such process, or one that awaits its reaping."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return True
    return state in ("Z", "X")


def gone(pid: int, seconds: float = 10.0) -> bool:
    """Whether ``pid`` has ended, waiting up to ``seconds`` (a kernel is killed, then
    reaped)."""
    for _ in range(int(seconds / 0.05)):
        if ended(pid):
            return True
        time.sleep(0.05)
    return False


def test_each_kernel_is_a_fresh_one(tmp_path, monkeypatch, capfd):
    monkeypatch.setenv("WARM_TEST", "seen")
    nodes = [notebook(DRAW), notebook(DRAW)]
    with _warm_kernels(nodes) as warm:
        assert "kernel_manager_class" in warm  # this machine can fork them
        first, second = (execute(node, warm, tmp_path) for node in nodes)
    first, second = (text.splitlines() for text in ("".join(first), "".join(second)))
    (random_1, numpy_1, pid_1, cwd_1), (random_2, numpy_2, pid_2, cwd_2) = (
        first[0].split(),
        second[0].split(),
    )
    # two processes, each with random generators of its own, in the notebook's folder
    assert pid_1 != pid_2 and pid_1 != str(os.getpid())
    assert random_1 != random_2 and numpy_1 != numpy_2
    assert cwd_1 == cwd_2 == str(tmp_path)
    # the kernel sees the build's environment, and not the server's folder of modules
    assert first[1].split() == ["False", "seen"]
    assert gone(int(pid_1)) and gone(int(pid_2))  # shut down with their notebook
    # nothing printed to the build's streams (a kernel without its parent's pid would
    # print how to connect to it)
    assert "Ctrl-C" not in capfd.readouterr().out


def test_a_kernel_ends_as_a_fresh_one_does_and_is_seen_to_end_soon(tmp_path, monkeypatch):
    """Shut down as nbclient asks (``graceful``): the kernel's ``atexit`` hooks run, as
    in a fresh kernel. Its end is looked for every 10 ms, not every 100 ms as
    jupyter_client does: the last notebook to finish waited that long for nothing."""
    from jupyter_client.manager import KernelManager

    polls = []
    wait = KernelManager._async_wait

    async def spied(self, pollinterval=0.1):
        polls.append(pollinterval)
        await wait(self, pollinterval)

    monkeypatch.setattr(KernelManager, "_async_wait", spied)
    # a hook of the cell's own, and a file it left open (IPython's own hook clears the
    # namespace, which closes it)
    at_exit = "import atexit, pathlib\natexit.register(pathlib.Path({!r}).write_text, 'ended')"
    left_open = "kept = open({!r}, 'w')\nkept.write('written')"
    fresh, forked = tmp_path / "fresh", tmp_path / "forked"
    # jupyter_client's own kernel, a fresh interpreter
    execute(notebook(at_exit.format(str(fresh)), left_open.format(f"{fresh}.txt")), {}, tmp_path)
    assert set(polls) == {0.1}
    assert fresh.read_text() == "ended" and Path(f"{fresh}.txt").read_text() == "written"
    polls.clear()
    nodes = [
        notebook(at_exit.format(str(forked)), left_open.format(f"{forked}.txt")),
        notebook("pass"),
    ]
    with _warm_kernels(nodes) as warm:
        assert "kernel_manager_class" in warm
        execute(nodes[0], warm, tmp_path)
    assert forked.read_text() == "ended" and Path(f"{forked}.txt").read_text() == "written"
    assert set(polls) == {0.01}


def test_what_the_server_imported_is_frozen_for_its_kernels(tmp_path):
    """The server freezes what it imported before it forks: a kernel's collections,
    IPython's full one at its end among them, never walk pandas' or matplotlib's
    objects again. What the notebook makes is collected as ever."""
    probe = (
        "import gc, pandas\n"
        "class Cycle: pass\n"
        "a, b = Cycle(), Cycle()\n"
        "a.other, b.other = b, a\n"
        "del a, b\n"
        "frozen = gc.get_freeze_count()\n"
        "print(frozen > 50_000, gc.collect() >= 2, gc.get_freeze_count() == frozen)"
    )
    nodes = [notebook(probe), notebook("pass")]
    with _warm_kernels(nodes) as warm:
        assert "kernel_manager_class" in warm
        assert execute(nodes[0], warm, tmp_path) == ["True True True\n"]
    # a fresh kernel freezes nothing
    assert execute(notebook(probe), {}, tmp_path) == ["False True True\n"]


def test_a_cell_that_runs_too_long_is_interrupted(tmp_path):
    nodes = [notebook("import time\ntime.sleep(60)"), notebook("print('other')")]
    with _warm_kernels(nodes) as warm:
        # nbclient interrupts the kernel: SIGINT to the launcher, which passes it on, so
        # the sleep ends at once in a KeyboardInterrupt (else it would sleep on)
        with pytest.raises(CellExecutionError, match="KeyboardInterrupt"):
            execute(nodes[0], warm, tmp_path, timeout=2, interrupt_on_timeout=True)
        assert execute(nodes[1], warm, tmp_path) == ["other\n"]


def test_a_killed_launcher_takes_its_kernel_with_it(tmp_path):
    nodes = [notebook("import os\nprint(os.getpid())"), notebook("pass")]
    with _warm_kernels(nodes) as warm:
        client = NotebookClient(nodes[0], resources={"metadata": {"path": str(tmp_path)}}, **warm)
        with client.setup_kernel():
            client.execute_cell(nodes[0].cells[0], 0)
            pid = int(nodes[0].cells[0].outputs[0]["text"])
            launcher = client.km.provisioner.process.pid
            os.killpg(os.getpgid(launcher), signal.SIGKILL)
            assert gone(pid)


def test_not_for_a_kernel_of_another_python_or_language():
    assert _native_kernel(notebook("pass"))
    assert not _native_kernel(notebook("pass", kernel="no-such-kernel"))
    with _warm_kernels([notebook("pass"), notebook("pass", kernel="no-such-kernel")]) as warm:
        assert warm == {}  # fresh kernels, as nbclient starts them


def test_what_the_notebooks_import():
    nodes = [
        notebook("%matplotlib inline\nimport matplotlib.pyplot as plt\nimport pandas as pd"),
        notebook("from IPython.display import Markdown\nfrom . import local\n!ls", "x = ("),
    ]
    assert _imported(nodes) == {"matplotlib.pyplot", "pandas", "IPython.display"}


def test_a_server_that_cannot_start_says_so_and_its_launchers_give_up(tmp_path):
    # the server cannot listen (its address is taken): it leaves a mark, and a launcher
    # that finds it gives up at once (its kernel fails to start, and the build leaves the
    # notebooks to myst-nb) instead of waiting a minute for a server
    path = tmp_path / "server"
    (tmp_path / "server.tmp").write_text("")
    server = subprocess.run(
        [sys.executable, str(KERNEL_FORK), "serve", str(path)], capture_output=True, timeout=60
    )
    assert server.returncode != 0 and (tmp_path / "server.failed").exists()
    launcher = subprocess.run(
        [sys.executable, str(KERNEL_FORK), "launch", str(path), str(tmp_path / "kernel.json")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert launcher.returncode == 1
    assert launcher.stderr == f"kernel_fork: the server at {path} could not start\n"


def test_too_deep_a_folder_for_a_unix_socket_means_fresh_kernels(tmp_path, monkeypatch):
    deep = tmp_path / ("x" * 60) / ("y" * 60)
    deep.mkdir(parents=True)
    monkeypatch.setattr(tempfile, "tempdir", str(deep))
    with _warm_kernels([notebook("pass"), notebook("pass")]) as warm:
        assert warm == {}
    assert _over_unix_sockets(deep) is not None  # over TCP: an empty configuration
    assert "KernelManager" not in _over_unix_sockets(deep)
    assert _over_unix_sockets(tmp_path)["KernelManager"]["transport"] == "ipc"


# -- a server kept between builds ------------------------------------------------------

PARENT = "import os\nprint(os.getppid())"


@pytest.fixture
def keep(monkeypatch):
    """Kept servers, in a runtime folder of the test's own (short enough for a socket);
    whatever server a test leaves is stopped after it."""
    runtime = Path(tempfile.mkdtemp(prefix="crmrisk-run-"))
    runtime.chmod(0o700)
    monkeypatch.setenv("CRMRISK_WARM", "keep")
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(runtime))
    monkeypatch.delenv("CRMRISK_WARM_IDLE", raising=False)
    started: list[int] = []
    yield started
    for pid in started:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGTERM)
    shutil.rmtree(runtime, ignore_errors=True)


def kernel_parent(tmp_path: Path, started: list[int]) -> int:
    """The pid of the process that forked the kernel of a notebook executed as a build
    executes it (two notebooks, as the build's audits)."""
    nodes = [notebook(PARENT), notebook("pass")]
    with _warm_kernels(nodes) as warm:
        assert "kernel_manager_class" in warm
        parent = int(execute(nodes[0], warm, tmp_path)[0])
    started.append(parent)
    return parent


def test_a_kept_server_forks_the_kernels_of_the_next_builds(tmp_path, keep):
    first = kernel_parent(tmp_path, keep)
    assert first != os.getpid()
    # the build is over, its server lives on, and the next build's kernels are its forks
    assert not gone(first, seconds=1.0)  # a server of the build would end with it
    assert kernel_parent(tmp_path, keep) == first
    os.kill(first, signal.SIGTERM)
    assert gone(first)
    # then the next build starts another
    assert kernel_parent(tmp_path, keep) not in (first, os.getpid())


def test_a_kept_server_whose_modules_changed_gives_way(tmp_path, keep, monkeypatch):
    # a module the server imported is edited (here one every interpreter of this
    # PYTHONPATH imports when it starts): the server no longer forks what a fresh kernel
    # would be; it says so, stops, and the build starts another, which imports the edit
    modules = tmp_path / "modules"
    modules.mkdir()
    (modules / "sitecustomize.py").write_text("VALUE = 1\n")
    monkeypatch.setenv("PYTHONPATH", str(modules))
    probe = "import sitecustomize\nprint(sitecustomize.VALUE)"
    nodes = [notebook(PARENT, probe), notebook("pass")]

    def run() -> list[str]:
        with _warm_kernels(nodes) as warm:
            lines = "".join(execute(nodes[0], warm, tmp_path)).split()
        keep.append(int(lines[0]))
        return lines

    first, value = run()
    assert value == "1"
    (modules / "sitecustomize.py").write_text("VALUE = 2  # edited\n")
    second, value = run()
    assert value == "2" and second != first
    assert gone(int(first))


def test_a_kept_server_ends_when_idle(tmp_path, keep, monkeypatch):
    monkeypatch.setenv("CRMRISK_WARM_IDLE", "0.5")
    assert gone(kernel_parent(tmp_path, keep))


def test_no_server_is_kept_where_another_user_could_reach_it(tmp_path, keep):
    folder = Path(os.environ["XDG_RUNTIME_DIR"]) / "sphinx-crmrisk"
    folder.mkdir(mode=0o777)
    folder.chmod(0o777)
    assert private_folder() is None
    parent = kernel_parent(tmp_path, keep)
    assert gone(parent)  # this build's own server, ended with it
    assert list(folder.iterdir()) == []


def test_a_ci_run_keeps_no_server(monkeypatch):
    monkeypatch.delenv("CRMRISK_WARM", raising=False)
    monkeypatch.setenv("CI", "true")
    assert warm_mode() == "build"
    monkeypatch.delenv("CI")
    assert warm_mode() == "keep"
    monkeypatch.setenv("CRMRISK_WARM", "off")
    assert warm_mode() == "off"


def test_a_kept_server_runs_a_job_as_a_process_of_its_own_would(tmp_path, keep, monkeypatch):
    # a job (the PDF's draft) forked by a kept server: the launcher's folder, environment
    # and streams, its exit status, and the server's imports already made
    modules = tmp_path / "modules"
    modules.mkdir()
    (modules / "jobprobe.py").write_text(
        "import os, sys\n"
        "def main(argv):\n"
        "    print(os.getcwd(), os.environ.get('JOB_TEST'), *argv, 'json' in sys.modules)\n"
        "    print('to stderr', file=sys.stderr)\n"
        "    return int(argv[0])\n"
    )
    monkeypatch.setenv("PYTHONPATH", str(modules))
    path = kept_server(["json", "jobprobe"], "jobs")
    assert path is not None
    answer = ping(path)
    assert answer is not None and answer["fresh"]
    keep.append(answer["pid"])
    job = subprocess.run(
        [sys.executable, str(KERNEL_FORK), "run", path, "jobprobe:main", "3", "x y"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={**os.environ, "JOB_TEST": "seen"},
        timeout=60,
    )
    assert job.returncode == 3
    assert job.stdout == f"{tmp_path} seen 3 x y True\n"
    assert job.stderr == "to stderr\n"
    # a job that raises: its traceback on its stderr, status 1
    failed = subprocess.run(
        [sys.executable, str(KERNEL_FORK), "run", path, "jobprobe:main", "not a number"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert failed.returncode == 1 and "ValueError" in failed.stderr
    assert ping(path) == answer  # the same server, still fresh
