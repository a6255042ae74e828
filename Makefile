# trendmon: `make demo` runs the product on the embedded default; `make test` runs every test.
# Both install what they need first: Python packages into ./.venv (with the `trendmon` script),
# the test services (scripts/services.sh), Debian's Chromium for the browser tests and kcat.

SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
TRENDMON := $(VENV)/bin/trendmon
STAMP := $(VENV)/.installed-stamp
COMPILED := trendmon/engine/_compiled/manifest.json
# Any engine source: the list of compiled modules lives in scripts/compile.py only.
ENGINE_SOURCES := $(wildcard trendmon/engine/*.py)
PYTEST_ARGS ?=

.PHONY: install demo test test-fast lint services services-stop browsers bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check --upgrade pip
	$(VENV)/bin/pip install --quiet --disable-pip-version-check -e '.[dev]'
	touch $@

# The engine's hot modules, compiled with mypyc (about 1 minute; again only when one changes).
# The package uses them only while they match their sources; see scripts/compile.py.
$(COMPILED): $(STAMP) $(ENGINE_SOURCES) scripts/compile.py
	$(PY) scripts/compile.py

install: $(STAMP) $(COMPILED)

demo: install
	$(TRENDMON) run --speed 120

browsers:
	@if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null \
	    || ! fc-list 2>/dev/null | grep -qi "color emoji" || ! command -v kcat >/dev/null; then \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
	    chromium chromium-driver fonts-noto-color-emoji kcat >/dev/null; fi

# Docker Compose v2, for tests/test_compose.py (`docker compose config`): built once from the Go
# module proxy when missing (about 3 minutes), then a no-op.
.PHONY: compose-tool
compose-tool:
	bash scripts/compose-tool.sh

services: install
	bash scripts/services.sh start

services-stop:
	bash scripts/services.sh stop

lint: install
	$(VENV)/bin/ruff check trendmon tests bench
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports --no-logo

test-fast: install
	$(PY) -m pytest -m "not slow" $(PYTEST_ARGS)

test: install lint browsers compose-tool
	bash scripts/services.sh start
	set -a; source "$${TRENDMON_SERVICES_DIR:-$$HOME/.cache/trendmon/run}/env"; set +a; \
	  $(PY) -m pytest $(PYTEST_ARGS); rc=$$?; bash scripts/services.sh stop; exit $$rc

bench: install
	$(PY) bench/ingest.py
	$(PY) bench/engine.py

clean:
	rm -rf $(VENV) .trendmon .pytest_cache .mypy_cache .ruff_cache .import_linter_cache build trendmon/engine/_compiled trendmon/engine/*.so
