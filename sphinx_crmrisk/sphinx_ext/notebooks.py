"""The audit notebooks executed all at once, as myst-nb executes each, then read.

myst-nb executes a notebook when Sphinx reads its page, one page after the other: the
three audit notebooks of the handbook took three kernels' start, imports and cells in
turn (benchmarks/README.md). Here, before the audit pages are read (:mod:`.audits`),
each notebook myst-nb would execute (its ``nb_execution_mode`` ``force``, or ``auto``
with an output missing) is executed the way myst-nb does it, with the same function of
jupyter-cache and the same settings (working folder, timeout, allowed errors), each in
a thread of its own, so that the kernels run at the same time. The page is then read
with the executed notebook as its source (``source-read``) and myst-nb's execution off
for that page alone; the execution data myst-nb would have recorded (time, method,
success) is recorded for it.

What is not a plain case is left to myst-nb, which executes it as it always does: a
text notebook (MyST Markdown), a notebook with settings of its own in its metadata, a
kernel alias, another execution mode, an excluded path, and any notebook whose
execution failed (myst-nb then executes it again and reports the failure in its own
words, with its traceback report).
"""

from __future__ import annotations

import ast
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager, nullcontext
from datetime import datetime
from functools import cache
from pathlib import Path, PurePosixPath
from tempfile import TemporaryDirectory
from typing import TYPE_CHECKING, Any

from sphinx.util import logging

from .kernel_fork import KERNEL_FORK
from .state import build_state
from .warm import kept_server, warm_mode

if TYPE_CHECKING:
    from sphinx.application import Sphinx

logger = logging.getLogger("sphinx_crmrisk")


class Executed(dict[str, dict[str, Any]]):
    """Docname -> the execution data myst-nb records, for each notebook executed here."""

    def __init__(self, app: Sphinx | None = None) -> None:
        super().__init__()
        self.app = app

    def reading(self, docname: str) -> Any:
        """While ``docname`` is read: its executed notebook as its source, myst-nb's
        execution off; afterwards, the execution data recorded."""
        if docname not in self or self.app is None:
            return nullcontext()
        return _reading_executed(self.app, docname, self[docname])


def execute_notebooks(app: Sphinx, docnames: list[str], workers: int) -> Executed:
    """Executes, all at once, the notebooks among ``docnames`` that myst-nb would execute
    when reading them; returns those whose execution succeeded."""
    executed = Executed(app)
    config = getattr(app.env, "mystnb_config", None)
    if config is None:
        return executed  # no myst-nb: nothing is executed when read
    try:
        import nbformat
        from jupyter_cache.executors.utils import single_nb_execution
    except ImportError:
        return executed
    plans = {}
    for docname in docnames:
        path = Path(app.env.doc2path(docname))
        notebook = _plain_case(path, config, nbformat)
        if notebook is not None:
            plans[docname] = (path, notebook)
    if len(plans) < 2:
        return executed  # one notebook: myst-nb executes it as fast while reading it
    logger.info("crmrisk: executing %s at once", ", ".join(plans))
    with _warm_kernels([notebook for _path, notebook in plans.values()]) as warm:
        return _execute(plans, config, workers, warm, single_nb_execution, nbformat, app)


def _execute(
    plans: dict[str, tuple[Path, Any]],
    config: Any,
    workers: int,
    warm: dict[str, Any],
    single_nb_execution: Any,
    nbformat: Any,
    app: Sphinx,
) -> Executed:
    executed = Executed(app)

    def execute(item: tuple[str, tuple[Path, Any]]) -> tuple[str, Any, Any]:
        docname, (path, notebook) = item
        # myst-nb's NotebookClientDirect: the notebook's folder, or a temporary one
        with (
            (
                TemporaryDirectory() if config.execution_in_temp else nullcontext(str(path.parent))
            ) as cwd,
            TemporaryDirectory(prefix="crmrisk-kernel-") as sockets,
        ):
            result = single_nb_execution(
                notebook,
                cwd=os.path.abspath(cwd),
                allow_errors=config.execution_allow_errors,
                timeout=config.execution_timeout,
                meta_override=True,
                config=_over_unix_sockets(Path(sockets)),
                **warm,
            )
        return docname, notebook, result

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=workers) as pool:
        outcomes = list(pool.map(_guarded(execute), plans.items()))
    for outcome in outcomes:
        if outcome is None:
            continue
        docname, notebook, result = outcome
        if result.err is not None:
            continue  # myst-nb executes it again, and reports the failure itself
        executed[docname] = {
            "source": nbformat.writes(notebook),
            "exec_data": {
                "mtime": datetime.now().timestamp(),
                "runtime": result.time,
                "method": config.execution_mode,
                "succeeded": True,
                "error": None,
                "traceback": None,
            },
        }
    logger.info(
        "crmrisk: executed %d notebooks in %.2f seconds",
        len(executed),
        time.perf_counter() - started,
    )
    return executed


@contextmanager
def _warm_kernels(notebooks: list[Any]) -> Iterator[dict[str, Any]]:
    """While the notebooks are executed: a server that has imported what they import
    forks their kernels (:mod:`.kernel_fork`); the keywords that make nbclient start
    kernels through it. The server is kept for the next build (:mod:`.warm`), else made
    for this one. Nothing (fresh kernels) with ``CRMRISK_WARM=off``, or unless each
    notebook's kernel is this interpreter's own IPython kernel, on Linux (fork, and Unix
    sockets that keep each message whole), with a folder for temporary files whose paths
    fit a Unix socket; a server that fails leaves the kernels failing to start, so the
    notebooks to myst-nb, which executes them as ever."""
    mode = warm_mode()
    if mode == "off" or not _can_fork(notebooks):
        yield {}
        return
    modules = sorted(_imported(notebooks))
    kept = kept_server(modules, "kernels") if mode == "keep" else None
    if kept is not None:
        yield {"kernel_manager_class": _manager(kept)}
        return
    with TemporaryDirectory(prefix="crmrisk-warm-") as folder:
        path = str(Path(folder) / "server")
        try:
            server = _start_server(modules, path)
        except Exception:
            server = None  # warm kernels only save time: fresh ones, as nbclient starts them
        if server is None:
            yield {}
            return
        try:
            yield {"kernel_manager_class": _manager(path)}
        finally:
            server.terminate()
            try:
                server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()


def _can_fork(notebooks: list[Any]) -> bool:
    if not sys.platform.startswith("linux") or not hasattr(socket, "send_fds"):
        return False
    return all(map(_native_kernel, notebooks))


def _manager(path: str) -> type:
    """The kernel manager that asks the server at ``path`` for its kernel."""
    from jupyter_client.manager import AsyncKernelManager
    from traitlets import default

    command = [sys.executable, str(KERNEL_FORK)]
    client = _client_class()

    class WarmKernelManager(AsyncKernelManager):
        """Starts its kernel as a launcher asking the server for a fork."""

        def format_kernel_cmd(self, extra_arguments: list[str] | None = None) -> list[str]:
            return [*command, "launch", path, self.connection_file]

        @default("client_factory")
        def _client_factory_default(self) -> type:
            return client

        async def _async_finish_shutdown(
            self, waittime: float | None = None, pollinterval: float = 0.1, restart: bool = False
        ) -> None:
            # the kernel shut down as ever (asked, then waited for), its end looked for
            # every 10 ms: with jupyter_client's 100 ms the build waited up to 0.1 s more
            # for the last notebook of an edit (benchmarks/README.md)
            await super()._async_finish_shutdown(waittime, 0.01, restart)

    return WarmKernelManager


@cache
def _client_class() -> type:
    """jupyter_client's asynchronous kernel client, ready once its kernel has answered.

    jupyter_client's client, once the kernel has answered ``kernel_info`` and IOPub has
    brought a message, reads IOPub until nothing came for 0.2 s: each kernel's start
    waited 0.2 s for nothing (a forked kernel answers in 0.05 s). This one, once IOPub is
    connected, asks ``kernel_info`` once more and reads IOPub up to the kernel's ``idle``
    status for that request, the last message it brings (the status messages of a request
    sent before IOPub was connected may never come). The rest is as jupyter_client's: the
    request sent again each second until a reply, a dead kernel or the timeout an error."""
    from queue import Empty

    from jupyter_client.asynchronous.client import AsyncKernelClient
    from jupyter_core.utils import ensure_async

    def answers(message: dict[str, Any], request: str) -> bool:
        return bool(message.get("parent_header", {}).get("msg_id") == request)

    class WarmKernelClient(AsyncKernelClient):
        async def wait_for_ready(self, timeout: float | None = None) -> None:
            deadline = time.monotonic() + (float("inf") if timeout is None else timeout)
            while True:
                self.kernel_info()
                try:
                    reply = await ensure_async(self.shell_channel.get_msg(timeout=1))
                except Empty:
                    reply = None
                if reply is not None and reply["msg_type"] == "kernel_info_reply":
                    try:
                        await ensure_async(self.iopub_channel.get_msg(timeout=0.2))
                    except Empty:
                        pass  # IOPub not connected yet: asked again
                    else:
                        break
                if not await self._async_is_alive():
                    raise RuntimeError("Kernel didn't respond to kernel_info")
                if time.monotonic() > deadline:
                    raise RuntimeError(f"Kernel didn't respond in {timeout:.0f} seconds")
            request = self.kernel_info()
            while True:
                try:
                    reply = await ensure_async(self.shell_channel.get_msg(timeout=5))
                except Empty:
                    raise RuntimeError("Kernel didn't respond to kernel_info") from None
                if reply["msg_type"] == "kernel_info_reply" and answers(reply, request):
                    self._handle_kernel_info_reply(reply)
                    break
            while True:
                try:
                    seen = await ensure_async(self.iopub_channel.get_msg(timeout=1))
                except Empty:
                    break  # no status: as jupyter_client, IOPub quiet for a while
                state = seen["content"].get("execution_state")
                if seen["msg_type"] == "status" and answers(seen, request) and state == "idle":
                    break

    return WarmKernelClient


def _start_server(modules: list[str], path: str) -> subprocess.Popen[bytes] | None:
    """This build's server, listening at ``path``."""
    if not _fits_a_unix_socket(path + ".tmp"):
        return None
    return subprocess.Popen(
        [sys.executable, str(KERNEL_FORK), "serve", path, *modules],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _native_kernel(notebook: Any) -> bool:
    """Whether ``notebook`` runs in this interpreter's own IPython kernel (what the
    server forks), not another Python's or another language's."""
    from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel

    name = notebook.metadata.get("kernelspec", {}).get("name", "python3")
    try:
        argv = KernelSpecManager().get_kernel_spec(name).argv
    except NoSuchKernel:
        return False
    python = argv[0] if argv else ""
    ours = python in ("python", "python3") or os.path.realpath(python) == os.path.realpath(
        sys.executable
    )
    return ours and argv[1:3] == ["-m", "ipykernel_launcher"]


def _imported(notebooks: list[Any]) -> set[str]:
    """The modules the code cells import (``import a.b``, ``from a.b import c``)."""
    found: set[str] = set()
    for notebook in notebooks:
        for cell in notebook.cells:
            if cell.get("cell_type") != "code":
                continue
            source = "\n".join(
                line
                for line in cell.source.splitlines()
                if not line.lstrip().startswith(("%", "!"))
            )
            try:
                tree = ast.parse(source)
            except SyntaxError:
                continue
            for node in ast.walk(tree):
                if isinstance(node, ast.Import):
                    found.update(alias.name for alias in node.names)
                elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                    found.add(node.module)
    return found


def _over_unix_sockets(folder: Path) -> Any:
    """The kernel started here talks to its client over Unix sockets in ``folder``, not
    over TCP on the loopback (jupyter_client's ``KernelManager.transport``): nothing of the
    audit goes through a port another user of the machine could reach, and ipykernel no
    longer prints at each start that its TCP is not encrypted (three « [IPKernelApp]
    WARNING » lines in every build that executed the audits). A folder of its own for each
    kernel: without one, kernels started at once in one working folder would all bind
    ``kernel-ipc-1``... there."""
    from traitlets.config import Config  # jupyter_client's: there when myst-nb is

    ip = str(folder / "kernel")
    if not _fits_a_unix_socket(ip + "-12"):  # the sockets are kernel-1 to kernel-5
        return Config()  # a folder for temporary files too deep: TCP, as jupyter_client does
    return Config({"KernelManager": {"transport": "ipc", "ip": ip}})


def _fits_a_unix_socket(path: str) -> bool:
    """Whether ``path`` is short enough for a Unix socket's address (108 bytes on Linux,
    104 elsewhere, the final NUL included)."""
    return len(os.fsencode(path)) < 104


def _guarded(execute: Any) -> Any:
    """An execution that raised (a dead kernel...) is left to myst-nb, which reports it."""

    def run(item: tuple[str, tuple[Path, Any]]) -> Any:
        try:
            return execute(item)
        except Exception:
            return None

    return run


def _plain_case(path: Path, config: Any, nbformat: Any) -> Any:
    """The notebook at ``path`` when myst-nb would execute it directly, with nothing of
    its own to say about how (else None: myst-nb executes it, if it does, as usual)."""
    if path.suffix != ".ipynb":
        return None
    if config.execution_mode not in ("force", "auto") or config.kernel_rgx_aliases:
        return None
    posix = PurePosixPath(path.as_posix())
    if any(posix.match(pattern) for pattern in config.execution_excludepatterns):
        return None
    try:
        notebook = nbformat.read(str(path), as_version=4)
    except Exception:
        return None
    if config.metadata_key in notebook.metadata:
        return None  # settings of its own: myst-nb applies them
    code_cells = [cell for cell in notebook.cells if cell.get("cell_type") == "code"]
    if config.execution_mode == "auto" and all(cell.get("outputs") for cell in code_cells):
        return None  # myst-nb would not execute it
    return notebook


@contextmanager
def _reading_executed(app: Sphinx, docname: str, executed: dict[str, Any]) -> Iterator[None]:
    from myst_nb.sphinx_ import NbMetadataCollector

    env = app.env
    config = env.mystnb_config  # type: ignore[attr-defined]
    state = build_state(app)
    state.executed_notebooks[docname] = executed["source"]
    env.mystnb_config = config.copy(execution_mode="off")  # type: ignore[attr-defined]
    try:
        yield
    finally:
        env.mystnb_config = config  # type: ignore[attr-defined]
        state.executed_notebooks.pop(docname, None)
    NbMetadataCollector.set_exec_data(env, docname, executed["exec_data"])
