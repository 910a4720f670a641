# A host project (default ID rule, default layout, its own link type) that also holds
# crmrisk items: the host's needs must come out as without the extension.
extensions = ["myst_parser", "sphinx_needs", "sphinx_crmrisk"]
needs_links = {"implements": {"incoming": "is implemented by", "outgoing": "implements"}}
needs_build_json = True
crmrisk_today = "2026-11-30"
