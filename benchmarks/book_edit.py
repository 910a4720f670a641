"""What fresh audits cost: ``make book`` after an edit of traced data, against no change.

    .venv/bin/python benchmarks/book_edit.py [--repeat 5]
    .venv/bin/python benchmarks/book_edit.py --commits COMMIT COMMIT [--repeat 5]
    .venv/bin/python benchmarks/book_edit.py --without-pdf [--repeat 5]

Copies the handbook (``_config.yml``, ``_toc.yml``, ``handbook/``, ``notebooks/``, the
review lock) to ``benchmarks/_work/book``, builds it once from clean, then, in turn,
``--repeat`` times each:

- a no-change build: nothing is read again, no notebook is executed;
- an edit that changes traced data: a clause of ``handbook/clauses.md`` gains a party,
  or loses it again; its page and the pages that show it are re-written, and the audit
  notebooks are re-read and so re-executed (``crmrisk_audit_pages``).

Each build is the command of ``make book``: ``jupyter-book build . -W -n --keep-going``,
which must pass. Prints the medians and the ratio, in wall time (what a writer waits
for) and in CPU time (the build's, its notebooks' kernels' and its forked readers', and
what the servers kept between builds spent meanwhile, kernels and drafts included).

``--warm keep`` (the default, what a writer's machine does: ``CRMRISK_WARM``) keeps the
servers that fork the kernels and the PDF's draft from one build to the next: the clean
build starts them, the measured builds find them; ``--warm build`` gives each build its
own kernels' server (what CI does). The servers this run started are stopped at its end.

With ``--without-pdf``, the copies' ``_config.yml`` turns ``crmrisk_pack_pdf`` off: the
builds as they were when issue 23 was filed, before the site carried the audit pack's PDF
(4 s of WeasyPrint in every build whose needs changed).

With ``--commits``, each commit's package (``git archive``, as ``side_by_side.py``
takes it) builds its own copy of the handbook of the working tree (the same text for
both), and the two are measured in turn within each round, the order alternating
round by round, so that the load of the moment weighs on both alike.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import resource
import shutil
import signal
import statistics
import subprocess
import sys
import time
from pathlib import Path

from side_by_side import environment, snapshot

ROOT = Path(__file__).resolve().parents[1]
WORK = Path(__file__).resolve().parent / "_work" / "book"
BOOK_FILES = ("_config.yml", "_toc.yml", "crmrisk-reviews.json")
BOOK_FOLDERS = ("handbook", "notebooks")
PARTY = ":party: prestataire, intégrateur, éditeur, opérateur\n"
MORE_PARTY = ":party: prestataire, intégrateur, éditeur, opérateur, mandataire\n"
PDF_ON = "crmrisk_pack_pdf: true"
JUPYTER_BOOK = Path(sys.executable).with_name("jupyter-book")
WARM = "keep"


class Book:
    """A copy of the handbook, built with one package: the installed one (``None``) or
    a commit's."""

    def __init__(self, folder: Path, package: Path | None = None, pdf: bool = True) -> None:
        self.folder = folder
        self.package = package
        self.samples: dict[str, list[tuple[float, float]]] = {"no change": [], "edit": []}
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        for name in BOOK_FILES:
            shutil.copy2(ROOT / name, folder / name)
        for name in BOOK_FOLDERS:
            shutil.copytree(ROOT / name, folder / name)
        if not pdf:
            config = folder / "_config.yml"
            text = config.read_text(encoding="utf-8")
            assert PDF_ON in text, "the handbook's _config.yml turns crmrisk_pack_pdf on"
            config.write_text(text.replace(PDF_ON, PDF_ON.replace("true", "false")), "utf-8")

    @property
    def name(self) -> str:
        return "working tree" if self.package is None else self.package.name

    def build(self) -> tuple[float, float, str]:
        """Wall and CPU seconds of one ``make book`` build, and its log."""
        command = [str(JUPYTER_BOOK), "build", str(self.folder), "-W", "-n", "--keep-going"]
        env = dict(os.environ) if self.package is None else environment(self.package)
        env["CRMRISK_WARM"] = WARM
        cpu = _children_cpu() + sum(_kept_servers().values())
        start = time.perf_counter()
        result = subprocess.run(
            command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        )
        elapsed = time.perf_counter() - start
        if result.returncode != 0:
            sys.exit(f"{self.name}: the build failed:\n{result.stdout[-3000:]}")
        return elapsed, _children_cpu() + sum(_kept_servers().values()) - cpu, result.stdout

    def toggle_party(self, round_: int) -> None:
        chapter = self.folder / "handbook" / "clauses.md"
        text = chapter.read_text(encoding="utf-8")
        old, new = (PARTY, MORE_PARTY) if round_ % 2 == 0 else (MORE_PARTY, PARTY)
        assert old in text, "the edited clause (CLA-PRE-01) is in handbook/clauses.md"
        chapter.write_text(text.replace(old, new, 1), encoding="utf-8")

    def measure(self, kind: str) -> None:
        elapsed, cpu, log = self.build()
        # myst-nb's words when it executes a notebook; ours when the audits run at once
        executed = "Executing notebook" in log or "crmrisk: executing" in log
        if kind == "no change":
            assert not executed, f"{self.name}: a no-change build executed a notebook"
        else:
            assert executed, f"{self.name}: an edit of traced data executed no notebook"
        self.samples[kind].append((elapsed, cpu))


def _children_cpu() -> float:
    """CPU seconds of every finished child process, and of theirs (the kernels)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _kept_servers() -> dict[int, float]:
    """Pid -> CPU seconds of each server kept between builds (``kernel_fork.py keep``),
    with its ended kernels and drafts, which it reaps."""
    tick = os.sysconf("SC_CLK_TCK")
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            argv = (entry / "cmdline").read_bytes().split(b"\0")
            stat = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if any(a.endswith(b"kernel_fork.py") for a in argv) and b"keep" in argv:
            # utime, stime, cutime, cstime: fields 14 to 17 of /proc/PID/stat
            found[int(entry.name)] = sum(int(v) for v in stat[11:15]) / tick
    return found


def _median(samples: list[tuple[float, float]], index: int) -> float:
    return statistics.median(sample[index] for sample in samples)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument(
        "--commits", nargs=2, metavar="COMMIT", help="compare two commits' packages"
    )
    parser.add_argument(
        "--without-pdf", action="store_true", help="crmrisk_pack_pdf off in the copies"
    )
    parser.add_argument(
        "--warm", choices=("keep", "build"), default="keep", help="CRMRISK_WARM of the builds"
    )
    args = parser.parse_args()
    global WARM
    WARM = args.warm
    before = set(_kept_servers())
    try:
        _run(args)
    finally:
        for pid in set(_kept_servers()) - before:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)


def _run(args: argparse.Namespace) -> None:
    pdf = not args.without_pdf
    if args.commits:
        books = [
            Book(WORK.with_name(f"book-{i}"), snapshot(c), pdf) for i, c in enumerate(args.commits)
        ]
    else:
        books = [Book(WORK, pdf=pdf)]
    for book in books:
        clean, cpu, _log = book.build()
        print(f"{book.name}: clean build {clean:.1f} s, CPU {cpu:.1f} s", flush=True)
    for round_ in range(args.repeat):
        order = books if round_ % 2 == 0 else books[::-1]
        load = os.getloadavg()[0]
        for book in order:
            book.measure("no change")
            book.toggle_party(round_)
            book.measure("edit")
            (wall, cpu), (edit_wall, edit_cpu) = (s[-1] for s in book.samples.values())
            print(
                f"round {round_ + 1} {book.name}: no change {wall:.1f} s (CPU {cpu:.1f}), "
                f"edit {edit_wall:.1f} s (CPU {edit_cpu:.1f}); load {load:.1f}",
                flush=True,
            )
    print(f"\nmedians of {args.repeat}:")
    for book in books:
        still, edit = book.samples["no change"], book.samples["edit"]
        print(
            f"{book.name}: edit of traced data {_median(edit, 0):.1f} s, no change "
            f"{_median(still, 0):.1f} s, ratio {_median(edit, 0) / _median(still, 0):.2f}; "
            f"CPU {_median(edit, 1):.1f} s / {_median(still, 1):.1f} s, ratio "
            f"{_median(edit, 1) / _median(still, 1):.2f}"
        )


if __name__ == "__main__":
    main()
