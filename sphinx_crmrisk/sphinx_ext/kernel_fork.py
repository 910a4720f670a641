"""Warm kernels: one process imports what the audit notebooks import, then forks a kernel
for each of them.

Each audit notebook's kernel spent two thirds of its CPU starting Python and IPython and
importing pandas and matplotlib (benchmarks/README.md, issue 23), the same work three
times. Here a *server* does it once, then forks, for each kernel asked of it, a child
that becomes an ordinary IPython kernel (``IPKernelApp``, as ``python -m
ipykernel_launcher -f CONNECTION_FILE`` would start it), in the working folder, with the
environment and the standard streams of the process that asked. That process, the
*launcher*, is what jupyter_client started as the kernel's command
(:mod:`.notebooks` gives it the command): it stays until the kernel ends and exits with
its status, passes on the signals it is sent (an interrupt), and if it is killed the
server kills the kernel. So for jupyter_client and nbclient, nothing changes but the
time a kernel takes to be ready.

What a fork shares is made as a fresh kernel would have it: the random generators of
Python and NumPy are seeded again in each child, ``MPLBACKEND`` is set before matplotlib
is imported as ipykernel sets it, and the server imports only libraries that do nothing
visible when imported (:data:`QUIET_MODULES`, when a notebook imports them): a module
that printed at import would print into no notebook. And a fork ends as a fresh kernel
does, its exit functions run (a cell's ``atexit`` hooks, IPython's, which closes the
files a cell left open). One difference is kept on purpose: what the server imported is
frozen (``gc.freeze``) before it forks, so that a kernel's collections never walk it.

A server kept between builds (``keep``, :mod:`.notebooks` decides) saves the imports
again at the next build: it ends after a time without a kernel, when it is told to
(SIGTERM), or as soon as a file of a module it imported changed (a package upgraded, the
package's own code edited: it would no longer be what a fresh kernel imports); it says so
to whoever asks (``ping``), and stops taking requests. Its socket sits in a folder only
its user can enter, and it holds a lock that says it lives; the kernels it forks do not
hold it.

This file is run by its path (``python kernel_fork.py serve|launch ...``), not as a
module of the package, so that neither the launcher (a process per kernel) nor the
server imports Sphinx; it imports nothing of the package either.
"""

from __future__ import annotations

import contextlib
import gc
import json
import os
import selectors
import signal
import socket
import sys
import time
from pathlib import Path
from typing import Any

#: Libraries the server imports before forking, when a notebook imports them: costly to
#: import (pandas 0.4 s, matplotlib's pyplot 0.65 s of CPU), and quiet when imported.
QUIET_MODULES = (
    "numpy",
    "pandas",
    "matplotlib",
    "matplotlib.pyplot",
    "IPython.display",
    "sphinx_crmrisk",
)
#: How long a launcher waits for the server to listen (it imports first).
CONNECT_TIMEOUT = 60.0
#: How long a ping waits for the server's answer (a look at the files it loaded).
PING_TIMEOUT = 5.0
#: This file, run by its path.
KERNEL_FORK = Path(__file__).resolve()


def serve(
    path: str,
    modules: list[str],
    lock_fd: int | None = None,
    idle: float | None = None,
    role: str = "kernels",
) -> None:
    """Imports ``modules`` (for ``kernels``: ipykernel, and those of ``modules`` that are
    quiet), listens on the Unix socket ``path``, forks a kernel or a job for each launcher
    that connects; ends on SIGTERM, and when its parent does (a build's own server) or
    after ``idle`` seconds without work (a kept one, which holds the lock ``lock_fd``), or
    when a file it loaded changed. A server that cannot start says so in ``path.failed``:
    the launchers give up at once (their kernels fail to start, and the build leaves the
    notebooks to myst-nb; a job fails, and the build does its work itself)."""
    try:
        _serve(path, modules, lock_fd, idle, role)
    except BaseException:
        with open(path + ".failed", "w"):
            pass
        raise


def _module_files() -> dict[str, tuple[int, int, int]]:
    """Each file the process loaded, as found now: the modules' (this one's included)
    and the shared libraries it mapped (Pango's, NumPy's...)."""
    names = [getattr(module, "__file__", None) for module in list(sys.modules.values())]
    with contextlib.suppress(OSError), open("/proc/self/maps", errors="replace") as maps:
        for line in maps:
            # address, permissions, offset, device, inode, then the file's path, if any
            fields = line.split(None, 5)
            if len(fields) == 6:
                names.append(fields[5].strip())
    found = {}
    for name in names:
        if isinstance(name, str) and name.startswith("/") and name not in found:
            with contextlib.suppress(OSError):
                stat = os.stat(name)
                found[name] = (stat.st_mtime_ns, stat.st_size, stat.st_ino)
    return found


def _unchanged(files: dict[str, tuple[int, int, int]]) -> bool:
    """Whether every file of ``files`` is still the one imported."""
    for name, seen in files.items():
        try:
            stat = os.stat(name)
        except OSError:
            return False
        if (stat.st_mtime_ns, stat.st_size, stat.st_ino) != seen:
            return False
    return True


def _serve(
    path: str, modules: list[str], lock_fd: int | None, idle: float | None, role: str
) -> None:
    parent = os.getppid()
    if role == "kernels":
        _prepare_kernels(modules)
    else:
        for module in modules:
            with contextlib.suppress(Exception):
                __import__(module)
    # what was imported, frozen: the collector of each fork never walks it again (the
    # kernel's collections during its cells, IPython's full one at its end: 0.13 s a
    # kernel of the handbook before), and the pages a fork shares with the server are
    # not copied because a collection wrote to them (Python's advice for gc.freeze)
    gc.collect()
    gc.freeze()
    files = {}
    if lock_fd is not None:
        files = _module_files()
        with contextlib.suppress(FileNotFoundError):
            os.unlink(path + ".tmp")  # left by a kept server killed while it imported
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    listener.bind(path + ".tmp")
    listener.listen()
    os.rename(path + ".tmp", path)  # launchers connect once the imports are done
    stopping = stopped = False  # stopped: told to (SIGTERM), its kernels with it

    def stop(*_: Any) -> None:
        nonlocal stopping, stopped
        stopping = stopped = True

    signal.signal(signal.SIGTERM, stop)
    selector = selectors.DefaultSelector()
    selector.register(listener, selectors.EVENT_READ)
    kernels: dict[int, socket.socket] = {}  # kernel's pid -> its launcher's connection
    closed = (listener.fileno(), lock_fd)  # what a kernel does not keep open
    last = time.monotonic()
    listening = True
    while not stopped and (listening or kernels):
        if lock_fd is None and os.getppid() != parent:
            stopped = True
            break
        if listening and stopping:
            # no request taken any more; a kept server's lock freed for the next one at
            # once; the kernels of a stale one end as they would have (a build's, running)
            listening = False
            selector.unregister(listener)
            os.unlink(path)
            listener.close()
            if lock_fd is not None:
                os.close(lock_fd)
            continue
        for key, _events in selector.select(timeout=0.05):
            if key.fileobj is listener:
                connection, _address = listener.accept()
                if files and not _unchanged(files):
                    stopping = True  # said to the one who asked; no kernel forked
                pid = _answer(connection, kernels, closed, stale=stopping)
                if pid:
                    kernels[pid] = connection
                    selector.register(connection, selectors.EVENT_READ, pid)
            else:
                # a launcher says nothing after its request: readable means it is gone
                pid = key.data
                selector.unregister(key.fileobj)
                _kill(pid)
        _reap(kernels, selector)
        if kernels:
            last = time.monotonic()
        elif idle is not None and time.monotonic() - last > idle:
            stopping = True
    if listening:
        os.unlink(path)
        listener.close()
    for pid in list(kernels):
        _kill(pid)  # told to stop, or its parent (the build) gone
    _reap(kernels, selector, block=True)


def _prepare_kernels(modules: list[str]) -> None:
    # as ipykernel does before the shell imports matplotlib (kernelapp.init_gui_pylab)
    if not os.environ.get("MPLBACKEND"):
        os.environ["MPLBACKEND"] = "module://matplotlib_inline.backend_inline"
    import ipykernel.kernelapp  # noqa: F401

    # what IPKernelApp imports when it makes its kernel (the IPython kernel, its shell,
    # its debugger): 0.09 s of each kernel's start
    for module in ("ipykernel.ipkernel", "ipykernel.zmqshell", "ipykernel.debugger"):
        with contextlib.suppress(Exception):
            __import__(module)
    for module in modules:
        if module in QUIET_MODULES:
            with contextlib.suppress(Exception):
                __import__(module)


def _answer(
    connection: socket.socket,
    kernels: dict[int, socket.socket],
    closed: tuple[int | None, ...],
    stale: bool,
) -> int:
    """Reads a request: a ``ping`` is told whether the server is still fresh, and its
    pid; a launcher's request gets its kernel forked, unless the server is stale. The
    kernel's pid, or 0 (the connection is then closed)."""
    try:
        message, fds, _flags, _address = socket.recv_fds(connection, 1 << 20, 3)
        request = json.loads(message)
    except (OSError, ValueError):
        connection.close()
        return 0
    if request.get("ping") or stale:
        for fd in fds:
            os.close(fd)
        with contextlib.suppress(OSError):
            connection.sendall(json.dumps({"fresh": not stale, "pid": os.getpid()}).encode())
        connection.close()
        return 0
    pid = os.fork()
    if pid == 0:  # the kernel
        code = 1
        try:
            for kept in closed:
                if kept is not None:
                    os.close(kept)
            for other in kernels.values():
                other.close()
            connection.close()
            code = _run_job(request, fds) if "run" in request else _run_kernel(request, fds)
        finally:
            _end_as_a_process(code)
    for fd in fds:
        os.close(fd)
    try:
        connection.sendall(json.dumps({"pid": pid}).encode() + b"\n")
    except OSError:
        _kill(pid)
    return pid


def _end_as_a_process(code: int) -> None:
    """Ends a forked kernel or job as a process of its own ends: its exit functions run
    first (IPython's clears the notebook's namespace, which closes the files a cell left
    open, and ends its history session; a cell's own ``atexit`` hooks), then its streams
    are flushed. ``os._exit``, never a ``SystemExit``, which would unwind the server's
    frames (its socket, its lock) in the child."""
    import atexit

    with contextlib.suppress(BaseException):
        atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(BaseException):
            stream.flush()
    os._exit(code)


def _run_kernel(request: dict[str, Any], fds: list[int]) -> int:
    """In the forked child: becomes the kernel the launcher asked for; its exit status."""
    _take_over(request, fds)
    _seed_again()
    argv = ["-f", request["connection_file"]]
    # two settings ipykernel reads from the environment when it is imported (the
    # server's, without them): given as a fresh kernel would have them; without the
    # parent's, the kernel would print « Ctrl-C will not work » as `ipython kernel` does
    for trait, variable in (
        ("parent_handle", "JPY_PARENT_PID"),
        ("interrupt", "JPY_INTERRUPT_EVENT"),
    ):
        if os.environ.get(variable, "").isdigit():
            argv.append(f"--IPKernelApp.{trait}={os.environ[variable]}")
    sys.argv = [sys.argv[0], *argv]
    from ipykernel import kernelapp

    try:
        kernelapp.IPKernelApp.launch_instance(argv=argv)
    except SystemExit as exit_:
        return exit_.code if isinstance(exit_.code, int) else 1
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
    return 0


def _run_job(request: dict[str, Any], fds: list[int]) -> int:
    """In the forked child: runs ``module:function(argv)`` with the launcher's folder,
    environment and streams, at a lower priority when asked (``nice``); its exit status
    (1 for an exception, its traceback printed)."""
    _take_over(request, fds)
    if request.get("nice"):
        os.nice(int(request["nice"]))  # what the build waits for first runs first
    import importlib

    module, _, function = request["run"].partition(":")
    try:
        code = getattr(importlib.import_module(module), function)(request["argv"])
    except SystemExit as exit_:
        code = exit_.code if isinstance(exit_.code, int) else 1
    except BaseException:
        import traceback

        traceback.print_exc()
        code = 1
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
    return code if isinstance(code, int) else 0


def _take_over(request: dict[str, Any], fds: list[int]) -> None:
    """The launcher's session, streams, folder and environment, in the forked child."""
    os.setsid()
    for target, fd in enumerate(fds[:3]):
        os.dup2(fd, target)
    for fd in fds:
        if fd > 2:
            os.close(fd)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    os.chdir(request["cwd"])
    os.environ.clear()
    os.environ.update(request["env"])


def _seed_again() -> None:
    """A fork shares its parent's random state: each kernel draws its own, as a fresh
    interpreter would (Python seeds its own ``random`` again in a forked child; NumPy's
    global generator, imported by pandas in the server, is seeded here)."""
    numpy_random = sys.modules.get("numpy.random")
    if numpy_random is not None:
        numpy_random.seed()


def _kill(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)


def _reap(kernels: dict[int, socket.socket], selector: Any, block: bool = False) -> None:
    """Kernels that ended: their status sent to their launcher, which ends with it."""
    while kernels:
        try:
            pid, status = os.waitpid(-1, 0 if block else os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        connection = kernels.pop(pid, None)
        if connection is None:
            continue
        with contextlib.suppress(KeyError, ValueError):
            selector.unregister(connection)
        with contextlib.suppress(OSError):
            connection.sendall(json.dumps({"status": os.waitstatus_to_exitcode(status)}).encode())
        connection.close()


def launch(path: str, connection_file: str, run: dict[str, Any] | None = None) -> int:
    """The kernel's command for jupyter_client: asks the server at ``path`` for a
    kernel (with ``run``: a job), passes on the signals it gets, and ends with the
    kernel's status."""
    client = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    deadline = time.monotonic() + CONNECT_TIMEOUT
    while True:
        try:
            client.connect(path)
            break
        except (FileNotFoundError, ConnectionRefusedError):
            if os.path.exists(path + ".failed"):
                print(f"kernel_fork: the server at {path} could not start", file=sys.stderr)
                return 1
            if time.monotonic() > deadline:
                print(
                    f"kernel_fork: no server at {path} after {CONNECT_TIMEOUT:.0f} s",
                    file=sys.stderr,
                )
                return 1
            time.sleep(0.02)
        except OSError as err:
            print(f"kernel_fork: cannot reach the server at {path}: {err}", file=sys.stderr)
            return 1
    request = {"connection_file": connection_file, "cwd": os.getcwd(), "env": dict(os.environ)}
    request.update(run or {})
    socket.send_fds(client, [json.dumps(request).encode()], [0, 1, 2])
    reader = client.makefile("rb")
    started = json.loads(reader.readline() or b"{}")
    pid = started.get("pid")
    if not pid:
        return 1

    def forward(signum: int, _frame: Any) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signum)

    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT):
        signal.signal(signum, forward)
    ended = json.loads(reader.readline() or b'{"status": 1}')
    status = int(ended.get("status", 1))
    return status if status >= 0 else 128 - status


def fits_a_unix_socket(path: str) -> bool:
    """Whether ``path`` is short enough for a Unix socket's address (108 bytes on Linux,
    104 elsewhere, the final NUL included)."""
    return len(os.fsencode(path)) < 104


def ping(path: str) -> dict[str, Any] | None:
    """What the server at ``path`` says of itself (``fresh``, ``pid``); None when no
    server listens there (yet)."""
    client = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    try:
        client.settimeout(PING_TIMEOUT)
        client.connect(path)
        socket.send_fds(client, [json.dumps({"ping": True}).encode()], [])
        answer = json.loads(client.recv(4096) or b"null")
    except (OSError, ValueError):
        return None
    finally:
        client.close()
    return answer if isinstance(answer, dict) else None


def main(argv: list[str]) -> int:
    if argv[:1] == ["serve"] and len(argv) >= 2:
        serve(argv[1], argv[2:])
        return 0
    if argv[:1] == ["keep"] and len(argv) >= 5:
        if os.fork():
            return 0  # the server is the child: no build it outlives has it to reap
        serve(argv[1], argv[5:], lock_fd=int(argv[2]), idle=float(argv[3]), role=argv[4])
        return 0
    if argv[:1] == ["launch"] and len(argv) == 3:
        return launch(argv[1], argv[2])
    if argv[:1] == ["run"] and len(argv) >= 5 and argv[2] == "--nice":
        return launch(argv[1], "", {"run": argv[4], "argv": argv[5:], "nice": int(argv[3])})
    if argv[:1] == ["run"] and len(argv) >= 3:
        return launch(argv[1], "", {"run": argv[2], "argv": argv[3:]})
    print(
        "usage: kernel_fork.py serve SOCKET [MODULE...]"
        " | keep SOCKET LOCK_FD IDLE_SECONDS kernels|jobs [MODULE...]"
        " | launch SOCKET CONNECTION_FILE | run SOCKET [--nice N] MODULE:FUNCTION [ARG...]"
    )
    return 2


if __name__ == "__main__":
    # run by its path: its folder (sphinx_ext, with modules named config, state...) is
    # first on sys.path; a kernel must not import those for its own
    del sys.path[0]
    sys.exit(main(sys.argv[1:]))
