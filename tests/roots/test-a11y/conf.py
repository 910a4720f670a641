# Every view and badge of the extension, for axe-core in Chromium (tests/test_browser.py):
# built with the default theme and with the starter's (html_theme is given by the test).
extensions = ["myst_parser", "sphinx_crmrisk"]
project = "Accessibilité"
language = "fr"
crmrisk_today = "2026-06-01"
crmrisk_profile = ["prospection"]
crmrisk_fail_on_uncovered = False
