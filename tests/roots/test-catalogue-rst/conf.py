# the imported content is MyST: myst_parser parses it on reST pages too
extensions = ["myst_parser", "sphinx_crmrisk"]
exclude_patterns = ["_build"]
crmrisk_today = "2026-11-30"
crmrisk_fail_on_uncovered = False
