"""The scripts of benchmarks/, loaded for the tests: a folder of scripts, not a package."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from typing import Any

BENCHMARKS = Path(__file__).parents[1] / "benchmarks"


def load(name: str) -> Any:
    """benchmarks/``name``.py, loaded by its path and registered in ``sys.modules`` before
    it runs (the dataclasses of generate.py and fuzz.py look their module up there; the
    scripts import each other by name, with benchmarks/ on ``sys.path``)."""
    spec = importlib.util.spec_from_file_location(name, BENCHMARKS / f"{name}.py")
    assert spec is not None and spec.loader is not None, name
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module
