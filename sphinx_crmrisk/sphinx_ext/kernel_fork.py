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
that printed at import would print into no notebook.

This file is run by its path (``python kernel_fork.py serve|launch ...``), not as a
module of the package, so that neither the launcher (a process per kernel) nor the
server imports Sphinx; it imports nothing of the package either.
"""

from __future__ import annotations

import contextlib
import json
import os
import selectors
import signal
import socket
import sys
import time
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


def serve(path: str, modules: list[str]) -> None:
    """Imports ipykernel and ``modules``, listens on the Unix socket ``path``, forks a
    kernel for each launcher that connects; ends on SIGTERM, or when its parent does.
    A server that cannot start says so in ``path.failed``: the launchers give up at once
    (their kernels fail to start, and the build leaves the notebooks to myst-nb)."""
    try:
        _serve(path, modules)
    except BaseException:
        with open(path + ".failed", "w"):
            pass
        raise


def _serve(path: str, modules: list[str]) -> None:
    parent = os.getppid()
    # as ipykernel does before the shell imports matplotlib (kernelapp.init_gui_pylab)
    if not os.environ.get("MPLBACKEND"):
        os.environ["MPLBACKEND"] = "module://matplotlib_inline.backend_inline"
    import ipykernel.kernelapp  # noqa: F401

    for module in modules:
        if module in QUIET_MODULES:
            try:
                __import__(module)
            except Exception:
                continue
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    listener.bind(path + ".tmp")
    listener.listen()
    os.rename(path + ".tmp", path)  # launchers connect once the imports are done
    stopping = False

    def stop(*_: Any) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, stop)
    selector = selectors.DefaultSelector()
    selector.register(listener, selectors.EVENT_READ)
    kernels: dict[int, socket.socket] = {}  # kernel's pid -> its launcher's connection
    while not stopping and os.getppid() == parent:
        for key, _events in selector.select(timeout=0.05):
            if key.fileobj is listener:
                connection, _address = listener.accept()
                pid = _fork_kernel(connection, listener, kernels)
                if pid:
                    kernels[pid] = connection
                    selector.register(connection, selectors.EVENT_READ, pid)
            else:
                # a launcher says nothing after its request: readable means it is gone
                pid = key.data
                selector.unregister(key.fileobj)
                _kill(pid)
        _reap(kernels, selector)
    for pid in list(kernels):
        _kill(pid)
    _reap(kernels, selector, block=True)
    os.unlink(path)


def _fork_kernel(
    connection: socket.socket, listener: socket.socket, kernels: dict[int, socket.socket]
) -> int:
    """Reads a launcher's request, forks its kernel; the kernel's pid (0 for a request
    that could not be read: the connection is closed)."""
    try:
        message, fds, _flags, _address = socket.recv_fds(connection, 1 << 20, 3)
        request = json.loads(message)
    except (OSError, ValueError):
        connection.close()
        return 0
    pid = os.fork()
    if pid == 0:  # the kernel
        code = 1
        try:
            listener.close()
            for other in kernels.values():
                other.close()
            connection.close()
            code = _run_kernel(request, fds)
        finally:
            os._exit(code)
    for fd in fds:
        os.close(fd)
    try:
        connection.sendall(json.dumps({"pid": pid}).encode() + b"\n")
    except OSError:
        _kill(pid)
    return pid


def _run_kernel(request: dict[str, Any], fds: list[int]) -> int:
    """In the forked child: becomes the kernel the launcher asked for; its exit status."""
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


def launch(path: str, connection_file: str) -> int:
    """The kernel's command for jupyter_client: asks the server at ``path`` for a
    kernel, passes on the signals it gets, and ends with the kernel's status."""
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


def main(argv: list[str]) -> int:
    if argv[:1] == ["serve"] and len(argv) >= 2:
        serve(argv[1], argv[2:])
        return 0
    if argv[:1] == ["launch"] and len(argv) == 3:
        return launch(argv[1], argv[2])
    print("usage: kernel_fork.py serve SOCKET [MODULE...] | launch SOCKET CONNECTION_FILE")
    return 2


if __name__ == "__main__":
    # run by its path: its folder (sphinx_ext, with modules named config, state...) is
    # first on sys.path; a kernel must not import those for its own
    del sys.path[0]
    sys.exit(main(sys.argv[1:]))
