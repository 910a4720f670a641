# A host with its own need type ``risk``, link type ``covers`` and field ``owner``, and
# crmrisk items under the names the crmrisk_*_names values give ours.
extensions = ["sphinx_needs", "sphinx_crmrisk"]
needs_types = [
    {"directive": "req", "title": "Requirement", "prefix": "REQ_", "color": "#BFD8D2", "style": "node"},
    {"directive": "test", "title": "Test Case", "prefix": "T_", "color": "#DCB239", "style": "node"},
    {"directive": "risk", "title": "Hazard", "prefix": "HZ_", "color": "#FF0000", "style": "node"},
]
needs_links = {"covers": {"incoming": "is tested by", "outgoing": "tests"}}
needs_fields = {"owner": {"description": "Team", "schema": {"type": "string"}, "nullable": True}}
needs_build_json = True
crmrisk_today = "2026-11-30"
crmrisk_type_names = {"risk": "crm_risk"}
crmrisk_link_names = {"covers": "crm_covers"}
crmrisk_field_names = {"owner": "crm_owner"}
