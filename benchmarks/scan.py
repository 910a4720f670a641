"""What the ``crmrisk_enable = "auto"`` search costs each build (sphinx_ext/autodetect.has_our_directives).

    python benchmarks/scan.py [--handbook DIR] [--sizes 20000]

For the French handbook (the repository root, with the ``exclude_patterns`` of its
``_config.yml``) and for synthetic handbooks of N needs (``generate.py``): the files the
search reads, and the best of three times to an answer, once with our directive names
(it stops at the first file holding one) and once with a name found nowhere (it reads
every file: a host project without crmrisk items).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path
from types import SimpleNamespace

sys.path.insert(0, str(Path(__file__).resolve().parent))

import generate

from sphinx_crmrisk.kinds import DEFAULT_NAMES
from sphinx_crmrisk.sphinx_ext.autodetect import has_our_directives, scanned_files

HANDBOOK_EXCLUDES = [".venv/*", "_build/*", "tests/*", "benchmarks/*", "README.md"]


def _project(srcdir: Path, exclude: list[str]) -> tuple[SimpleNamespace, SimpleNamespace]:
    """The few attributes of an application and a configuration the search reads."""
    app = SimpleNamespace(
        srcdir=str(srcdir),
        outdir=str(srcdir / "_build" / "html"),
        doctreedir=str(srcdir / "_build" / "doctrees"),
        registry=SimpleNamespace(source_suffix={".md": "markdown", ".ipynb": "myst-nb"}),
    )
    config = SimpleNamespace(source_suffix={".rst": "restructuredtext"}, exclude_patterns=exclude)
    return app, config


def measure(label: str, srcdir: Path, exclude: list[str]) -> None:
    app, config = _project(srcdir, exclude)
    files = list(scanned_files(app, config))  # type: ignore[arg-type]
    size = sum(f.stat().st_size for f in files)
    for directives, what in (
        (sorted(DEFAULT_NAMES.types.values()), "ours, stops at the first"),
        (["zz-none"], "found nowhere, reads all"),
    ):
        times = []
        for _ in range(3):
            started = time.perf_counter()
            has_our_directives(app, config, directives)  # type: ignore[arg-type]
            times.append(time.perf_counter() - started)
        print(
            f"{label}: {len(files)} files, {size / 1e6:.1f} MB; {what}: {min(times) * 1000:.1f} ms"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--handbook", type=Path, default=Path(__file__).resolve().parent.parent)
    parser.add_argument("--sizes", type=int, nargs="*", default=[20000])
    args = parser.parse_args()
    measure("handbook", args.handbook, HANDBOOK_EXCLUDES)
    for n in args.sizes:
        src = Path(tempfile.mkdtemp(prefix="scan-")) / "src"
        generate.write(generate.render(n, generate.Variant.CRMRISK), src)
        measure(f"synthetic N={n}", src, [])


if __name__ == "__main__":
    main()
