extensions = ["myst_parser", "sphinx_crmrisk"]
crmrisk_today = "2026-11-30"
crmrisk_require_evidence = True
