"""``python -m sphinx_crmrisk.cli``: the ``crmrisk`` command."""

from . import run

run()
