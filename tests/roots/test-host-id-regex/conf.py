# A host on sphinx-needs' default ID rule (``needs_id_regex`` left unset): its IDs
# start with five capitals, digits or underscores, and go on in lower case.
extensions = ["sphinx_needs", "sphinx_crmrisk"]
needs_build_json = True
