# The tutorial's project: a call center that records its calls.
project = "Call-center compliance"
extensions = ["myst_parser", "sphinx_crmrisk"]
# the reference date: without it, each build assesses the
# obligations as of the day it runs
crmrisk_today = "2026-11-30"
