# Host fields with names sphinx_crmrisk uses: ``owner`` and ``phase`` (needs_fields)
# and ``source`` (the deprecated needs_extra_options), on the host's own types.
extensions = ["sphinx_needs", "sphinx_crmrisk"]
needs_fields = {
    "owner": {"description": "Team that owns the need", "schema": {"type": "string"}, "nullable": True},
    "phase": {"description": "Project phase", "schema": {"type": "string"}, "nullable": True},
}
needs_extra_options = ["source"]
needs_build_json = True
