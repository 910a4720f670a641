"""``crmrisk import``: a register of clauses and procedures (xlsx, ods, csv) into a project.

(``import`` is a Python keyword: the module is ``register_import``.)
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from ..file_names import SUFFIXES
from ..input_paths import is_source_folder
from ..kinds import Kind
from ..loading import load_traceability
from ..project_pages import PAGE_NAME, ProjectError, free_names, slug, toc_edit, write_all
from ..text import one_line
from ..translations import translator
from .common import EXIT_BAD_INPUT, EXIT_OK, UsageError, say

if TYPE_CHECKING:
    from ..register import RegisterItem

#: The page of each kind, in this order: ``<name>-clauses.md``, ``<name>-procedures.md``.
PAGE_SUFFIXES = {Kind.CLAUSE: "clauses", Kind.PROCEDURE: "procedures"}


def add_to(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    command = commands.add_parser(
        "import",
        help="write a register of clauses and procedures (xlsx, ods, csv) into a project",
        description="Reads the register a team keeps (one row per clause or procedure; "
        "a title row and blank rows above the headings are fine; headings in French or "
        "English, in any order: see the register columns in the reference) and writes "
        "its items into PROJECT as MyST pages, one per kind, named after the register "
        "and added to the project's table of contents; the next build counts their "
        "covers. Nothing is ever overwritten. A register with any bad row is refused "
        "whole, nothing written, exit 2: unlike the other commands' one-line errors, "
        "each bad row gets its own line on stderr, naming the file, the sheet and the "
        "row as the spreadsheet numbers it. Columns it does not know are ignored and "
        "listed on stderr.",
    )
    command.add_argument(
        "register", metavar="REGISTER", type=Path, help=f"the register ({', '.join(SUFFIXES)})"
    )
    command.add_argument(
        "--to",
        dest="project",
        metavar="PROJECT",
        type=Path,
        required=True,
        help="the project's source folder (conf.py, or _config.yml and _toc.yml)",
    )
    command.add_argument(
        "--sheet",
        metavar="NAME",
        default=None,
        help="the sheet to read (default: the one whose header row names the most "
        "register columns)",
    )
    command.add_argument(
        "--page",
        metavar="NAME",
        default=None,
        help="the pages' name: NAME-clauses.md, NAME-procedures.md (default: the "
        "register's file name; -2, -3... when taken)",
    )
    command.add_argument(
        "--dry-run",
        action="store_true",
        help="print the pages and the table-of-contents change; write nothing",
    )
    command.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    # the readers of spreadsheets: loaded by this command only
    from ..register import RegisterError, check_rows, myst_page, read_register

    project: Path = args.project
    if not is_source_folder(project):
        raise UsageError(
            f"--to {project}: not a source folder (a conf.py, or a Jupyter Book's "
            "_config.yml and _toc.yml)"
        )
    if args.page is not None and not PAGE_NAME.match(args.page):
        raise UsageError(
            f"--page {args.page!r}: a page name is letters, digits, '-' and '_', no folder"
        )
    try:
        register = read_register(args.register, args.sheet)
    except RegisterError as err:
        raise UsageError(str(err)) from None
    if register.header.ignored:
        say(
            f"crmrisk: note: {one_line(register.where)}: columns ignored (not register "
            f"columns): {one_line(', '.join(register.header.ignored))}"
        )
    # the project's IDs, names and statuses, as its build reads them
    traceability = load_traceability(project)
    model, settings = traceability.model, traceability.settings
    checked = check_rows(
        register,
        project_ids=model.items,
        obligation_ids=[item.id for item in model.obligations],
        names=settings.names,
        inactive_statuses=settings.inactive_statuses,
    )
    if checked.bad_rows:
        for line in checked.bad_rows:
            say(f"crmrisk: error: {one_line(line)}")
        say(
            f"crmrisk: error: {one_line(str(args.register))}: {len(checked.bad_rows)} bad "
            "row(s); the register is refused whole, nothing written"
        )
        return EXIT_BAD_INPUT
    if not checked.items:
        raise UsageError(f"{register.where}: no row under the headings: nothing to import")
    by_kind: dict[Kind, list[RegisterItem]] = {}
    for item in checked.items:
        by_kind.setdefault(item.kind, []).append(item)
    kinds = [kind for kind in PAGE_SUFFIXES if kind in by_kind]
    base = args.page or slug(register.path.stem)
    names = free_names(project, base, [PAGE_SUFFIXES[kind] for kind in kinds])
    gettext = translator(settings.language)
    pages = {
        f"{name}.md": myst_page(kind, by_kind[kind], register, settings.names, gettext)
        for kind, name in zip(kinds, names, strict=True)
    }
    try:
        edit = toc_edit(project, names, register.path.stem)
        counts = ", ".join(f"{len(by_kind[kind])} {settings.names.type(kind)}(s)" for kind in kinds)
        where = edit.path.relative_to(project)
        if args.dry_run:
            for file, text in pages.items():
                print(f"--- would write {project / file}\n{text}")
            print(f"--- would list {', '.join(names)} in {project / where}")
            print(f"dry run: {counts} from {register.where}; nothing written")
            return EXIT_OK
        write_all(project, pages, edit)
    except ProjectError as err:
        raise UsageError(str(err)) from None
    print(f"read {register.where}: {counts}")
    print(f"wrote {', '.join(str(project / file) for file in pages)}; listed in {project / where}")
    if checked.unknown_covers:
        listed = ", ".join(f"{target} (row {row})" for row, target in checked.unknown_covers)
        print(
            f"note: covers naming no obligation of the project, written as they are (the "
            f"build reports them): {one_line(listed)}"
        )
    print("next: build the project: the obligations these items cover count as covered")
    return EXIT_OK
