# The two commands of the README. Each sets up .venv on a fresh machine (Python 3 and
# make only), then does its job.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# re-install when the dependencies change
STAMP := $(VENV)/.installed-$(shell cksum pyproject.toml | cut -d' ' -f1)

.PHONY: book test docs catalogue clean venv

venv: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test]"
	rm -f $(VENV)/.installed-*
	touch $@

# -W -n --keep-going: every warning, uncovered obligations included, fails the build
book: $(STAMP)
	$(BIN)/jupyter-book build . -W -n --keep-going

# the notebooks run too: one fails when an obligation of the handbook is uncovered
test: $(STAMP)
	$(BIN)/python -m pytest tests --nbval-lax notebooks

# the law as a library: the handbook's phases, obligations and models, written into
# sphinx_crmrisk/catalogue/<crmrisk_today>/; tests/test_catalogue.py fails until it is run
# after a change of the handbook
catalogue: $(STAMP)
	$(BIN)/python -m sphinx_crmrisk.library .

# the extension's documentation (docs/, English), a Sphinx project apart from the handbook
docs: $(STAMP)
	$(BIN)/sphinx-build -W --keep-going -b html docs docs/_build/html

clean:
	rm -rf _build docs/_build
