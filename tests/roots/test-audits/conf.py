extensions = ["myst_nb", "sphinx_crmrisk"]
language = "fr"
crmrisk_today = "2026-11-30"
# as the handbook: the notebooks read the pages, which jupyter-cache does not watch
nb_execution_mode = "force"
exclude_patterns = ["_build", "jupyter_execute"]
