# A host project of its own: a need type ``risk`` with another title, prefix and colour
# than sphinx_crmrisk's.
extensions = ["sphinx_needs", "sphinx_crmrisk"]
needs_types = [
    {"directive": "req", "title": "Requirement", "prefix": "REQ_", "color": "#BFD8D2", "style": "node"},
    {"directive": "risk", "title": "Hazard", "prefix": "HZ_", "color": "#FF0000", "style": "node"},
]
needs_build_json = True
