"""Warm processes kept between builds: the servers of :mod:`.kernel_fork`, found or
started.

An edit of the handbook's traced data runs its audit notebooks and drafts the audit
pack's PDF again; most of what their processes would spend is starting Python and
importing the same libraries (pandas and matplotlib for the kernels, WeasyPrint for the
PDF: 0.85 s and 0.6 s of CPU, benchmarks/README.md). A server that imported them once
forks each kernel and each draft; kept after the build (``CRMRISK_WARM``), the next build
finds it ready, as sccache or the Gradle daemon are found.

``CRMRISK_WARM``: ``keep`` (the default, but where ``CI`` is set), ``build`` (a server
for each build's notebooks, ended with it; the PDF drafted by a process of its own),
``off`` (fresh kernels). ``CRMRISK_WARM_IDLE``: the seconds a kept server waits for work
before it ends (600).

A kept server is what a fresh process would be, or it gives way: its name sums up what
it imported and how (this interpreter, the working folder, the modules, the variables
that change an import, the server's code), and it ends as soon as a file it loaded (a
module, a shared library) changed, telling whoever asks. Its socket and its lock sit in
a folder only this user can enter (``$XDG_RUNTIME_DIR/sphinx-crmrisk``, else one in the
folder for temporary files, made ``0700`` and checked); whoever takes the lock starts the
server, which holds it as long as it lives.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import stat
import subprocess
import sys
import tempfile
import time
from pathlib import Path

# .kernel_fork (the servers' own code, 76 KiB once imported) is imported by the functions
# that talk to a server: every build reads this module's variables (environment_problems),
# few start a server (benchmarks/README.md, « Sixth session »)

MODE_ENV = "CRMRISK_WARM"
IDLE_ENV = "CRMRISK_WARM_IDLE"
IDLE_SECONDS = 600.0
#: How long a build waits for a kept server that is starting or giving way.
WAIT_SECONDS = 30.0
#: What changes what a module imported in a server is: part of a kept server's name.
IMPORT_ENV = (
    "PYTHONPATH",
    "PYTHONHOME",
    "PYTHONNOUSERSITE",
    "PYTHONSAFEPATH",
    "PYTHONWARNINGS",
    "HOME",
    "XDG_CONFIG_HOME",
    "XDG_CACHE_HOME",
    "MPLBACKEND",
    "MPLCONFIGDIR",
    "MATPLOTLIBRC",
    "FONTCONFIG_FILE",
    "FONTCONFIG_PATH",
)


MODES = ("keep", "build", "off")


def warm_mode() -> str:
    """``keep``, ``build`` or ``off`` (see the module's text); the default for a value
    that is none of them (:func:`environment_problems` says so)."""
    mode = os.environ.get(MODE_ENV, "").strip().lower()
    if mode in MODES:
        return mode
    return "build" if os.environ.get("CI") else "keep"


def idle_seconds() -> float:
    """``CRMRISK_WARM_IDLE``, or its default when unset or no number of seconds."""
    idle = _seconds(os.environ.get(IDLE_ENV, ""))
    return IDLE_SECONDS if idle is None else idle


def _seconds(text: str) -> float | None:
    try:
        value = float(text)
    except ValueError:
        return None
    return value if 0 <= value < float("inf") else None


def environment_problems() -> list[str]:
    """One line for each variable of this module set to a value it does not know."""
    problems = []
    mode = os.environ.get(MODE_ENV, "").strip()
    if mode and mode.lower() not in MODES:
        problems.append(f"{MODE_ENV}={mode!r} is not keep, build or off: {warm_mode()} is used")
    idle = os.environ.get(IDLE_ENV, "").strip()
    if idle and _seconds(idle) is None:
        problems.append(
            f"{IDLE_ENV}={idle!r} is not a number of seconds: {IDLE_SECONDS:.0f} is used"
        )
    return problems


def kept_server(modules: list[str], role: str) -> str | None:
    """The socket of a kept server of ``role`` (``kernels``, ``jobs``) that imported
    ``modules`` as this process would, started if none lives (or if the one living gave
    way); None on another system than Linux, without a folder of this user's own, or
    when none answers in time: the caller then does without."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        return _kept_server(modules, role)
    except OSError:
        return None


def _kept_server(modules: list[str], role: str) -> str | None:
    import fcntl

    from .kernel_fork import KERNEL_FORK, ping

    folder = private_folder()
    if folder is None:
        return None
    path = str(folder / f"{role}-{server_key(modules, role)}")
    fd = os.open(path + ".lock", os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    try:
        deadline = time.monotonic() + WAIT_SECONDS
        while time.monotonic() < deadline:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                answer = ping(path)
                if answer is not None and answer.get("fresh"):
                    return path
                time.sleep(0.02)  # starting (not listening yet), or giving way
                continue
            for stale in (path, path + ".failed"):
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(stale)
            idle = str(idle_seconds())
            # the server forks itself away at once: no build it outlives has it to reap
            subprocess.run(
                [sys.executable, str(KERNEL_FORK), "keep", path, str(fd), idle, role, *modules],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                pass_fds=(fd,),
                start_new_session=True,
                check=False,
            )
            return path
        return None
    finally:
        os.close(fd)


def private_folder() -> Path | None:
    """A folder only this user can enter, for kept servers' sockets and locks."""
    from .kernel_fork import fits_a_unix_socket

    runtime = os.environ.get("XDG_RUNTIME_DIR", "")
    if runtime and os.path.isdir(runtime):
        folder = Path(runtime) / "sphinx-crmrisk"
    else:
        folder = Path(tempfile.gettempdir()) / f"sphinx-crmrisk-{os.geteuid()}"
    with contextlib.suppress(FileExistsError):
        folder.mkdir(mode=0o700)
    found = os.lstat(folder)
    if not stat.S_ISDIR(found.st_mode) or found.st_uid != os.geteuid():
        return None
    if found.st_mode & 0o077:
        return None  # another user could reach the socket, or put one in its place
    if not fits_a_unix_socket(str(folder / "kernels-0123456789abcdef.tmp")):
        return None
    return folder


def server_key(modules: list[str], role: str) -> str:
    """What a kept server imported and how, summed up (its name)."""
    from .kernel_fork import KERNEL_FORK

    what = {
        "python": [os.path.abspath(sys.executable), sys.prefix, sys.version],
        "cwd": os.getcwd(),
        "role": role,
        "modules": modules,
        "env": {name: os.environ.get(name) for name in IMPORT_ENV},
        "server": hashlib.sha256(KERNEL_FORK.read_bytes()).hexdigest(),
    }
    text = json.dumps(what, sort_keys=True)
    return hashlib.blake2b(text.encode(), digest_size=8).hexdigest()
