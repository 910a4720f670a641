"""The ``crmrisk_*`` values of a build, written beside its ``needs.json``.

needs.json says nothing of the reference date or the inactive statuses the build used;
without them the ``crmrisk`` command and the notebooks could assess the same data
differently from the build. Every build writes them (``crmrisk-config.json``), with the
reference date resolved: a build without ``crmrisk_today`` records the day it ran.
"""

from __future__ import annotations

import json
from dataclasses import asdict, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .config import PREFIX, CrmriskConfig, get_config

if TYPE_CHECKING:
    from sphinx.application import Sphinx

CONFIG_JSON = "crmrisk-config.json"


def recorded_values(config: CrmriskConfig) -> dict[str, Any]:
    resolved = replace(config, today=config.reference_date.isoformat())
    return {PREFIX + name: value for name, value in asdict(resolved).items()}


def write_build_values(app: Sphinx, exception: Exception | None) -> None:
    """``build-finished``: beside the needs.json that sphinx-needs writes on every build."""
    if exception is not None:
        return
    path = Path(app.outdir) / CONFIG_JSON
    values = recorded_values(get_config(app))
    path.write_text(json.dumps(values, ensure_ascii=False, indent=1), encoding="utf-8")
