"""Where sphinx_crmrisk's clean-build time goes, part by part.

    .venv/bin/python benchmarks/attribute.py [--size 2000] [--repeat 3]

Clean builds of the same handbook, in turn: plain sphinx-needs, sphinx_crmrisk, and
sphinx_crmrisk with one more part switched off at each step (its need layout, its
exports, its matrix views). What a step saves is what that part costs.
"""

from __future__ import annotations

import argparse
import statistics

from generate import Variant
from run import Project

#: sphinx-needs' default layout in place of sphinx_crmrisk's (set after it registers its own)
_NEEDS_LAYOUT = """
def _sphinx_needs_layout(app, config):
    # after sphinx_crmrisk (priority 20): drop its per-kind layouts and its default
    config.needs_fields.pop("layout", None)
    config.needs_default_layout = "clean"


def setup(app):
    app.connect("config-inited", _sphinx_needs_layout, priority=30)
"""
_NO_EXPORTS = "crmrisk_exports = False\n"

#: name -> (variant, conf.py addition, matrix page directives: () for a needtable)
STEPS = {
    "plain sphinx-needs": (Variant.PLAIN, "", None),
    "sphinx_crmrisk": (Variant.CRMRISK, "", None),
    "  without its layout": (Variant.CRMRISK, _NEEDS_LAYOUT, None),
    "  ... and without exports": (Variant.CRMRISK, _NEEDS_LAYOUT + _NO_EXPORTS, None),
    "  ... and a needtable for the views": (Variant.CRMRISK, _NEEDS_LAYOUT + _NO_EXPORTS, ()),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    projects = {
        label: Project(
            args.size, variant, name=f"attribute-{number}", conf_extra=conf, directives=views
        )
        for number, (label, (variant, conf, views)) in enumerate(STEPS.items())
    }
    wall: dict[str, list[float]] = {label: [] for label in projects}
    cpu: dict[str, list[float]] = {label: [] for label in projects}
    memory: dict[str, list[float]] = {label: [] for label in projects}
    for _round in range(args.repeat):
        for label, project in projects.items():
            run = project.clean_build(project.out)
            wall[label].append(run.seconds)
            cpu[label].append(run.cpu_seconds)
            memory[label].append(run.peak_kib / 1024)
    plain = statistics.median(cpu["plain sphinx-needs"])
    print(f"N = {args.size:,}, clean builds, medians of {args.repeat}")
    print("| build | wall | CPU | CPU / plain | peak memory |\n|---|---:|---:|---:|---:|")
    for label in projects:
        median_cpu = statistics.median(cpu[label])
        print(
            f"| {label} | {statistics.median(wall[label]):.1f} s | {median_cpu:.1f} s | "
            f"{median_cpu / plain:.2f} | {statistics.median(memory[label]):.0f} MiB |"
        )


if __name__ == "__main__":
    main()
