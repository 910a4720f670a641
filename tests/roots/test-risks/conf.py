extensions = ["myst_parser", "sphinx_crmrisk"]
project = "risks"
language = "fr"
crmrisk_today = "2026-06-01"
