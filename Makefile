# Two entry points do all set-up on a fresh machine (Python 3.11, Node 20):
#   make audit   -> installs into .venv and audits the bundled seeds into audit-out/
#   make test    -> installs into .venv (plus Debian's chromium for browser tests) and runs every test
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install audit test browser

# The JupyterLab extension is built and installed by pip's build hook: reinstall when it changes.
EXTENSION_SOURCES := $(wildcard extension/package.json extension/package-lock.json extension/src/*.ts \
	extension/style/* extension/schema/*.json) auditor/templates/dashboard.ipynb

$(STAMP): pyproject.toml $(EXTENSION_SOURCES)
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --upgrade pip
	$(BIN)/python -m pip install -e ".[test]"
	touch $(STAMP)

install: $(STAMP)

audit: install
	$(BIN)/figure-audit run seeds/ --out audit-out --html

# Browser tests drive Debian's chromium (never a downloaded browser).
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; \
	  else sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; fi; }

test: install browser
	$(BIN)/python -m pytest
