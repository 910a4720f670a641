# A host link type ``covers`` between its own types (a test covers a requirement), with
# its own labels.
extensions = ["sphinx_needs", "sphinx_crmrisk"]
needs_links = {
    "covers": {"incoming": "is tested by", "outgoing": "tests"},
}
needs_build_json = True
