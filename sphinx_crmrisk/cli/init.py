"""``crmrisk init``: a starter handbook for one organization, on the shipped catalogue."""

from __future__ import annotations

import argparse
import shlex
from pathlib import Path

from ..kinds import N_
from ..scope import valid_words
from ..starter import FORMATS, StarterError, parse_profile, write_starter
from ..starter import LANGUAGE as STARTER_LANGUAGE
from ..text import one_line
from ..translations import translations
from .common import EXIT_OK, UsageError, add_lang


def add_to(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    init = commands.add_parser(
        "init",
        help="write a starter handbook for one organization, on the shipped catalogue",
        description="Writes into DIR (missing or empty) a starter project that imports "
        "the newest statement of the law shipped with sphinx-crmrisk, scoped by the "
        "profile. Its first build succeeds in drafting mode and lists the obligations "
        "to cover. Its pages, comments and README are French. Exit 2, nothing written, "
        "when DIR is not empty, a profile word is unknown or DIR's name cannot be shown "
        "on one line.",
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
    add_lang(init, "French, the language of the starter")
    init.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    language = args.lang or STARTER_LANGUAGE
    try:
        profile = parse_profile(args.profile, language)
        written = write_starter(args.directory, profile, args.jupyter_book, args.format, language)
    except StarterError as err:
        raise UsageError(str(err)) from None
    catalog = translations(language)
    # the folder as a shell word, each line break or control shown as an escape: a name
    # can never put a line of its own (a workflow command...) into the output
    folder = shlex.quote(str(args.directory))
    wrote = catalog.ngettext(
        N_("wrote {n} file into {folder}"), N_("wrote {n} files into {folder}"), len(written)
    )
    print(one_line(wrote.format(n=len(written), folder=folder)))
    output = shlex.quote(str(args.directory / "_build" / "html"))
    build = (
        f"jupyter-book build {folder} -W -n --keep-going"
        if args.jupyter_book
        else f"sphinx-build -W --keep-going -b html {folder} {output}"
    )
    print(one_line(catalog.gettext(N_("next: {command}")).format(command=build)))
    return EXIT_OK
