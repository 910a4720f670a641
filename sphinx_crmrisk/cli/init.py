"""``crmrisk init``: a starter handbook for one organization, on the shipped catalogue."""

from __future__ import annotations

import argparse
from pathlib import Path

from ..scope import valid_words
from ..starter import FORMATS, StarterError, parse_profile, write_starter
from .common import EXIT_OK, UsageError


def add_to(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
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
    init.add_argument("--format", choices=FORMATS, default="myst", help="the pages' markup")
    init.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
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
