extensions = ["myst_parser", "sphinx_crmrisk"]
language = "fr"
exclude_patterns = ["_build"]
crmrisk_today = "2026-12-05"
