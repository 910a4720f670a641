"""``crmrisk matrix``: the traceability matrix, as the HTML build exports it."""

from __future__ import annotations

import argparse

from ..text import one_line
from .common import EXIT_OK, UsageError, add_command, emit, say, traceability_of

#: ``exports.RENDERERS``' formats and ``oscal.FORMATS``, named here: the exports are
#: imported when the command runs, not whenever the ``crmrisk`` command starts
#: (``crmrisk check`` does without them); tests/test_cli.py holds them the same.
FORMATS = ("csv", "xlsx", "json", "md", "items-csv")
OSCAL_FORMATS = ("oscal-catalog", "oscal-profile")
#: ``oscal.CATALOG_FILE``: the catalog's file name, beside the profile.
CATALOG_FILE = "oscal-catalog.json"


def add_to(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    add_command(
        commands,
        "matrix",
        run,
        inputs={"path": "a needs.json, or a build folder holding one"},
        formats=[*FORMATS, *OSCAL_FORMATS],
        default_format="md",
        help="export the traceability matrix (xlsx needs --output), or the law as OSCAL",
        description="The matrix as the HTML build exports it (json: the "
        "sphinx-crmrisk/traceability schema, version 1; items-csv: the clauses and "
        "procedures as a register that crmrisk import reads back). oscal-catalog: the "
        "phases and obligations as an OSCAL 1.2 catalog; oscal-profile: the obligations "
        "in scope (neither out of scope nor lapsed) selected from that catalog.",
    )
    commands.choices["matrix"].add_argument(
        "--catalog-href",
        metavar="HREF",
        default=CATALOG_FILE,
        help="oscal-profile: where the profile finds its catalog, relative to the profile "
        "(a file name: the two files travel together) or a URI",
    )


def run(args: argparse.Namespace) -> int:
    from ..exports import RENDERERS, CutCell, ExportSettings, traceability_document, xlsx_bytes

    if args.format == "xlsx" and args.output is None:
        raise UsageError("--format xlsx needs --output FILE")
    data = traceability_of(args.path, args)
    if args.format in OSCAL_FORMATS:
        from ..oscal import OscalError, catalog_document, document_bytes, profile_document

        try:
            document = (
                catalog_document(data)
                if args.format == "oscal-catalog"
                else profile_document(data, args.catalog_href)
            )
        except OscalError as err:
            raise UsageError(str(err)) from None
        emit(document_bytes(document), args.output)
        return EXIT_OK
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
        say(f"crmrisk: warning: {one_line(message)}")
    return EXIT_OK
