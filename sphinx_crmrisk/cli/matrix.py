"""``crmrisk matrix``: the traceability matrix, as the HTML build exports it."""

from __future__ import annotations

import argparse
import sys

from ..exports import RENDERERS, CutCell, ExportSettings, traceability_document, xlsx_bytes
from ..text import one_line
from .common import EXIT_OK, UsageError, add_command, emit, traceability_of


def add_to(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    add_command(
        commands,
        "matrix",
        run,
        inputs={"path": "a needs.json, or a build folder holding one"},
        formats=RENDERERS,
        default_format="md",
        help="export the traceability matrix (xlsx needs --output)",
        description="The matrix as the HTML build exports it (json: the "
        "sphinx-crmrisk/traceability schema, version 1).",
    )


def run(args: argparse.Namespace) -> int:
    if args.format == "xlsx" and args.output is None:
        raise UsageError("--format xlsx needs --output FILE")
    data = traceability_of(args.path, args)
    # --lang is in data.settings: headings, states, sheet names (fr: ';'-separated CSV)
    settings = ExportSettings.of(data.settings)
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
