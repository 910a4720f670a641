extensions = ["myst_parser", "sphinx_crmrisk"]
language = "fr"
crmrisk_today = "2026-11-30"
