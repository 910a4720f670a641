extensions = ["myst_parser", "sphinx_crmrisk"]
language = "fr"
crmrisk_today = "2026-11-30"
# a field of the project's own, which every layout must still show
needs_fields = {"reviewer": {"description": "Relecteur", "schema": {"type": "string"}, "nullable": True}}
