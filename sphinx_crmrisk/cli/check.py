"""``crmrisk check``: what the build warns of, with ``file:line``; exit 1 if anything."""

from __future__ import annotations

import argparse

from ..reports import REPORTERS, problems
from .common import (
    EXIT_OK,
    EXIT_UNCOVERED,
    add_command,
    emit,
    keep_until_exit,
    traceability_of,
)


def add_to(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    add_command(
        commands,
        "check",
        run,
        inputs={"path": "a needs.json, or a build folder holding one"},
        formats=REPORTERS,
        help="list what the build warns of: problems and uncovered obligations; exit 1 if any",
        description="Lists, with file:line, every problem the build reports as a crmrisk "
        "warning about the items (dates, fields, link types...) and every obligation that "
        "is not covered, justified or lapsed. Exit 0 when there is none, 1 when there are "
        "some, 2 on unusable input.",
    )
    commands.choices["check"].add_argument(
        "--gaps-only",
        action="store_true",
        help="list only the uncovered obligations (exit 1 only for them)",
    )


def run(args: argparse.Namespace) -> int:
    data = traceability_of(args.path, args)
    keep_until_exit(data)
    emit(REPORTERS[args.format](data, args.gaps_only), args.output)
    return EXIT_UNCOVERED if problems(data, args.gaps_only) else EXIT_OK
