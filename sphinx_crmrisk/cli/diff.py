"""``crmrisk diff``: what changed in the obligations between two builds."""

from __future__ import annotations

import argparse

from ..diff import FORMATS, diff_document, diff_json, diff_markdown
from .common import EXIT_OK, EXIT_UNCOVERED, add_command, emit, traceability_of


def add_to(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    add_command(
        commands,
        "diff",
        run,
        inputs={
            "old": "needs.json (or build folder) before",
            "new": "needs.json (or build folder) after",
        },
        formats=FORMATS,
        help="compare two builds' obligations (Markdown for a pull request)",
        description="Obligations added, removed or changed, and every change of state. "
        "Exit 1 when NEW leaves an obligation uncovered, else 0; 2 on unusable input.",
    )


def run(args: argparse.Namespace) -> int:
    new = traceability_of(args.new, args)
    # both sides at one date: the change of state is the data's, not the calendar's
    old = traceability_of(args.old, args, today=new.today)
    document = diff_document(old, new)
    if args.format == "md":
        emit(diff_markdown(document, new.language), args.output)
    else:
        emit(diff_json(document), args.output)
    return EXIT_UNCOVERED if document["uncovered"] else EXIT_OK
