"""``crmrisk pack``: the audit pack of a build, a folder a reviewer can take away."""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from ..file_names import BUILD_FILES, MANIFEST, NEEDS_JSON, pdf_name
from ..loading import needs_json_path
from ..settings import CONFIG_JSON
from .common import EXIT_OK, UsageError

if TYPE_CHECKING:
    from ..pack import PackFile


def add_to(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    command = commands.add_parser(
        "pack",
        help="write the audit pack of a build: a dated PDF, the exports, a SHA-256 manifest",
        description="Writes into DIR (missing or empty) the audit pack of a build: a PDF "
        f"in the build's language ({pdf_name('fr')} in French, {pdf_name('en')} "
        f"otherwise), the build's {NEEDS_JSON} and {CONFIG_JSON}, its review lock, the "
        f"exports ({', '.join(BUILD_FILES.values())}), and {MANIFEST}, which "
        f"'sha256sum -c {MANIFEST}' checks. The pack is dated by SOURCE_DATE_EPOCH when "
        "it is set, else by the build's reference date: packing the same build twice "
        "gives the same bytes. A pack is written whether or not there are gaps: it "
        "records them. The PDF needs the pdf extra (pip install 'sphinx-crmrisk[pdf]') "
        "and Pango from the system.",
    )
    command.add_argument(
        "path", metavar="BUILD", help="an HTML build folder, its needs.json, or a source folder"
    )
    command.add_argument(
        "--output",
        type=Path,
        required=True,
        metavar="DIR",
        help="the pack's folder: missing or empty (nothing is written otherwise)",
    )
    command.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    # the exports and the PDF's modules: loaded by this command only
    from ..pack import PackError, pack_date, pack_files, read_build

    output: Path = args.output
    _check_output(output)
    needs_json = needs_json_path(args.path)
    try:
        build = read_build(needs_json)
        data = build.traceability
        files = pack_files(data, build.provenance, build.files, date=pack_date(data))
    except PackError as err:
        raise UsageError(f"{needs_json.parent}: no pack written: {err}") from None
    _write(output, files)
    gaps = len(data.gaps)
    print(
        f"crmrisk pack: wrote {output}: {pdf_name(data.settings.language)} and "
        f"{len(files) - 1} other files, listed in {MANIFEST}; "
        f"{gaps} uncovered obligation{'s' if gaps != 1 else ''} recorded"
    )
    return EXIT_OK


def _check_output(output: Path) -> None:
    """DIR must be missing or an empty folder, in a folder that exists."""
    if output.exists() or output.is_symlink():
        if not output.is_dir():
            raise UsageError(f"{output} exists and is not a folder: nothing written")
        try:
            if any(output.iterdir()):
                raise UsageError(f"{output} is not empty: nothing written")
        except OSError as err:
            raise UsageError(f"{output}: cannot read: {err.strerror or err}") from None
    parent = output.absolute().parent
    if not parent.is_dir():
        raise UsageError(f"{parent}: no such folder: nothing written")


def _write(output: Path, files: list[PackFile]) -> None:
    """Every file into a folder beside DIR, renamed DIR at the end: a failure, or an
    interruption, leaves nothing behind."""
    parent = output.absolute().parent
    try:
        work = Path(tempfile.mkdtemp(prefix=f".{output.name}.", suffix=".part", dir=parent))
    except OSError as err:
        raise UsageError(f"cannot write into {parent}: {err.strerror or err}") from None
    try:
        for file in files:
            (work / file.name).write_bytes(file.data)
        # mkdtemp makes a private folder: the pack gets a folder's usual permissions
        mask = os.umask(0)
        os.umask(mask)
        os.chmod(work, 0o777 & ~mask)
        # onto a missing name or an empty folder (DIR may have been filled meanwhile:
        # then this fails and nothing is written)
        os.replace(work, output)
    except OSError as err:
        shutil.rmtree(work, ignore_errors=True)
        raise UsageError(f"cannot write {output}: {err.strerror or err}") from None
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
