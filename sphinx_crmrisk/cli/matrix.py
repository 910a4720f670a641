"""``crmrisk matrix``: the traceability matrix, as the HTML build exports it."""

from __future__ import annotations

import argparse
import dataclasses
import sys

from ..text import one_line
from .common import EXIT_OK, UsageError, add_command, emit, traceability_of

#: ``exports.RENDERERS``' formats, named here: the exports are imported when the command
#: runs, not whenever the ``crmrisk`` command starts (``crmrisk check`` does without
#: them); tests/test_cli.py holds the two the same.
FORMATS = ("csv", "xlsx", "json", "md")


def add_to(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    add_command(
        commands,
        "matrix",
        run,
        inputs={"path": "a needs.json, or a build folder holding one"},
        formats=FORMATS,
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


def run(args: argparse.Namespace) -> int:
    from ..exports import RENDERERS, CutCell, ExportSettings, traceability_document, xlsx_bytes

    if args.format == "xlsx" and args.output is None:
        raise UsageError("--format xlsx needs --output FILE")
    data = traceability_of(args.path, args)
    settings = ExportSettings.of(data.settings)
    if args.language:
        settings = dataclasses.replace(settings, language=args.language)
    document = traceability_document(data)
    if args.format != "xlsx":
        emit(RENDERERS[args.format](document, settings), args.output)
        return EXIT_OK
    cut: list[CutCell] = []
    emit(xlsx_bytes(document, settings, cut), args.output)
    if cut:
        listed = "; ".join(str(cell) for cell in cut[:3])
        more = f"; and {len(cut) - 3} more" if len(cut) > 3 else ""
        message = f"{args.output}: {len(cut)} cell(s) cut to Excel's limit: {listed}{more}"
        print(f"crmrisk: warning: {one_line(message)}", file=sys.stderr)
    return EXIT_OK
