"""The documentation of sphinx-crmrisk (``make docs``): tutorial, how-to guides,
explanations and a reference whose tables are generated from the code
(``sphinx_crmrisk.sphinx_ext.reference_docs``). The French handbook is a separate project (``_config.yml``
at the repository root)."""

import sphinx_crmrisk

project = "sphinx-crmrisk"
author = "sphinx-crmrisk developers"
copyright = "2026, sphinx-crmrisk developers"
version = release = sphinx_crmrisk.__version__
language = "en"

extensions = [
    "myst_parser",
    "sphinx.ext.autodoc",
    "sphinx_crmrisk",
    "sphinx_crmrisk.sphinx_ext.reference_docs",
]
autodoc_member_order = "bysource"
myst_enable_extensions = ["colon_fence", "deflist"]
myst_heading_anchors = 3
# the generated tables quote the code's own texts ("--output", "..."): keep them as written
smartquotes = False

# the tutorial's example is a project of its own, shown with literalinclude and built
# by tests/test_docs.py; it is not a page of this site
exclude_patterns = ["_build", "tutorial/example", "**/.*"]

# these pages hold no obligation: the traceability exports would be empty
crmrisk_exports = False
crmrisk_today = "2026-11-30"

html_theme = "alabaster"
html_title = f"sphinx-crmrisk {release}"
html_theme_options = {
    "description": "Prove that a customer-relationship program meets the law",
    "fixed_sidebar": True,
    # the commands and their output are long lines
    "page_width": "1200px",
    "body_max_width": "none",
}
