"""What the commands share: exit statuses, the one-line error, the options that decide
each obligation's state, reading a build's traceability, and writing an output."""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import os
import re
import sys
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import NoReturn

from ..loading import load_traceability
from ..model import DATE_YEARS, DEFAULT_INACTIVE_STATUSES, is_out_of_range, parse_date
from ..text import split_list
from ..traceability import Traceability

EXIT_OK, EXIT_UNCOVERED, EXIT_BAD_INPUT = 0, 1, 2

_DATE_HELP = (
    "reference date YYYY-MM-DD for lapsed and upcoming obligations (default: the "
    "crmrisk_today of the build that wrote the needs.json, recorded beside it in "
    "crmrisk-config.json; else today)"
)


class UsageError(Exception):
    """A bad argument or an unusable file: reported in one line, exit status 2."""


class Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        # one line, not argparse's usage block: the message names the bad argument
        self.exit(EXIT_BAD_INPUT, f"{self.prog}: error: {message} (see --help)\n")


def date_argument(text: str) -> dt.date:
    date = parse_date(text)
    if date is None:
        years = f" of {DATE_YEARS}" if is_out_of_range(text) else ""
        raise argparse.ArgumentTypeError(f"{text!r} is not a date YYYY-MM-DD{years}")
    return date


_LANGUAGE = re.compile(r"^[A-Za-z]{2,3}([_-][A-Za-z0-9]{2,8})*$")


def language_argument(text: str) -> str:
    """A language code, ``fr``, ``en``, ``fr_FR``..."""
    if not _LANGUAGE.match(text):
        raise argparse.ArgumentTypeError(f"{text!r} is not a language code (fr, en...)")
    return text


def add_lang(parser: argparse.ArgumentParser, default_help: str) -> None:
    """``--lang``: the language of the command's messages (and of the exports' words)."""
    parser.add_argument(
        "--lang",
        "--language",
        dest="lang",
        type=language_argument,
        default=None,
        metavar="LANG",
        help=f"the language of the messages and of the words of the outputs (fr: French, "
        f"en: English); default: {default_help}",
    )


def dated_parser() -> argparse.ArgumentParser:
    """The options every command shares: they decide each obligation's state, and the
    language it is told in."""
    dated = Parser(add_help=False)
    dated.add_argument(
        "--today", type=date_argument, default=None, metavar="YYYY-MM-DD", help=_DATE_HELP
    )
    dated.add_argument(
        "--inactive-statuses",
        type=split_list,
        default=None,
        metavar="S1,S2",
        help="statuses of clauses and procedures that do not count (default: the "
        "build's crmrisk_inactive_statuses; else "
        f"{','.join(DEFAULT_INACTIVE_STATUSES)})",
    )
    add_lang(
        dated,
        "the language of the build that wrote the needs.json, recorded beside it in "
        "crmrisk-config.json",
    )
    return dated


def add_command(
    commands: argparse._SubParsersAction[argparse.ArgumentParser],
    name: str,
    run: Callable[[argparse.Namespace], int],
    *,
    inputs: dict[str, str],
    formats: Iterable[str],
    default_format: str | None = None,
    help: str,
    description: str,
) -> None:
    formats = list(formats)
    command = commands.add_parser(
        name, parents=[dated_parser()], help=help, description=description
    )
    for dest, help_text in inputs.items():
        command.add_argument(dest, metavar=dest.upper(), help=help_text)
    command.add_argument(
        "--format",
        choices=formats,
        default=default_format or formats[0],
        help="the output's format",
    )
    command.add_argument("--output", type=Path, metavar="FILE", help="write here, not to stdout")
    command.set_defaults(run=run)


def traceability_of(
    path: str, args: argparse.Namespace, today: dt.date | None = None
) -> Traceability:
    """The data as its build assessed it, unless the options say otherwise."""
    recorded = load_traceability(path)
    return recorded.with_settings(
        today=today or args.today or recorded.today,
        inactive_statuses=args.inactive_statuses or recorded.inactive_statuses,
        language=args.lang or recorded.language,
    )


#: What the last command of the process read (:func:`keep_until_exit`).
_KEPT: list[object] = []


def keep_until_exit(data: object) -> None:
    """Holds ``data`` (a command's traceability) after the command returns, until the
    next command of the process.

    The ``crmrisk`` process ends right after its command without freeing anything
    (:func:`~sphinx_crmrisk.cli.run`): a model freed object by object as the command
    returns would cost that time anyway (0.05 s at 50,000 needs). In a process that
    runs commands in turn (a test, a notebook), one command's data is held at most.
    """
    _KEPT[:] = [data]


def emit(data: str | bytes, output: Path | None) -> None:
    if isinstance(data, str):
        data = data.encode("utf-8")
    if output is None:
        if sys.stdout is None:  # started with its standard output closed (``>&-``)
            raise UsageError("cannot write to the standard output: it is closed")
        try:
            sys.stdout.flush()
            sys.stdout.buffer.write(data)
            sys.stdout.buffer.flush()
        except BrokenPipeError:
            # the reader went away: nothing is left to tell it, and nothing to flush
            # at exit (which would print a traceback of its own)
            silence_stdout()
        except OSError as err:  # a full disk (ENOSPC), an I/O error
            silence_stdout()
            raise UsageError(
                f"cannot write to the standard output: {err.strerror or err}"
            ) from None
        return
    try:
        output.write_bytes(data)
    except OSError as err:
        raise UsageError(f"cannot write {output}: {err.strerror or err}") from None


def say(line: str) -> None:
    """One line on the standard error, when there is one to write to (a closed one,
    ``2>&-``, is None: ``print`` would write to the standard output instead)."""
    if sys.stderr is None:
        return
    # a reader gone, a full disk: nothing is left to say
    with contextlib.suppress(OSError, ValueError):
        print(line, file=sys.stderr, flush=True)


def silence_stdout() -> None:
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError):  # no file descriptor (an in-process capture)
        pass
