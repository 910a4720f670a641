"""``crmrisk review``: record that clauses or procedures were re-read against the law."""

from __future__ import annotations

import argparse
import datetime as dt
from pathlib import Path

from ..kinds import COVERING_KINDS
from ..loading import load_traceability
from ..model import Item
from ..needs_cache import is_source_folder, needs_json_of
from ..reviews import LockError, read_lock
from ..source_edit import EditError, set_reviewed
from .common import EXIT_OK, UsageError, date_argument


def add_to(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
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
        "--today",
        type=date_argument,
        default=None,
        metavar="YYYY-MM-DD",
        help="the date of the review (default: today)",
    )
    review.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    source = Path(args.source)
    if not is_source_folder(source):
        raise UsageError(
            f"{source}: not a project folder (no conf.py, nor _config.yml and _toc.yml)"
        )
    if not args.ids and not args.all:
        raise UsageError("name the clauses or procedures to review, or give --all")
    traceability = load_traceability(needs_json_of(source))
    model = traceability.model
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
    lock_file = source / traceability.settings.review_lock
    try:
        lock = read_lock(lock_file)
    except LockError as err:
        raise UsageError(str(err)) from None
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


def _edit_sources(source: Path, items: list[Item], date: str) -> dict[Path, bytes]:
    """Each file's new bytes: every item's ``:reviewed:`` set, from the last line up, so
    that the line numbers of the others still hold."""
    by_file: dict[str, list[Item]] = {}
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
        for item in sorted(in_file, key=lambda i: i.lineno or 0, reverse=True):
            try:
                text = set_reviewed(text, item.lineno or 0, item.type, date)
            except EditError as err:
                raise UsageError(f"{item.location}: {item.id}: {err}") from None
        edited[path] = text.encode("utf-8")
    return edited
