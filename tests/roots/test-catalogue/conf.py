extensions = ["myst_parser", "sphinx_crmrisk"]
language = "fr"
exclude_patterns = ["_build"]
crmrisk_today = "2026-11-30"
# an insurer that canvasses by phone
crmrisk_profile = ["prospection", "assurance"]
# the catalogue's obligations are not all covered here
crmrisk_fail_on_uncovered = False
