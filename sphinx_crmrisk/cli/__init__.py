"""The ``crmrisk`` command: check coverage, export the matrix, compare two builds, write
an audit pack, start an organization's handbook (``init``) and bring in its register
(``import``).

It reads the ``needs.json`` an HTML build writes and calls the library
(:mod:`sphinx_crmrisk.traceability`), like the build and the notebooks; it never imports
Sphinx. Each command is a module of this package with ``add_to`` (its arguments) and
``run``. Exit status: 0 all obligations covered, justified or lapsed;
1 some are not; 2 unusable input, or an output that cannot be written, with one line
on stderr and no traceback. A standard output closed by its reader (``| head``) is not
an error: the command stops writing and exits with the status of its answer.
"""

from __future__ import annotations

import argparse
import functools
import gc
import importlib
import os
import sys
from collections.abc import Sequence
from typing import NoReturn

from .. import __version__
from ..input_paths import LoadError
from ..text import one_line
from .common import EXIT_BAD_INPUT, EXIT_OK, EXIT_UNCOVERED, Parser, UsageError, say, silence_stdout

__all__ = ["EXIT_BAD_INPUT", "EXIT_OK", "EXIT_UNCOVERED", "build_parser", "main", "run"]

#: The commands, in the order ``--help`` lists them: each one's name and module.
COMMANDS = {
    "check": "check",
    "matrix": "matrix",
    "diff": "diff",
    "pack": "pack",
    "init": "init",
    "review": "review",
    "import": "register_import",
}


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The command's parser, with every command, or ``only`` the one named: then no
    other command's module is imported (nor compiled), which ``crmrisk check``, a CI
    gate, would wait for on every run."""
    parser = Parser(
        prog="crmrisk",
        description="Check coverage, export the matrix, compare two builds, write an "
        "audit pack, from the needs.json that an HTML build writes; start a handbook "
        "(init), or bring in a register of clauses and procedures (import).",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, module in COMMANDS.items():
        if only is None or name == only:
            importlib.import_module(f".{module}", __name__).add_to(commands)
    return parser


@functools.cache
def _parser(only: str | None) -> argparse.ArgumentParser:
    # built once a process: a caller in process (the notebooks, the hostile-input
    # test) runs the command many times, and argparse takes milliseconds to build it
    return build_parser(only)


def main(argv: Sequence[str] | None = None) -> int:
    given = sys.argv[1:] if argv is None else list(argv)
    # the parser of the command named first; else (--help, --version, a mistake) of all
    only = given[0] if given and given[0] in COMMANDS else None
    args = _parser(only).parse_args(given)
    try:
        return args.run(args)
    except (LoadError, UsageError) as err:
        say(f"crmrisk: error: {one_line(str(err))}")
        return EXIT_BAD_INPUT
    except BrokenPipeError:
        # a command that prints what it did once it is done (review, init), to a
        # reader that went away: the work is done, nothing is left to tell
        silence_stdout()
        return EXIT_OK


def run() -> NoReturn:
    """The ``crmrisk`` command: :func:`main`, then exit at once.

    Once the output is out, freeing the model object by object (0.15 s at 50,000
    needs) would only make the caller wait: the process ends without it. For the same
    reason the cyclic garbage collector never runs: each of its collections walks the
    objects made so far (the model's are millions), and the little cyclic garbage a
    command makes is freed by the end of the process.
    """
    gc.disable()
    status = main()
    for stream in (sys.stdout, sys.stderr):
        try:
            if stream is not None:  # None: closed when the command started (``>&-``)
                stream.flush()
        except (OSError, ValueError):
            pass  # the reader went away (``| head``): nothing is left to tell it
    os._exit(status)
