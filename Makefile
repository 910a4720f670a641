# The commands of the README. Each sets up its own virtual environment on a fresh machine
# (Python 3.11+ and make only), then does its job.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# re-install when the dependencies change
STAMP := $(VENV)/.installed-$(shell cksum pyproject.toml | cut -d' ' -f1)
# nox runs the test matrix (noxfile.py); it lives in its own environment
NOX_SPEC := nox>=2025.10.16,<2027
NOX_VENV := .venv-nox
NOX_STAMP := $(NOX_VENV)/.installed-$(shell printf '%s' '$(NOX_SPEC)' | cksum | cut -d' ' -f1)
# e.g. make matrix NOXARGS="-s sphinx-9"
NOXARGS ?=

.PHONY: book pack test lint matrix docs catalogue clean venv chromium pdf-libraries

venv: $(STAMP)

# Jupyter Book 1 (the `book` extra), the test tools and WeasyPrint (the audit pack's PDF):
# Sphinx 7.4
$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[book,test,pdf]"
	rm -f $(VENV)/.installed-*
	touch $@

# -W -n --keep-going: every warning, uncovered obligations included, fails the build; the
# build writes the audit pack's PDF into the site too (crmrisk_pack_pdf in _config.yml)
book: $(STAMP) pdf-libraries
	$(BIN)/jupyter-book build . -W -n --keep-going

# the handbook's audit pack, from its build: the PDF (the site's, byte for byte), the
# exports and SHA256SUMS (check it: cd _build/pack && sha256sum -c SHA256SUMS)
pack: book
	rm -rf _build/pack
	$(BIN)/crmrisk pack _build/html --output _build/pack

# the browser tests drive a Chromium: the system's, else one installed here (apt-get as
# root on Debian or Ubuntu, as CI runs; else Playwright's own); without one they fail
chromium: $(STAMP)
	@command -v chromium >/dev/null || command -v chromium-browser >/dev/null || \
	{ [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null && apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; } || \
	$(BIN)/python -m playwright install chromium || \
	echo "no Chromium could be installed: the browser tests will fail"

# the audit pack's PDF: WeasyPrint needs Pango, HarfBuzz's subsetter (without it, fonts
# are subset by fontTools: other bytes) and DejaVu from the system; pdftoppm and
# pdftotext (poppler-utils) look at the pages. Installed with apt-get as root (Debian,
# Ubuntu, as CI runs); else one line says what to install.
PDF_LIBRARIES := libpango-1.0.so.0 libpangoft2-1.0.so.0 libharfbuzz-subset.so.0
LDCONFIG := $(shell command -v ldconfig 2>/dev/null || echo /sbin/ldconfig)
PDF_PACKAGES := libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core poppler-utils
pdf-libraries:
	@missing=$$(for lib in $(PDF_LIBRARIES); do $(LDCONFIG) -p | grep -q "$$lib" || echo "$$lib"; done; \
	  fc-list 2>/dev/null | grep -q DejaVuSans.ttf || echo DejaVu; \
	  command -v pdftoppm >/dev/null || echo pdftoppm); \
	[ -z "$$missing" ] || \
	{ [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null && apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(PDF_PACKAGES); } || \
	{ echo "the audit pack's PDF needs $$(echo $$missing): apt-get install $(PDF_PACKAGES)" >&2; exit 1; }

# lint, format and types (pyproject.toml: [tool.ruff], [tool.mypy]): strict on the library
lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

# lint first; then every test, the notebooks too (one fails when an obligation of the
# handbook is uncovered)
test: lint chromium pdf-libraries
	$(BIN)/python -m pytest tests --nbval-lax notebooks

# the law as a library: the handbook's phases, obligations and models, written into
# sphinx_crmrisk/catalogue/<crmrisk_today>/; tests/test_catalogue.py fails until it is run
# after a change of the handbook
catalogue: $(STAMP)
	$(BIN)/python -m sphinx_crmrisk.law_catalogue .

# the extension's documentation (docs/, English), a Sphinx project apart from the handbook
docs: $(STAMP)
	$(BIN)/sphinx-build -W --keep-going -b html docs docs/_build/html

$(NOX_STAMP):
	test -x $(NOX_VENV)/bin/python || $(PYTHON) -m venv $(NOX_VENV)
	$(NOX_VENV)/bin/python -m pip install --quiet "$(NOX_SPEC)"
	rm -f $(NOX_VENV)/.installed-*
	touch $@

# the extension's tests on Sphinx 7.4, 8.x and 9.x, each in a fresh environment (.nox/)
matrix: $(NOX_STAMP)
	$(NOX_VENV)/bin/nox $(NOXARGS)

clean:
	rm -rf _build docs/_build
