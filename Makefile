# ChainDeck: `make run` starts the app (for now: the embedded node), `make test` runs every test.
# Both create and reuse .venv and install what is missing.

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
TOOLS := .tools

.PHONY: run node test lint format bench anvil clean help

help:
	@echo "make run    start ChainDeck (now: the embedded devnet node on http://127.0.0.1:8645)"
	@echo "make test   run the whole test suite"
	@echo "make lint   ruff and the import-layer contracts"
	@echo "make bench  node throughput benchmark (installs anvil from npm when npm is here)"

$(STAMP): pyproject.toml
	@command -v $(PYTHON) >/dev/null 2>&1 || { \
		echo "error: $(PYTHON) not found. Install Python 3.11 or newer (Debian: apt-get install python3 python3-venv)."; exit 1; }
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || { \
		echo "error: ChainDeck needs Python 3.11 or newer; $(PYTHON) is $$($(PYTHON) --version)."; exit 1; }
	@$(PYTHON) -c 'import venv, ensurepip' 2>/dev/null || { \
		echo "error: Python's venv module is missing (Debian: apt-get install python3-venv)."; exit 1; }
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

run: $(STAMP)
	$(VENV)/bin/chaindeck node

node: run

test: $(STAMP)
	$(PY) -m pytest

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports

format: $(STAMP)
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

# anvil (Foundry) from npm, for the side-by-side benchmark; optional.
anvil:
	@if command -v npm >/dev/null 2>&1; then \
		test -x $(TOOLS)/node_modules/.bin/anvil || npm install --silent --no-audit --no-fund \
			--prefix $(TOOLS) @foundry-rs/anvil-linux-amd64 >/dev/null 2>&1 || \
			echo "note: could not install anvil from npm; the benchmark runs without it"; \
	else \
		echo "note: npm (Node.js) is not installed; the benchmark runs without anvil"; \
	fi

bench: $(STAMP) anvil
	$(PY) tests/bench/node_throughput.py

clean:
	rm -rf $(VENV) $(TOOLS) .pytest_cache .ruff_cache .hypothesis
