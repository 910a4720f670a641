"""What fresh audits cost: ``make book`` after an edit of traced data, against no change.

    .venv/bin/python benchmarks/book_edit.py [--repeat 5]

Copies the handbook (``_config.yml``, ``_toc.yml``, ``handbook/``, ``notebooks/``, the
review lock) to ``benchmarks/_work/book``, builds it once from clean, then, in turn,
``--repeat`` times each:

- a no-change build: nothing is read again, no notebook is executed;
- an edit that changes traced data: a clause of ``handbook/clauses.md`` gains a party,
  or loses it again; its page and the pages that show it are re-written, and the audit
  notebooks are re-read and so re-executed (``crmrisk_audit_pages``).

Each build is the command of ``make book``: ``jupyter-book build . -W -n --keep-going``,
which must pass. Prints the medians and the ratio.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
WORK = Path(__file__).resolve().parent / "_work" / "book"
BOOK_FILES = ("_config.yml", "_toc.yml", "crmrisk-reviews.json")
BOOK_FOLDERS = ("handbook", "notebooks")
PARTY = ":party: prestataire, intégrateur, éditeur, opérateur\n"
MORE_PARTY = ":party: prestataire, intégrateur, éditeur, opérateur, mandataire\n"
JUPYTER_BOOK = Path(sys.executable).with_name("jupyter-book")


def copy_book() -> None:
    shutil.rmtree(WORK, ignore_errors=True)
    WORK.mkdir(parents=True)
    for name in BOOK_FILES:
        shutil.copy2(ROOT / name, WORK / name)
    for name in BOOK_FOLDERS:
        shutil.copytree(ROOT / name, WORK / name)


def build() -> tuple[float, str]:
    command = [str(JUPYTER_BOOK), "build", str(WORK), "-W", "-n", "--keep-going"]
    start = time.perf_counter()
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - start
    if result.returncode != 0:
        sys.exit(f"the build failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}")
    return elapsed, result.stdout


def toggle_party(round_: int) -> None:
    chapter = WORK / "handbook" / "clauses.md"
    text = chapter.read_text(encoding="utf-8")
    old, new = (PARTY, MORE_PARTY) if round_ % 2 == 0 else (MORE_PARTY, PARTY)
    assert old in text, "the edited clause (CLA-PRE-01) is in handbook/clauses.md"
    chapter.write_text(text.replace(old, new, 1), encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    copy_book()
    clean, _log = build()
    print(f"clean build: {clean:.1f} s")
    no_change, edit = [], []
    for round_ in range(args.repeat):
        elapsed, log = build()
        assert "Executing notebook" not in log, "a no-change build executed a notebook"
        no_change.append(elapsed)
        toggle_party(round_)
        elapsed, log = build()
        assert "Executing notebook" in log, "an edit of traced data executed no notebook"
        edit.append(elapsed)
        print(f"round {round_ + 1}: no change {no_change[-1]:.1f} s, edit {edit[-1]:.1f} s")
    a, b = statistics.median(edit), statistics.median(no_change)
    print(
        f"median of {args.repeat}: edit of traced data {a:.1f} s, no change {b:.1f} s, "
        f"ratio {a / b:.1f}"
    )


if __name__ == "__main__":
    main()
