"""A function run in a forked child while the caller goes on, its result taken later.

No Sphinx import. Used where a build has work whose inputs are known before its last
step and a second core to do it on: the exports are made while the pages are written
(:mod:`.sphinx_ext.outputs`). The child shares the caller's memory as it was at the
fork, so it needs no file to be written or read again, and sends back its result,
pickled, through a pipe; the caller writes whatever is to be written.

Only on Linux, and only from a process with one thread: a fork copies the calling
thread alone, so a lock another thread held stays held in the child (Python 3.12 warns
of it; macOS forbids some of its libraries in a forked child). Elsewhere
:meth:`Forked.start` returns None and the caller does the work itself: the same result,
later. A child that fails gives None as well, never a partial result.
"""

from __future__ import annotations

import contextlib
import gc
import os
import pickle
import signal
import sys
from collections.abc import Callable
from typing import Generic, TypeVar

T = TypeVar("T")

_TASKS = "/proc/self/task"


def may_fork() -> bool:
    """Whether a fork is safe here: Linux, and this process has one thread (counted
    by the system, which also sees threads started outside :mod:`threading`)."""
    if sys.platform != "linux" or not hasattr(os, "fork"):
        return False
    try:
        return len(os.listdir(_TASKS)) == 1
    except OSError:
        return False


class Forked(Generic[T]):
    """A child process running one function; :meth:`result` waits for what it returned."""

    def __init__(self, pid: int, fd: int) -> None:
        self.pid = pid
        self._fd: int | None = fd

    @classmethod
    def start(cls, work: Callable[[], T]) -> Forked[T] | None:
        """``work`` run in a forked child; None where a fork is not safe or failed."""
        if not may_fork():
            return None
        read_fd, write_fd = os.pipe()
        try:
            pid = os.fork()
        except OSError:
            os.close(read_fd)
            os.close(write_fd)
            return None
        if pid == 0:  # pragma: no cover - the child; its work is tested through result()
            _run_child(work, read_fd, write_fd)
        os.close(write_fd)
        return cls(pid, read_fd)

    def result(self) -> T | None:
        """What ``work`` returned, once the child has ended; None when it failed (it
        raised, was killed, or its result could not be read)."""
        fd, self._fd = self._fd, None
        if fd is None:
            raise RuntimeError("the result of a forked child is taken once")
        with os.fdopen(fd, "rb") as stream:
            data = stream.read()
        try:
            _, status = os.waitpid(self.pid, 0)
        except ChildProcessError:  # reaped by the host already (SIGCHLD ignored): unknown
            return None
        if os.waitstatus_to_exitcode(status) != 0:
            return None
        try:
            result: T = pickle.loads(data)
        except Exception:
            return None
        return result

    def cancel(self) -> None:
        """The child stopped and waited for, its result dropped (a build that failed)."""
        fd, self._fd = self._fd, None
        if fd is None:
            return
        os.close(fd)
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.pid, signal.SIGKILL)
        with contextlib.suppress(ChildProcessError):
            os.waitpid(self.pid, 0)


def _run_child(work: Callable[[], T], read_fd: int, write_fd: int) -> None:  # pragma: no cover
    """The child: ``work``'s result pickled into the pipe, then an exit that runs none
    of the parent's exit handlers and flushes none of its buffers (they are the
    parent's to write)."""
    code = 1
    try:
        os.close(read_fd)
        # what the parent made stays where it is: the child's collections walk only what
        # the work makes, and leave the shared pages unwritten (the gc module's advice)
        gc.freeze()
        data = pickle.dumps(work(), protocol=pickle.HIGHEST_PROTOCOL)
        view = memoryview(data)
        while view:
            view = view[os.write(write_fd, view) :]
        code = 0
    except BaseException:  # whatever happens, the parent does the work itself
        code = 1
    finally:
        os._exit(code)
