"""What sphinx_crmrisk costs, side by side with plain sphinx-needs.

    .venv/bin/python benchmarks/run.py --sizes 500 2000 5000 [--with-20000] [--repeat 3]

For each size, both variants of the same generated handbook (see generate.py) are
built in turn (plain, crmrisk, plain, crmrisk...) so that the noise of a shared
machine falls on both alike:

(a, b) a clean build, and (f) its peak memory;
(d) a rebuild with no change;
(c) a rebuild after a one-page edit that uncovers an obligation, whose output is
    compared with a clean build of the edited sources (MISMATCH when it differs);
(e) ``crmrisk check`` on a needs.json of 50,000 needs.

``--bytecode``: the builds and the check import a byte-compiled copy of the package
being measured, as pip installs it (see ``side_by_side.compiled``), not its sources.

Prints medians and ratios as a Markdown table, then the targets of issue #6.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import sys
import time
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import generate
from generate import Variant
from side_by_side import compiled, measured

import sphinx_crmrisk
from sphinx_crmrisk.needs_json import read_needs

HERE = Path(__file__).resolve().parent
WORK = HERE / "_work"
CHECK_NEEDS = 50_000
#: Where an HTML page's content starts and ends (the alabaster theme): the rest
#: (sidebar, footer) shows no need.
_MAIN_START, _MAIN_END = 'role="main">', '<div class="sphinxsidebar"'
#: Random per build: sphinx-needs' need container IDs.
_VOLATILE = re.compile(r' id="SNCB-[0-9a-f]+"')
#: Exports whose bytes are reproducible (the xlsx is a zip with timestamps).
_EXPORTS = ("traceability.csv", "traceability.json")

CLEAN, CLEAN_CPU, NO_CHANGE, EDIT, MEMORY = "clean", "clean-cpu", "no-change", "edit", "memory"


@dataclass(frozen=True)
class Run:
    seconds: float
    cpu_seconds: float
    peak_kib: int


def run_measured(command: list[str], log: Path) -> Run:
    """Runs ``command``, failing loudly; its wall time and its own peak memory (its
    stderr written to ``log``)."""
    done = measured(command)
    log.write_bytes(done.stderr)
    if done.returncode != 0:
        sys.exit(f"FAILED ({done.returncode}): {' '.join(command)}\n{log.read_text()[-3000:]}")
    return Run(done.seconds, done.cpu, done.peak_kib)


def use_compiled_package() -> None:
    """The builds and the check (subprocesses) import a byte-compiled copy of the package
    this process imports, made afresh (the sources may have changed since the last run)."""
    source = Path(sphinx_crmrisk.__file__).resolve().parent.parent
    copy = WORK / "compiled" / "package"
    shutil.rmtree(copy.parent, ignore_errors=True)
    copy.mkdir(parents=True)
    shutil.copytree(
        source / "sphinx_crmrisk",
        copy / "sphinx_crmrisk",
        ignore=shutil.ignore_patterns("__pycache__"),
    )
    package = compiled(copy)
    os.environ["PYTHONPATH"] = os.pathsep.join(
        [str(package), *filter(None, [os.environ.get("PYTHONPATH")])]
    )
    # started from the repository's root, ``python -m sphinx`` would put the root first on
    # sys.path, and import the sources there, not this copy
    os.environ["PYTHONSAFEPATH"] = "1"
    print(f"the package byte-compiled (compileall), as pip installs it: {package}")


def project_root(size: int, name: str) -> Path:
    return WORK / f"n{size}" / name


class Project:
    """One variant of the handbook at one size, in its own folder under _work/.

    ``conf_extra`` (appended to conf.py) and ``directives`` (of the matrix page)
    switch parts of sphinx_crmrisk off, for attribute.py.
    """

    def __init__(
        self,
        size: int,
        variant: Variant,
        jobs: int = 1,
        *,
        name: str | None = None,
        conf_extra: str = "",
        directives: tuple[str, ...] | None = None,
    ) -> None:
        self.variant = variant
        self.jobs = jobs
        self.root = project_root(size, name or variant.value)
        self.src = self.root / "src"
        self.out = self.root / "html"
        self.reference = self.root / "reference"
        shutil.rmtree(self.src, ignore_errors=True)
        self.base, self.edited = (
            generate.render(size, variant, edited=edited, directives=directives)
            for edited in (False, True)
        )
        self.base["conf.py"] += conf_extra
        self.edited["conf.py"] += conf_extra
        generate.write(self.base, self.src)

    def build(self, outdir: Path) -> Run:
        command = [sys.executable, "-m", "sphinx", "-b", "html", "-q", "-j", str(self.jobs)]
        return run_measured([*command, str(self.src), str(outdir)], self.root / "build.log")

    def clean_build(self, outdir: Path) -> Run:
        shutil.rmtree(outdir, ignore_errors=True)  # doctrees included: they live in outdir
        return self.build(outdir)

    def restore(self) -> None:
        generate.write(self.base, self.src)

    def edit(self) -> None:
        written = generate.write(self.edited, self.src)
        assert len(written) == 1, f"the edit must touch one page, not {written}"

    def build_reference(self) -> None:
        """A clean build of the edited sources: what the edit build must write."""
        self.edit()
        self.clean_build(self.reference)
        self.restore()


def _page_content(html: str) -> str:
    start = html.find(_MAIN_START)
    return _VOLATILE.sub("", html[start : html.find(_MAIN_END, start)])


def _needs_json(outdir: Path) -> object:
    data = json.loads((outdir / "needs.json").read_text(encoding="utf-8"))
    # timestamps
    data.pop("created", None)
    for version in data["versions"].values():
        version.pop("created", None)
    return data


def differences(built: Path, reference: Path) -> list[str]:
    """What ``built`` shows differently from ``reference``: pages, needs.json, exports."""
    found = []
    pages = {p.relative_to(reference) for p in reference.rglob("*.html")}
    if pages != {p.relative_to(built) for p in built.rglob("*.html")}:
        found.append("the set of pages")
    for page in sorted(pages & {p.relative_to(built) for p in built.rglob("*.html")}):
        texts = [
            _page_content((root / page).read_text(encoding="utf-8")) for root in (built, reference)
        ]
        if texts[0] != texts[1]:
            found.append(str(page))
    if _needs_json(built) != _needs_json(reference):
        found.append("needs.json")
    for name in _EXPORTS:
        if (reference / name).exists() and (reference / name).read_bytes() != (
            built / name
        ).read_bytes():
            found.append(name)
    return found


# ------------------------------------------------------------------ crmrisk check (e)

_LOAD_AND_ASSESS = """
import datetime, sys
from sphinx_crmrisk import load
from sphinx_crmrisk.model import assess_all
assess_all(load(sys.argv[1]), datetime.date(2026, 1, 1))
"""


def check_command(needs_json: Path) -> tuple[list[str], str]:
    """``crmrisk check`` when the CLI exists, else what it would run, and a label."""
    import sphinx_crmrisk

    script = Path(sys.executable).parent / "crmrisk"
    package = Path(sphinx_crmrisk.__file__).parent
    # cli.py until the layers (issue 19) made it a package, cli/
    has_cli = (package / "cli.py").exists() or (package / "cli" / "__init__.py").exists()
    if has_cli and script.exists():
        return [str(script), "check", str(needs_json)], "crmrisk check"
    return [sys.executable, "-c", _LOAD_AND_ASSESS, str(needs_json)], (
        "load + assess_all (no cli.py yet)"
    )


@dataclass(frozen=True)
class CheckTimes:
    label: str
    seconds: list[float]
    json_seconds: list[float]
    """Python start-up and ``json.load`` alone: reading the file with the standard library."""
    megabytes: float


_JSON_LOAD_ONLY = "import json, sys; json.load(open(sys.argv[1], encoding='utf-8'))"


def time_check(repeat: int, real_needs_json: Path) -> CheckTimes:
    """(e), on needs shaped like those of ``real_needs_json`` (a build's)."""
    templates = {}
    for need in read_needs(real_needs_json).values():
        templates.setdefault(need["type"], need)
    folder = WORK / "check"
    folder.mkdir(parents=True, exist_ok=True)
    needs_json = folder / "needs.json"
    data = generate.needs_json(CHECK_NEEDS, templates=templates)
    needs_json.write_text(json.dumps(data), encoding="utf-8")
    command, label = check_command(needs_json)
    times = CheckTimes(label, [], [], needs_json.stat().st_size / 1e6)
    for _round in range(repeat):
        times.seconds.append(run_measured(command, folder / "check.log").seconds)
        json_only = [sys.executable, "-c", _JSON_LOAD_ONLY, str(needs_json)]
        times.json_seconds.append(run_measured(json_only, folder / "json.log").seconds)
    return times


# --------------------------------------------------------------------------- the runs


Samples = dict[tuple[int, Variant, str], list[float]]


def bench_size(
    size: int, repeat: int, jobs: int, samples: Samples, mismatches: dict, compare_plain: bool
) -> None:
    projects = [Project(size, variant, jobs) for variant in Variant]
    # plain sphinx-needs' edit build is known to go stale: comparing it costs a clean build
    compared = [p for p in projects if compare_plain or p.variant is Variant.CRMRISK]
    for project in compared:
        project.build_reference()
    for round_ in range(repeat):
        for project in projects:
            key = (size, project.variant)
            project.restore()
            clean = project.clean_build(project.out)
            samples[(*key, CLEAN)].append(clean.seconds)
            samples[(*key, CLEAN_CPU)].append(clean.cpu_seconds)
            samples[(*key, MEMORY)].append(clean.peak_kib / 1024)
            samples[(*key, NO_CHANGE)].append(project.build(project.out).seconds)
            project.edit()
            samples[(*key, EDIT)].append(project.build(project.out).seconds)
            found = differences(project.out, project.reference) if project in compared else None
            mismatches[key] = found
            print(
                f"  n={size} {project.variant.value:8} round {round_ + 1}: clean "
                f"{clean.seconds:.1f} s, {clean.peak_kib / 1024:.0f} MiB; "
                f"edit build vs clean: {_edit_outcome(found)}",
                file=sys.stderr,
            )


def _edit_outcome(found: list[str] | None) -> str:
    if found is None:
        return "not compared"
    return f"differ: {len(found)} files" if found else "same"


def _median(samples: Samples, size: int, variant: Variant, measure: str) -> float:
    return statistics.median(samples[(size, variant, measure)])


def report(
    sizes: list[int], repeat: int, samples: Samples, mismatches: dict, check: CheckTimes
) -> list[str]:
    plain, ours = Variant.PLAIN, Variant.CRMRISK
    lines = [
        f"Medians of {repeat} runs; ratio = crmrisk / plain.",
        "",
        "| N | measure | plain | crmrisk | ratio |",
        "|---:|---|---:|---:|---:|",
    ]
    rows = [
        ("(a)/(b) clean build", CLEAN, "{:.1f} s"),
        ("(a)/(b) clean build, CPU time", CLEAN_CPU, "{:.1f} s"),
        ("(f) peak memory, clean build", MEMORY, "{:.0f} MiB"),
        ("(d) no-change rebuild", NO_CHANGE, "{:.2f} s"),
        ("(c) one-page edit", EDIT, "{:.2f} s"),
    ]
    for size in sizes:
        for label, measure, unit in rows:
            a, b = (_median(samples, size, v, measure) for v in (plain, ours))
            lines.append(
                f"| {size:,} | {label} | {unit.format(a)} | {unit.format(b)} | {b / a:.2f} |"
            )
        a, b = (
            _median(samples, size, v, EDIT) / _median(samples, size, v, NO_CHANGE)
            for v in (plain, ours)
        )
        lines.append(f"| {size:,} | (c)/(d) | {a:.2f} | {b:.2f} | |")
        lines.append(
            f"| {size:,} | (c) output = clean build's | {_edit_outcome(mismatches[(size, plain)])} | "
            f"{_edit_outcome(mismatches[(size, ours)]).replace('differ', 'MISMATCH')} | |"
        )
    lines += [
        "",
        f"(e) {check.label} on {CHECK_NEEDS:,} needs ({check.megabytes:.0f} MB): "
        f"{statistics.median(check.seconds):.2f} s; python -c 'json.load' alone: "
        f"{statistics.median(check.json_seconds):.2f} s",
    ]
    for size in sizes:
        if mismatches[(size, ours)]:
            lines.append(
                f"MISMATCH: n={size} crmrisk edit build differs from a clean build in "
                + ", ".join(mismatches[(size, ours)][:10])
            )
    return [*lines, "", *targets(sizes, samples, mismatches, check.seconds)]


def targets(
    sizes: list[int], samples: Samples, mismatches: dict, check_seconds: list[float]
) -> list[str]:
    plain, ours = Variant.PLAIN, Variant.CRMRISK
    results = []

    def verdict(ok: bool, text: str) -> None:
        results.append(f"{'met   ' if ok else 'MISSED'} {text}")

    if 5000 in sizes:
        for measure in (CLEAN, CLEAN_CPU, MEMORY):
            ratio = _median(samples, 5000, ours, measure) / _median(samples, 5000, plain, measure)
            verdict(ratio <= 1.10, f"(b)/(a) {measure} at N=5,000: {ratio:.2f} (target <= 1.10)")
    if 2000 in sizes:
        ratio = _median(samples, 2000, ours, EDIT) / _median(samples, 2000, ours, NO_CHANGE)
        verdict(ratio <= 2, f"(c)/(d) at N=2,000: {ratio:.2f} (target <= 2)")
        verdict(
            not mismatches[(2000, ours)], "(c) at N=2,000 writes the pages a clean build writes"
        )
    verdict(
        statistics.median(check_seconds) < 2,
        f"(e) under 2 s: {statistics.median(check_seconds):.2f} s",
    )
    if {2000, 5000} <= set(sizes):
        growth = {
            v: _median(samples, 5000, v, CLEAN) / _median(samples, 2000, v, CLEAN) for v in Variant
        }
        verdict(
            growth[ours] <= growth[plain] * 1.05,  # within the noise of the machine
            f"growth 2,000 -> 5,000 (clean build): crmrisk x{growth[ours]:.2f}, plain x{growth[plain]:.2f}",
        )
    return results


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[500, 2000, 5000])
    parser.add_argument("--with-20000", action="store_true", help="add N = 20,000 (slow)")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--jobs", type=int, default=1, help="sphinx-build -j")
    parser.add_argument(
        "--bytecode",
        action="store_true",
        help="build with a byte-compiled copy of the package (as installed), not its sources",
    )
    parser.add_argument(
        "--compare-plain",
        action="store_true",
        help="compare plain sphinx-needs' edit build with a clean one too (it goes stale)",
    )
    args = parser.parse_args(argv)
    if args.bytecode:
        use_compiled_package()
    sizes = sorted(set(args.sizes) | ({20_000} if args.with_20000 else set()))
    samples: Samples = defaultdict(list)
    mismatches: dict = {}
    started = time.perf_counter()
    for size in sizes:
        bench_size(size, args.repeat, args.jobs, samples, mismatches, args.compare_plain)
    a_real_build = project_root(sizes[0], Variant.CRMRISK.value) / "reference"
    check = time_check(args.repeat, a_real_build / "needs.json")
    lines = report(sizes, args.repeat, samples, mismatches, check)
    print("\n".join(lines))
    print(f"\n({time.perf_counter() - started:.0f} s in all)")
    (WORK / "results.json").write_text(
        json.dumps({" ".join(map(str, key)): value for key, value in samples.items()}, indent=1)
    )


if __name__ == "__main__":
    main()
