extensions = ["myst_parser", "sphinx_crmrisk"]
project = "Société Exemple & <Fils>"
language = "fr"
crmrisk_today = "2026-06-01"
crmrisk_fail_on_uncovered = False
