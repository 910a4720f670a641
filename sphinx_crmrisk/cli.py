"""The ``crmrisk`` command: check coverage, export the matrix, compare two builds, and
start an organization's handbook (``init``).

It reads the ``needs.json`` an HTML build writes and calls :mod:`.model`, like the
build and the notebooks. Exit status: 0 all obligations covered, justified or lapsed;
1 some are not; 2 unusable input, or an output that cannot be written, with one line
on stderr and no traceback. A standard output closed by its reader (``| head``) is not
an error: the command stops writing and exits with the status of its answer.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import functools
import os
import sys
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import NoReturn

from . import __version__
from .diff import FORMATS as DIFF_FORMATS
from .diff import diff_document, diff_json, diff_markdown
from .exports import (
    RENDERERS,
    CutCell,
    ExportSettings,
    traceability_document,
    xlsx_bytes,
)
from .loading import load_recorded_config, load_traceability
from .model import DEFAULT_INACTIVE_STATUSES, parse_date, split_list
from .needs_json import LoadError
from .reports import REPORTERS, problems
from .review_edit import EditError, set_reviewed
from .safe_text import one_line
from .traceability import Traceability

EXIT_OK, EXIT_UNCOVERED, EXIT_BAD_INPUT = 0, 1, 2

_DATE_HELP = (
    "reference date YYYY-MM-DD for lapsed and upcoming obligations (default: the "
    "crmrisk_today of the build that wrote the needs.json, recorded beside it in "
    "crmrisk-config.json; else today)"
)


class UsageError(Exception):
    """A bad argument or an unusable file: reported in one line, exit status 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        # one line, not argparse's usage block: the message names the bad argument
        self.exit(EXIT_BAD_INPUT, f"{self.prog}: error: {message} (see --help)\n")


def _date(text: str) -> dt.date:
    date = parse_date(text)
    if date is None:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date YYYY-MM-DD")
    return date


def _dated_parser() -> argparse.ArgumentParser:
    """The options every command shares: they decide each obligation's state."""
    dated = _Parser(add_help=False)
    dated.add_argument("--today", type=_date, default=None, metavar="YYYY-MM-DD", help=_DATE_HELP)
    dated.add_argument(
        "--inactive-statuses",
        type=split_list,
        default=None,
        metavar="S1,S2",
        help="statuses of clauses and procedures that do not count (default: the "
        "build's crmrisk_inactive_statuses; else "
        f"{','.join(DEFAULT_INACTIVE_STATUSES)})",
    )
    return dated


def _add_command(
    commands: argparse._SubParsersAction,
    name: str,
    run: Callable[[argparse.Namespace], int],
    *,
    inputs: dict[str, str],
    formats: Iterable[str],
    default_format: str | None = None,
    **texts: str,
) -> None:
    formats = list(formats)
    command = commands.add_parser(name, parents=[_dated_parser()], **texts)
    for dest, help_text in inputs.items():
        command.add_argument(dest, metavar=dest.upper(), help=help_text)
    command.add_argument(
        "--format", choices=formats, default=default_format or formats[0], help="the output's format"
    )
    command.add_argument("--output", type=Path, metavar="FILE", help="write here, not to stdout")
    command.set_defaults(run=run)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="crmrisk",
        description="Check coverage, export the traceability matrix, compare two builds, "
        "from the needs.json that an HTML build writes; or start a handbook (init).",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    _add_command(
        commands,
        "check",
        run_check,
        inputs={"path": "a needs.json, or a build folder holding one"},
        formats=REPORTERS,
        help="list what the build warns of: problems and uncovered obligations; exit 1 if any",
        description="Lists, with file:line, every problem the build reports as a crmrisk "
        "warning about the items (dates, fields, link types...) and every obligation that "
        "is not covered, justified or lapsed. Exit 0 when there is none, 1 when there are "
        "some, 2 on unusable input.",
    )
    check = commands.choices["check"]
    check.add_argument(
        "--gaps-only",
        action="store_true",
        help="list only the uncovered obligations (exit 1 only for them)",
    )
    _add_command(
        commands,
        "matrix",
        run_matrix,
        inputs={"path": "a needs.json, or a build folder holding one"},
        formats=RENDERERS,
        default_format="md",
        help="export the traceability matrix (xlsx needs --output)",
        description="The matrix as the HTML build exports it (json: the "
        "sphinx-crmrisk/traceability schema, version 1).",
    )
    commands.choices["matrix"].add_argument(
        "--language",
        metavar="LANG",
        default=None,
        help="headings, states and sheet names of csv and xlsx in this language (fr: "
        "French, ';'-separated CSV); default: the language of the build that wrote the "
        "needs.json, recorded beside it",
    )
    _add_command(
        commands,
        "diff",
        run_diff,
        inputs={
            "old": "needs.json (or build folder) before",
            "new": "needs.json (or build folder) after",
        },
        formats=DIFF_FORMATS,
        help="compare two builds' obligations (Markdown for a pull request)",
        description="Obligations added, removed or changed, and every change of state. "
        "Exit 1 when NEW leaves an obligation uncovered, else 0; 2 on unusable input.",
    )
    _add_init(commands)
    review = commands.add_parser(
        "review",
        help="record that clauses or procedures were re-read against the law",
        description="Sets each named clause's or procedure's ':reviewed:' to the date "
        "(adding the line when it has none; nothing else in the sources changes) and "
        "records, in the review lock (crmrisk_review_lock), the state of the obligations "
        "it covers, so that its covers are no longer suspect. Exit 0; 2 on an unknown "
        "ID, an item that is not a clause or procedure, or a folder with no project.",
    )
    review.add_argument("source", metavar="SOURCE", help="the project's source folder")
    review.add_argument("ids", metavar="ID", nargs="*", help="clause or procedure IDs")
    review.add_argument("--all", action="store_true", help="every clause and procedure")
    review.add_argument(
        "--today", type=_date, default=None, metavar="YYYY-MM-DD",
        help="the date of the review (default: today)",
    )
    review.set_defaults(run=run_review)
    return parser


def _add_init(commands: argparse._SubParsersAction) -> None:
    from .scope import valid_words
    from .starter import FORMATS as STARTER_FORMATS

    init = commands.add_parser(
        "init",
        help="write a starter handbook for one organization, on the shipped catalogue",
        description="Writes into DIR (missing or empty) a starter project that imports "
        "the newest statement of the law shipped with sphinx-crmrisk, scoped by the "
        "profile. Its first build succeeds in drafting mode and lists the obligations "
        "to cover. Exit 2, nothing written, when DIR is not empty or a profile word "
        "is unknown.",
    )
    init.add_argument("directory", metavar="DIR", type=Path, help="the folder to create")
    init.add_argument(
        "--profile",
        metavar="A,B",
        default=None,
        help=f"the activities the organization carries out, among: {valid_words()} "
        "(default: every obligation applies)",
    )
    init.add_argument(
        "--jupyter-book",
        action="store_true",
        help="a Jupyter Book 1 (_config.yml, _toc.yml), not a conf.py project",
    )
    init.add_argument("--format", choices=STARTER_FORMATS, default="myst", help="the pages' markup")
    init.set_defaults(run=run_init)


def run_init(args: argparse.Namespace) -> int:
    from .starter import StarterError, parse_profile, write_starter

    try:
        profile = parse_profile(args.profile)
        written = write_starter(args.directory, profile, args.jupyter_book, args.format)
    except StarterError as err:
        raise UsageError(str(err)) from None
    print(f"wrote {len(written)} files into {args.directory}")
    build = (
        f"jupyter-book build {args.directory} -W -n --keep-going"
        if args.jupyter_book
        else f"sphinx-build -W --keep-going -b html {args.directory} "
        f"{args.directory / '_build' / 'html'}"
    )
    print(f"next: {build}")
    return EXIT_OK


def _traceability(
    path: str, args: argparse.Namespace, today: dt.date | None = None
) -> Traceability:
    """The data as its build assessed it, unless the options say otherwise."""
    recorded = load_traceability(path)
    return dataclasses.replace(
        recorded,
        today=today or args.today or recorded.today,
        inactive_statuses=args.inactive_statuses or recorded.inactive_statuses,
    )


def _emit(data: str | bytes, output: Path | None) -> None:
    if isinstance(data, str):
        data = data.encode("utf-8")
    if output is None:
        try:
            sys.stdout.flush()
            sys.stdout.buffer.write(data)
            sys.stdout.buffer.flush()
        except BrokenPipeError:
            # the reader went away: nothing is left to tell it, and nothing to flush
            # at exit (which would print a traceback of its own)
            _silence_stdout()
        except OSError as err:  # a full disk (ENOSPC), an I/O error
            _silence_stdout()
            raise UsageError(f"cannot write to the standard output: {err.strerror or err}") from None
        return
    try:
        output.write_bytes(data)
    except OSError as err:
        raise UsageError(f"cannot write {output}: {err.strerror or err}") from None


def _silence_stdout() -> None:
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError):  # no file descriptor (an in-process capture)
        pass


def run_check(args: argparse.Namespace) -> int:
    data = _traceability(args.path, args)
    _emit(REPORTERS[args.format](data, args.gaps_only), args.output)
    return EXIT_UNCOVERED if problems(data, args.gaps_only) else EXIT_OK


def run_matrix(args: argparse.Namespace) -> int:
    if args.format == "xlsx" and args.output is None:
        raise UsageError("--format xlsx needs --output FILE")
    data = _traceability(args.path, args)
    settings = ExportSettings.of(load_recorded_config(args.path))
    if args.language:
        settings = dataclasses.replace(settings, language=args.language)
    document = traceability_document(data)
    if args.format != "xlsx":
        _emit(RENDERERS[args.format](document, settings), args.output)
        return EXIT_OK
    cut: list[CutCell] = []
    _emit(xlsx_bytes(document, settings, cut), args.output)
    if cut:
        listed = "; ".join(str(cell) for cell in cut[:3])
        more = f"; and {len(cut) - 3} more" if len(cut) > 3 else ""
        message = f"{args.output}: {len(cut)} cell(s) cut to Excel's limit: {listed}{more}"
        print(f"crmrisk: warning: {one_line(message)}", file=sys.stderr)
    return EXIT_OK


def run_diff(args: argparse.Namespace) -> int:
    new = _traceability(args.new, args)
    # both sides at one date: the change of state is the data's, not the calendar's
    old = _traceability(args.old, args, today=new.today)
    document = diff_document(old, new)
    render = diff_markdown if args.format == "md" else diff_json
    _emit(render(document), args.output)
    return EXIT_UNCOVERED if document["uncovered"] else EXIT_OK


def run_review(args: argparse.Namespace) -> int:
    from .kinds import COVERING_KINDS
    from .reviews import read_lock
    from .source_build import is_source_folder, needs_json_of

    source = Path(args.source)
    if not is_source_folder(source):
        raise UsageError(
            f"{source}: not a project folder (no conf.py, nor _config.yml and _toc.yml)"
        )
    if not args.ids and not args.all:
        raise UsageError("name the clauses or procedures to review, or give --all")
    needs_json = needs_json_of(source)
    model = load_traceability(needs_json).model
    values = load_recorded_config(needs_json)
    items = []
    for item_id in dict.fromkeys(args.ids):
        item = model.items.get(item_id)
        if item is None:
            raise UsageError(f"{item_id}: no such item in {source}")
        if item.kind not in COVERING_KINDS:
            raise UsageError(f"{item_id}: a {item.type}, not a clause or a procedure")
        items.append(item)
    if args.all:
        items = sorted(
            (i for i in model.items.values() if i.kind in COVERING_KINDS), key=lambda i: i.id
        )
    lock_file = source / values.review_lock
    try:
        lock = read_lock(lock_file)
    except ValueError as err:
        raise UsageError(f"{lock_file}: unusable review lock: {err}") from None
    date = (args.today or dt.date.today()).isoformat()
    edited = _edit_sources(source, items, date)
    for path, data in edited.items():
        try:
            path.write_bytes(data)
        except OSError as err:
            raise UsageError(f"cannot write {path}: {err.strerror or err}") from None
    try:
        lock_file.write_text(lock.reviewed(model, items).dumps(), encoding="utf-8")
    except OSError as err:
        raise UsageError(f"cannot write {lock_file}: {err.strerror or err}") from None
    for item in items:
        print(f"{item.location}: {item.id} reviewed on {date}")
    return EXIT_OK


def _edit_sources(source: Path, items: list, date: str) -> dict[Path, bytes]:
    """Each file's new bytes: every item's ``:reviewed:`` set, from the last line up, so
    that the line numbers of the others still hold."""
    by_file: dict[str, list] = {}
    for item in items:
        if item.file is None or item.lineno is None:
            raise UsageError(f"{item.id}: needs.json gives no file and line for it")
        by_file.setdefault(item.file, []).append(item)
    edited = {}
    for name, in_file in by_file.items():
        path = source / name
        try:
            text = path.read_bytes().decode("utf-8")
        except (OSError, UnicodeDecodeError) as err:
            raise UsageError(f"{path}: cannot read: {err}") from None
        for item in sorted(in_file, key=lambda i: i.lineno, reverse=True):
            try:
                text = set_reviewed(text, item.lineno, item.type, date)
            except EditError as err:
                raise UsageError(f"{item.location}: {item.id}: {err}") from None
        edited[path] = text.encode("utf-8")
    return edited
@functools.lru_cache(maxsize=1)
def _parser() -> argparse.ArgumentParser:
    # built once a process: a caller in process (the notebooks, the hostile-input
    # test) runs the command many times, and argparse takes milliseconds to build it
    return build_parser()


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        return args.run(args)
    except (LoadError, UsageError) as err:
        print(f"crmrisk: error: {one_line(str(err))}", file=sys.stderr)
        return EXIT_BAD_INPUT


def run() -> NoReturn:
    """The ``crmrisk`` command: :func:`main`, then exit at once.

    Once the output is out, freeing the model object by object (0.15 s at 50,000
    needs) would only make the caller wait: the process ends without it.
    """
    status = main()
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except OSError:
        pass  # the reader went away (``| head``): nothing is left to tell it
    os._exit(status)


if __name__ == "__main__":
    run()
