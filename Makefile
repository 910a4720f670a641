# The two commands of the README. Each sets up .venv on a fresh machine (Python 3 and
# make only), then does its job.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# re-install when the dependencies change
STAMP := $(VENV)/.installed-$(shell cksum pyproject.toml | cut -d' ' -f1)

.PHONY: book test clean venv chromium

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

# the browser tests drive a Chromium: the system's, else one installed here (apt-get as
# root on Debian or Ubuntu, as CI runs; else Playwright's own); without one they fail
chromium: $(STAMP)
	@command -v chromium >/dev/null || command -v chromium-browser >/dev/null || \
	{ [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null && apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; } || \
	$(BIN)/python -m playwright install chromium || \
	echo "no Chromium could be installed: the browser tests will fail"

# the notebooks run too: one fails when an obligation of the handbook is uncovered
test: $(STAMP) chromium
	$(BIN)/python -m pytest tests --nbval-lax notebooks

clean:
	rm -rf _build
