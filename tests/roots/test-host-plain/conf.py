# A host with no crmrisk item at all, and without needs_build_json: nothing of
# sphinx_crmrisk's may show or be written. A needreport lists the need types.
extensions = ["sphinx_needs", "sphinx_crmrisk"]
