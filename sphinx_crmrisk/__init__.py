"""sphinx-crmrisk: prove that a customer-relationship program meets the law.

A Sphinx extension on sphinx-needs: phases, obligations, clauses, procedures and
risks as need types, typed traceability links, and a build that fails on an
uncovered obligation.

``load``, ``load_traceability`` and ``load_handbook`` (:mod:`.loading`) read the
traceability of a build or a source folder; they are imported on first use, so that
importing the package costs nothing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

if TYPE_CHECKING:
    from sphinx.application import Sphinx

    from .loading import load, load_handbook, load_traceability

#: Bump when the data kept on the environment changes shape: Sphinx re-reads all.
# 2: items record their source_file, pages the items they failed to create
# 3: our needs hold the computed fields (coverage_state, review_state): a need pickled
#    without them cannot take them (sphinx-needs sets only existing keys)
ENV_VERSION = 3

__all__ = ["setup", "load", "load_traceability", "load_handbook"]
_LAZY = frozenset(__all__) - {"setup"}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        from . import loading

        return getattr(loading, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def setup(app: Sphinx) -> dict[str, Any]:
    # sphinx-needs' own setup clears its API registry: it must run first
    app.setup_extension("sphinx_needs")

    from .badges import BADGE_PRIORITY, add_badges
    from .build_traceability import setup_build_traceability
    from .catalogue_directive import setup_catalogue
    from .checks import check_build
    from .computed_fields import setup_computed_fields
    from .config import setup_config, validate_config, write_build_values
    from .exports import write_build_exports
    from .i18n import setup_i18n
    from .incremental import setup_incremental
    from .locations import setup_locations
    from .needs_schema import register_needs_schema
    from .views import setup_views

    setup_config(app)
    setup_i18n(app)
    app.connect("config-inited", validate_config, priority=15)
    app.connect("config-inited", register_needs_schema, priority=20)
    setup_build_traceability(app)
    setup_incremental(app)
    setup_locations(app)
    app.connect("doctree-resolved", add_badges, priority=BADGE_PRIORITY)
    setup_computed_fields(app)
    app.connect("build-finished", check_build)
    setup_views(app)
    setup_catalogue(app)
    # after the checks (priority 500), so their warnings come first
    app.connect("build-finished", write_build_values)
    app.connect("build-finished", write_build_exports, priority=600)
    return {
        "version": __version__,
        "env_version": ENV_VERSION,
        "parallel_read_safe": True,
        "parallel_write_safe": True,
    }
