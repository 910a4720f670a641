"""``crmrisk review``: record that clauses, procedures or evidence were re-read, and by whom.

Every file it changes (the sources, the review lock) is computed first, then checked
writable, then written to a temporary file beside it and renamed over it: a refusal
leaves every file as it was.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import os
import stat
import tempfile
from pathlib import Path

from ..evidence import MISSING, OUTSIDE, UNREADABLE, examine, is_path
from ..input_paths import is_source_folder
from ..kinds import COVERING_KINDS, N_, Kind
from ..loading import load_traceability
from ..model import Item
from ..needs_cache import needs_json_of
from ..reviews import LockError, name_problem, read_lock
from ..source_edit import EditError, set_reviewed
from ..text import one_line
from ..translations import translator
from .common import EXIT_OK, UsageError, add_lang, date_argument

#: The kinds a review records.
REVIEWED_KINDS = frozenset({*COVERING_KINDS, Kind.EVIDENCE})
_BOM = "\ufeff"


def add_to(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    review = commands.add_parser(
        "review",
        help="record that clauses, procedures or evidence were re-read, and by whom",
        description="Sets each named clause's or procedure's ':reviewed:' to the date "
        "(adding the line when it has none; nothing else in the sources changes) and "
        "records, in the review lock (crmrisk_review_lock), the state of the obligations "
        "it covers, so that its covers are no longer suspect; with --by, who reviewed it. "
        "For an evidence, records its approval (date, --by) and the SHA-256 of its "
        "document file, which every build then compares the file against. Every file is "
        "written only once all can be: a refusal writes nothing. Exit 0; 2 on an unknown "
        "ID, an item of another kind, an evidence whose file is missing, a file that "
        "cannot be written, or a folder with no project.",
    )
    review.add_argument("source", metavar="SOURCE", help="the project's source folder")
    review.add_argument("ids", metavar="ID", nargs="*", help="clause, procedure or evidence IDs")
    review.add_argument("--all", action="store_true", help="every clause, procedure and evidence")
    review.add_argument(
        "--by",
        metavar="NAME",
        default=None,
        help='who reviewed, recorded in the lock and shown as "reviewed on ... by ..." '
        '(e.g. "Marie Dupont, DPO"; default: no name)',
    )
    review.add_argument(
        "--today",
        type=date_argument,
        default=None,
        metavar="YYYY-MM-DD",
        help="the date of the review (default: today)",
    )
    add_lang(
        review,
        "the language of the project's last build, recorded in its crmrisk-config.json",
    )
    review.set_defaults(run=run)


#: What is printed of each item reviewed, after its location (``file:line: ``).
REVIEWED = N_("{id} reviewed on {date}")
REVIEWED_BY = N_("{id} reviewed on {date} by {name}")


def run(args: argparse.Namespace) -> int:
    source = Path(args.source)
    if not is_source_folder(source):
        raise UsageError(
            f"{source}: not a project folder (no conf.py, nor _config.yml and _toc.yml)"
        )
    if not args.ids and not args.all:
        raise UsageError("name the clauses, procedures or evidence to review, or give --all")
    problem = None if args.by is None else name_problem(args.by)
    if problem:
        raise UsageError(f"--by: the name {problem}")
    by = (args.by or "").strip()
    traceability = load_traceability(needs_json_of(source))
    model = traceability.model
    items = []
    for item_id in dict.fromkeys(args.ids):
        item = model.items.get(item_id)
        if item is None:
            raise UsageError(f"{item_id}: no such item in {source}")
        if item.kind not in REVIEWED_KINDS:
            raise UsageError(f"{item_id}: a {item.type}, not a clause, a procedure or an evidence")
        items.append(item)
    if args.all:
        items = sorted(
            (i for i in model.items.values() if i.kind in REVIEWED_KINDS), key=lambda i: i.id
        )
    lock_file = source / traceability.settings.review_lock
    try:
        lock = read_lock(lock_file)
    except LockError as err:
        raise UsageError(str(err)) from None
    date = (args.today or dt.date.today()).isoformat()
    digests = _evidence_digests(source, [i for i in items if i.kind is Kind.EVIDENCE])
    edited = _edit_sources(source, [i for i in items if i.kind in COVERING_KINDS], date)
    new_lock = lock.reviewed(model, items, date, by, digests)
    edited[lock_file] = new_lock.dumps().encode("utf-8")
    write_all(edited)
    gettext = translator(args.lang or traceability.settings.language)
    for item in items:
        said = gettext(REVIEWED_BY if by else REVIEWED).format(id=item.id, date=date, name=by)
        line = f"{item.location}: {said}"
        if item.id in digests:
            line += f" ({item.field('document')}, SHA-256 {digests[item.id][:12]}…)"
        print(one_line(line))
    return EXIT_OK


def _evidence_digests(source: Path, evidence: list[Item]) -> dict[str, str]:
    """Each evidence's document SHA-256, read now; an evidence whose document is not a
    path has none (nothing to compare), one whose file is missing cannot be approved."""
    digests = {}
    for item in evidence:
        document = item.field("document")
        if not is_path(document):
            continue
        found = examine(source, document)
        if found in (MISSING, UNREADABLE, OUTSIDE):
            why = {
                MISSING: "is missing",
                UNREADABLE: "cannot be read",
                OUTSIDE: "is not inside the source folder",
            }[found]
            raise UsageError(
                f"{item.location}: {item.id}: its document {document} {why}: nothing to approve"
            )
        digests[item.id] = found
    return digests


def _edit_sources(source: Path, items: list[Item], date: str) -> dict[Path, bytes]:
    """Each file's new bytes: every item's ``:reviewed:`` set, from the last line up, so
    that the line numbers of the others still hold. A byte-order mark is kept."""
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
        bom = _BOM if text.startswith(_BOM) else ""
        text = text.removeprefix(_BOM)
        for item in sorted(in_file, key=lambda i: i.lineno or 0, reverse=True):
            try:
                text = set_reviewed(text, item.lineno or 0, item.type, date)
            except EditError as err:
                raise UsageError(f"{item.location}: {item.id}: {err}") from None
        edited[path] = (bom + text).encode("utf-8")
    return edited


def _read_only(path: Path) -> bool:
    """No write permission: by its mode bits (which hold for root too), or for us."""
    return not path.stat().st_mode & 0o222 or not os.access(path, os.W_OK)


def _why_not_writable(path: Path) -> str | None:
    """Why ``path`` cannot be replaced (a read-only file or folder...), or None."""
    folder = path.parent
    if path.exists() and not path.is_file():
        return "it is not a file"
    if path.exists() and _read_only(path):
        return "the file is read-only"
    if not folder.is_dir():
        return "its folder does not exist"
    if _read_only(folder):
        return "its folder is read-only"
    return None


def write_all(files: dict[Path, bytes]) -> None:
    """Writes every file or none: each is checked writable, written to a temporary file
    beside it (with the mode of the file it replaces), then all are renamed into place.
    A failure before the renames removes the temporary files and writes nothing."""
    for path in files:
        why = _why_not_writable(path)
        if why is not None:
            raise UsageError(f"cannot write {path}: {why}; nothing was written")
    written: list[tuple[str, Path]] = []
    current = next(iter(files))
    try:
        for current, data in files.items():
            handle, temporary = tempfile.mkstemp(prefix=f".{current.name}.", dir=current.parent)
            written.append((temporary, current))
            with os.fdopen(handle, "wb") as stream:
                stream.write(data)
            if current.exists():
                mode = stat.S_IMODE(current.stat().st_mode)
            else:
                umask = os.umask(0)
                os.umask(umask)
                mode = 0o666 & ~umask
            os.chmod(temporary, mode)
    except OSError as err:
        for temporary, _path in written:
            with contextlib.suppress(OSError):
                os.unlink(temporary)
        raise UsageError(
            f"cannot write {current}: {err.strerror or err}; nothing was written"
        ) from None
    for number, (temporary, path) in enumerate(written):
        try:
            os.replace(temporary, path)
        except OSError as err:  # a rename within one folder, after the checks: hardly ever
            for left, _path in written[number:]:
                with contextlib.suppress(OSError):
                    os.unlink(left)
            raise UsageError(
                f"cannot write {path}: {err.strerror or err}; "
                f"{number} of {len(written)} files were written before it"
            ) from None
