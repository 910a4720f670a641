extensions = ["myst_parser", "sphinx_crmrisk"]
project = "matrix"
crmrisk_today = "2026-06-01"
