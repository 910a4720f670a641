"""sphinx-crmrisk: prove that a customer-relationship program meets the law.

A Sphinx extension on sphinx-needs: phases, obligations, clauses, procedures and
risks as need types, typed traceability links, and a build that fails on an
uncovered obligation.

The top level of the package is a library with no Sphinx, docutils or sphinx-needs
import (``tests/test_layers.py`` holds it so): the model, the coverage rule, the
reviews, the traceability, the settings, needs.json reading, exports and reports.
Everything that imports Sphinx is in :mod:`sphinx_crmrisk.sphinx_ext`, whose ``setup``
is this package's (``extensions = ["sphinx_crmrisk"]``); the ``crmrisk`` command is
:mod:`sphinx_crmrisk.cli`. Both are imported on first use, as are ``load``,
``load_traceability`` and ``load_handbook`` (:mod:`.loading`), so that importing the
package costs nothing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

if TYPE_CHECKING:
    from sphinx.application import Sphinx

    from .loading import load, load_handbook, load_traceability

__all__ = ["load", "load_handbook", "load_traceability", "setup"]
_LAZY = frozenset(__all__) - {"setup"}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        from . import loading

        return getattr(loading, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def setup(app: Sphinx) -> dict[str, Any]:
    """The extension's entry point: :func:`sphinx_crmrisk.sphinx_ext.setup`."""
    from .sphinx_ext import setup as setup_extension

    return setup_extension(app)
