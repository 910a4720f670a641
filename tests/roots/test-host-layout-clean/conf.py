# A host that chose sphinx-needs' "clean" layout explicitly.
extensions = ["sphinx_needs", "sphinx_crmrisk"]
needs_default_layout = "clean"
needs_build_json = True
