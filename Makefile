# ChainDeck: `make run` starts the app with its embedded devnet, `make test` runs every test.
# Both create and reuse .venv and install what is missing.

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
TOOLS := .tools

.PHONY: run node check-qt bytecode test lint format bench bench-gui bench-fleet bundle deb appimage anvil clean help

help:
	@echo "make run    start ChainDeck: the window with its embedded devnet"
	@echo "make node   only the devnet node, in the foreground (http://127.0.0.1:8645)"
	@echo "make test   run the whole test suite"
	@echo "make lint   ruff and the import-layer contracts"
	@echo "make bench  node throughput benchmark (installs anvil from npm when npm is here)"
	@echo "make bundle the one-folder installer bundle: dist/chaindeck/chaindeck"
	@echo "make deb    a .deb of that bundle: dist/chaindeck_VERSION_ARCH.deb"
	@echo "make appimage an AppImage of it (needs appimagetool): dist/ChainDeck-ARCH.AppImage"

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

# Qt's xcb platform plugin needs system libraries on Linux (not for offscreen use). Ask the
# plugin itself what it cannot find, rather than keeping a list that goes stale.
QT_DEBIAN := libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1 libxcb-image0 libxcb-render-util0 \
	libxcb-shape0 libxcb-xkb1 libxkbcommon-x11-0 libegl1 libgl1 libfontconfig1 libdbus-1-3

check-qt: $(STAMP)
	@if [ "$$(uname)" = Linux ] && [ "$${QT_QPA_PLATFORM:-xcb}" != offscreen ]; then \
		plugin=$$($(PY) -c 'import PySide6, pathlib; print(next(pathlib.Path(PySide6.__file__).parent.rglob("libqxcb.so")))'); \
		missing=$$(ldd "$$plugin" | awk '/not found/ {print $$1}' | sort -u | tr '\n' ' '); \
		if [ -n "$$missing" ]; then \
			echo "error: Qt's window system plugin needs libraries that are missing: $$missing"; \
			echo "  Debian/Ubuntu: sudo apt-get install $(QT_DEBIAN)"; \
			echo "  (or run headless with QT_QPA_PLATFORM=offscreen)"; exit 1; fi; \
		if [ -z "$${DISPLAY}$${WAYLAND_DISPLAY}" ]; then \
			echo "error: no display (DISPLAY / WAYLAND_DISPLAY unset). Run it on a desktop, or try xvfb-run make run"; exit 1; fi; \
	fi

# Our own modules' bytecode, written up front: where PYTHONDONTWRITEBYTECODE is set (CI images
# often do), every process would otherwise compile them again, and the suite starts hundreds
# (nodes, their helpers, commands): a third less CPU for a cluster test here.
bytecode: $(STAMP)
	@$(PY) -m compileall -q -j 0 app backend widgets main.py > /dev/null

run: $(STAMP) check-qt bytecode
	$(VENV)/bin/chaindeck gui

node: $(STAMP)
	$(VENV)/bin/chaindeck node


# anvil (npm) for the Ethereum test-run checks; they skip, saying why, without npm.
# Test files run in parallel, a file's tests together in one process, one process more than
# there are cores (up to 5): most tests wait on real nodes and subprocesses, so the cores stay
# busy (2 cores: 8:03 with 2 processes, 6:36 with 3).
TEST_WORKERS ?= $(shell python3 -c "import os; print(min(5, (os.cpu_count() or 1) + 1))")
test: $(STAMP) anvil bytecode
	$(PY) -m pytest -n $(TEST_WORKERS) --dist loadfile --durations=15

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

# One-folder bundle (PyInstaller): dist/chaindeck/chaindeck opens the window, and
# `dist/chaindeck/chaindeck node` runs the node. Copy or archive the whole folder.
BUNDLE_DIST ?= dist
BUNDLE_WORK ?= build/pyinstaller
bundle: $(STAMP)
	$(PY) -m PyInstaller --noconfirm --log-level WARN --distpath $(BUNDLE_DIST) \
		--workpath $(BUNDLE_WORK) packaging/chaindeck.spec
	@echo "bundle: $(BUNDLE_DIST)/chaindeck/chaindeck ($$(du -sh $(BUNDLE_DIST)/chaindeck | cut -f1))"

# Linux packages from the bundle: a .deb (dpkg-deb) and an AppImage (appimagetool).
deb: bundle
	@command -v dpkg-deb >/dev/null 2>&1 || { echo "make deb needs dpkg-deb (Debian package dpkg)"; exit 2; }
	$(PY) packaging/deb.py $(BUNDLE_DIST)/chaindeck $(BUNDLE_DIST)

appimage: bundle
	$(PY) packaging/appimage.py $(BUNDLE_DIST)/chaindeck $(BUNDLE_DIST)

clean:
	rm -rf $(VENV) $(TOOLS) .pytest_cache .ruff_cache .hypothesis build dist

bench-gui: $(STAMP)
	QT_QPA_PLATFORM=offscreen $(PY) tests/bench/gui_feed.py

bench-fleet: $(STAMP)
	QT_QPA_PLATFORM=offscreen $(PY) tests/bench/fleet.py
