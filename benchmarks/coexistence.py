"""A real sphinx-needs project built with and without sphinx_crmrisk, and the difference.

    python benchmarks/coexistence.py SOURCE [--workdir DIR] [--json OUT] [-D name=value ...]

SOURCE is the folder of the project's ``conf.py`` (e.g. sphinx-needs' own ``docs/``,
taken from a fetched copy: ``git --git-dir=... archive HEAD docs | tar -x -C /tmp/realproj``).
The project is copied twice and built twice with the ``html`` builder: once with its
own ``extensions``, once with ``sphinx_crmrisk`` appended (through ``confoverrides``;
the project's files are never edited). Printed: the warnings only one build gave, the
host needs the build with the extension lost, and per need and per key what changed
in ``needs.json``, the files only one build wrote, and the host needs whose layout
(their ``needs_layout_*`` class in the HTML) changed. ``--json`` writes the same as data.

It exits 0 when the host's output is the same both ways, 1 when it differs.
Uses ``tests/coexistence.py`` (the helper of ``tests/test_coexistence.py``).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from coexistence import added_warnings, build, diff_needs


def _value(text: str) -> object:
    try:
        return json.loads(text)
    except ValueError:
        return text


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source", type=Path)
    parser.add_argument("--workdir", type=Path, default=None)
    parser.add_argument(
        "--root",
        type=Path,
        default=None,
        help="a folder holding SOURCE, copied whole (documents that include ../files)",
    )
    parser.add_argument(
        "--ignore-files",
        default=None,
        metavar="REGEX",
        help="output files left out of the comparison (e.g. temporary files of a tool "
        "that failed the same way in both builds)",
    )
    parser.add_argument("--json", type=Path, default=None, help="write the diff here")
    parser.add_argument("--examples", type=int, default=8, help="examples shown per section")
    parser.add_argument(
        "-D",
        dest="overrides",
        action="append",
        default=[],
        metavar="name=value",
        help="a config override for both builds (value read as JSON when it parses); "
        "a crmrisk_* value goes to the build with sphinx_crmrisk only",
    )
    args = parser.parse_args(argv)
    source = args.source.resolve()
    if not (source / "conf.py").is_file():
        print(f"{source}: no conf.py", file=sys.stderr)
        return 2
    overrides = dict(item.split("=", 1) for item in args.overrides)
    overrides = {name: _value(value) for name, value in overrides.items()}
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="coexistence-"))
    timings = {}
    builds = {}
    for label, with_extension in (("without", False), ("with", True)):
        started = time.perf_counter()
        try:
            builds[label] = build(
                source,
                workdir / label,
                with_extension=with_extension,
                confoverrides={
                    name: value
                    for name, value in overrides.items()
                    if with_extension or not name.startswith("crmrisk_")
                },
                root=args.root,
            )
        except Exception as err:  # the comparison is the report: say why a build stopped
            print(f"build {label} sphinx_crmrisk stopped: {type(err).__name__}: {err}")
            return 1
        timings[label] = round(time.perf_counter() - started, 1)
    without, with_ = builds["without"], builds["with"]
    if args.ignore_files:
        ignored = re.compile(args.ignore_files)
        for result in (without, with_):
            result.files = {f for f in result.files if not ignored.search(f)}

    before = without.json_needs if without.json_needs is not None else without.needs
    after = with_.json_needs if with_.json_needs is not None else with_.needs
    diff = diff_needs(before, after)
    new_warnings = added_warnings(without.warnings, with_.warnings)
    gone_warnings = added_warnings(with_.warnings, without.warnings)
    layouts = Counter(
        (without.rendered[i][0][:1], with_.rendered.get(i, ((), ""))[0][:1])
        for i in without.rendered
        if with_.rendered.get(i, ((), ""))[0][:1] != without.rendered[i][0][:1]
    )
    key_counts = Counter(key for keys in diff.changed.values() for key in keys)
    added_key_counts = Counter(key for keys in diff.added_keys.values() for key in keys)
    ours = sorted(set(after) - set(before))
    n = args.examples

    print(f"source: {source}")
    print(f"build seconds: without {timings['without']}, with {timings['with']}")
    print(f"needs: {len(before)} without, {len(after)} with ({len(ours)} only with)")
    print(
        f"warnings: {len(without.warnings)} without, {len(with_.warnings)} with; "
        f"{len(new_warnings)} only with, {len(gone_warnings)} only without"
    )
    tags = Counter(
        (
            re.search(r"\[([\w.-]+)\]$", line)
            or re.search(r"(WARNING|ERROR)", line)
            or [None, "other"]
        )[1]
        for line in without.warnings
    )
    print(f"  warnings of the host alone, by type: {dict(tags.most_common(8))}")
    for line in new_warnings[:n]:
        print(f"  + {line}")
    for line in gone_warnings[:n]:
        print(f"  - {line}")
    print(f"host needs lost: {len(diff.missing)} {diff.missing[:n]}")
    print(f"host needs with changed values: {len(diff.changed)}; by key: {dict(key_counts)}")
    for need_id in list(diff.changed)[:n]:
        for key, (old, new) in diff.changed[need_id].items():
            print(f"  {need_id}.{key}: {old!r} -> {new!r}")
    print(f"host needs with keys added: {len(diff.added_keys)}; by key: {dict(added_key_counts)}")
    print(f"host needs with keys removed: {len(diff.removed_keys)}")
    print(f"files only with: {sorted(with_.files - without.files)}")
    print(f"files only without: {sorted(without.files - with_.files)}")
    print(f"host needs drawn with another layout: {sum(layouts.values())} {dict(layouts)}")
    print(
        f"need types listed (needreport, plantuml legends): {len(without.types)} without, "
        f"{len(with_.types)} with; added "
        f"{[t['directive'] for t in with_.types if t not in without.types]}"
    )
    if args.json:
        args.json.write_text(
            json.dumps(
                {
                    "source": str(source),
                    "seconds": timings,
                    "warnings_only_with": new_warnings,
                    "warnings_only_without": gone_warnings,
                    "missing": diff.missing,
                    "changed": {
                        i: {k: list(v) for k, v in c.items()} for i, c in diff.changed.items()
                    },
                    "added_keys": diff.added_keys,
                    "removed_keys": diff.removed_keys,
                    "files_only_with": sorted(with_.files - without.files),
                    "files_only_without": sorted(without.files - with_.files),
                    "layout_changes": {f"{a}->{b}": c for (a, b), c in layouts.items()},
                },
                indent=1,
                default=str,
            ),
            encoding="utf-8",
        )
    same = (
        diff.empty
        and not new_warnings
        and not gone_warnings
        and not layouts
        and with_.files == without.files
    )
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
