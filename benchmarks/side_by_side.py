"""Two commits of sphinx_crmrisk built side by side, one per core, at the same moments.

    .venv/bin/python benchmarks/side_by_side.py 4f07f48 HEAD --size 2000 --rounds 3

On a shared machine two runs of ``run.py`` made one after the other see different
loads: the ratios they print differ by more than what is measured. Here each commit's
package and generator are taken with ``git archive`` into ``benchmarks/_work/side/``,
each writes its own generated projects (plain and crmrisk, unedited), and in each round
the two commits build the same variant at once, one process per core; CPU times are
compared, round by round. Prints, for each commit, plain and crmrisk medians and their
ratio, and for each variant the per-round ratios of the second commit to the first.
With ``--incremental`` it also times (d) a no-change rebuild and (c) the one-page edit
of run.py, both commits at once again. With ``--bytecode`` the builds import
byte-compiled copies of the packages, as pip installs them (:func:`compiled`).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import NamedTuple

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
WORK = HERE / "_work" / "side"
VARIANTS = ("plain", "crmrisk")


def snapshot(commit: str) -> Path:
    """The package and the benchmarks of ``commit``, in a folder of their own."""
    sha = subprocess.run(
        ["git", "rev-parse", "--short", commit],
        cwd=REPO,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    folder = WORK / sha
    if not (folder / "sphinx_crmrisk").is_dir():
        folder.mkdir(parents=True, exist_ok=True)
        archive = subprocess.run(
            ["git", "archive", sha, "sphinx_crmrisk", "benchmarks"],
            cwd=REPO,
            check=True,
            capture_output=True,
        ).stdout
        subprocess.run(["tar", "-x", "-C", str(folder)], input=archive, check=True)
    return folder


def environment(folder: Path) -> dict[str, str]:
    """The environment of a process that imports ``folder``'s package.

    ``PYTHONSAFEPATH``: ``python -m sphinx`` and ``python -c`` put the folder they start in
    first on ``sys.path``; started from the repository's root, they would import its
    working tree's package, not ``folder``'s.
    """
    return dict(os.environ, PYTHONPATH=str(folder), PYTHONSAFEPATH="1")


class Measured(NamedTuple):
    """One process run to its end."""

    seconds: float
    cpu: float
    #: its own peak resident memory (``os.wait4``: this child's alone, where
    #: ``RUSAGE_CHILDREN`` keeps the largest of all children so far)
    peak_kib: int
    returncode: int
    stderr: bytes

    @property
    def peak_mib(self) -> float:
        return self.peak_kib / 1024


def measured(
    command: list[str], env: dict[str, str] | None = None, cwd: Path | None = None
) -> Measured:
    """Runs ``command`` to its end: its wall and CPU time, its peak memory, its status
    and what it wrote to stderr (its stdout dropped). The one measure of a process that
    ``run.py``, ``check_time.py`` and ``peak.py`` take."""
    start = time.perf_counter()
    process = subprocess.Popen(
        command, env=env, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    assert process.stderr is not None
    with process.stderr:
        stderr = process.stderr.read()
    _pid, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - start
    process.returncode = os.waitstatus_to_exitcode(status)
    cpu = usage.ru_utime + usage.ru_stime
    return Measured(seconds, cpu, usage.ru_maxrss, process.returncode, stderr)


def compiled(folder: Path) -> Path:
    """A copy of ``folder``'s package, byte-compiled as pip compiles an installed one (a
    folder of its own: Python reads the bytecode it finds, so the copy that
    ``snapshot`` keeps stays without).

    Where ``PYTHONDONTWRITEBYTECODE`` is set (this machine), a ``git archive`` copy or a
    source checkout is compiled again by every process that imports it, while the
    packages it is compared with (Sphinx, sphinx-needs) were byte-compiled by pip: 0.1
    to 0.3 s of CPU and 2.7 MiB of memory at each build's start that no installed
    package pays (benchmarks/README.md).
    """
    target = folder.with_name(f"{folder.name}-compiled")
    if not (target / "sphinx_crmrisk").is_dir():
        shutil.copytree(folder / "sphinx_crmrisk", target / "sphinx_crmrisk")
        subprocess.run(
            [sys.executable, "-m", "compileall", "-q", str(target / "sphinx_crmrisk")],
            env=dict(os.environ, PYTHONDONTWRITEBYTECODE=""),
            check=True,
            capture_output=True,
        )
    return target


def generate(folder: Path, size: int) -> None:
    """Each commit's own generator writes its projects (the plain one declares its fields)."""
    for variant in VARIANTS:
        src = folder / f"n{size}" / variant / "src"
        if src.is_dir():
            continue
        code = (
            f"import sys; sys.path.insert(0, {str(folder / 'benchmarks')!r}); import generate; "
            f"from pathlib import Path; generate.write(generate.render({size}, "
            f"generate.Variant({variant!r}), edited=False), Path({str(src)!r}))"
        )
        # from the work folder: ``python -c`` puts the current folder first on sys.path
        subprocess.run([sys.executable, "-c", code], env=environment(folder), cwd=WORK, check=True)


def start_build(folder: Path, size: int, variant: str, package: Path) -> subprocess.Popen:
    out = folder / f"n{size}" / variant / "html"
    shutil.rmtree(out, ignore_errors=True)
    command = [
        sys.executable,
        "-m",
        "sphinx",
        "-b",
        "html",
        "-q",
        "-j",
        "1",
        str(folder / f"n{size}" / variant / "src"),
        str(out),
    ]
    return subprocess.Popen(
        command,
        env=environment(package),
        cwd=WORK,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def clean_builds(
    folders: dict[str, Path], size: int, rounds: int, packages: dict[str, Path]
) -> None:
    times: dict[tuple[str, str], list[tuple[float, float]]] = {}
    for round_ in range(rounds):
        for variant in VARIANTS:
            running = {
                name: start_build(folder, size, variant, packages[name])
                for name, folder in folders.items()
            }
            for name, process in running.items():
                _pid, status, usage = os.wait4(process.pid, 0)
                cpu = usage.ru_utime + usage.ru_stime
                times.setdefault((name, variant), []).append((cpu, usage.ru_maxrss / 1024))
                print(
                    f"{name} {variant:7} round {round_ + 1}: cpu {cpu:.1f} s peak "
                    f"{usage.ru_maxrss / 1024:.0f} MiB status {status}",
                    flush=True,
                )
    first, second = folders
    print(f"\nN={size}, CPU time of a clean build, medians of {rounds}; ratio = crmrisk / plain")
    for name in folders:
        plain, ours = times[(name, "plain")], times[(name, "crmrisk")]
        cpu = [statistics.median(t[0] for t in s) for s in (plain, ours)]
        peak = [statistics.median(t[1] for t in s) for s in (plain, ours)]
        print(
            f"{name}: plain {cpu[0]:.1f} s, crmrisk {cpu[1]:.1f} s, ratio {cpu[1] / cpu[0]:.3f}; "
            f"peak {peak[0]:.0f} / {peak[1]:.0f} MiB = {peak[1] / peak[0]:.3f}"
        )
    for variant in VARIANTS:
        pairs = [
            b[0] / a[0]
            for a, b in zip(times[(first, variant)], times[(second, variant)], strict=True)
        ]
        print(
            f"{variant}: {second}/{first} per round {', '.join(f'{x:.3f}' for x in pairs)}; "
            f"median {statistics.median(pairs):.3f}"
        )


_INCREMENTAL = """
import statistics, sys
sys.path.insert(0, sys.argv[1])
import run
from generate import Variant
size, rounds = int(sys.argv[2]), int(sys.argv[3])
for variant in (Variant.PLAIN, Variant.CRMRISK):
    project = run.Project(size, variant, 1, name="incremental-" + variant.value)
    project.clean_build(project.out)
    d, c = [], []
    for _ in range(rounds):
        project.restore(); project.build(project.out)
        d.append(project.build(project.out).cpu_seconds)
        project.edit(); c.append(project.build(project.out).cpu_seconds)
    print(f"{variant.value}: (d) {statistics.median(d):.2f} s, (c) {statistics.median(c):.2f} s, "
          f"(c)/(d) {statistics.median(c) / statistics.median(d):.2f}", flush=True)
"""


def incremental_builds(
    folders: dict[str, Path], size: int, rounds: int, packages: dict[str, Path]
) -> None:
    running = {
        name: subprocess.Popen(
            [
                sys.executable,
                "-c",
                _INCREMENTAL,
                str(folder / "benchmarks"),
                str(size),
                str(rounds),
            ],
            env=environment(packages[name]),
            cwd=WORK,
            stdout=subprocess.PIPE,
            text=True,
        )
        for name, folder in folders.items()
    }
    print(f"\nN={size}, CPU time, medians of {rounds}: (d) no-change rebuild, (c) one-page edit")
    for name, process in running.items():
        output, _ = process.communicate()
        for line in output.splitlines():
            print(f"{name} {line}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("first")
    parser.add_argument("second")
    parser.add_argument("--size", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--incremental", action="store_true")
    parser.add_argument(
        "--bytecode",
        action="store_true",
        help="build with byte-compiled copies of the packages (as installed), not the sources",
    )
    args = parser.parse_args()
    WORK.mkdir(parents=True, exist_ok=True)
    folders = {folder.name: folder for folder in map(snapshot, (args.first, args.second))}
    if len(folders) != 2:
        parser.error("two different commits")
    for folder in folders.values():
        generate(folder, args.size)
    packages = dict(folders)
    if args.bytecode:
        packages = {name: compiled(folder) for name, folder in folders.items()}
        print("the packages byte-compiled (compileall), as pip installs them")
    clean_builds(folders, args.size, args.rounds, packages)
    if args.incremental:
        incremental_builds(folders, args.size, args.rounds, packages)


if __name__ == "__main__":
    main()
