# CareCoord: `make demo` runs the whole system offline; `make test` runs the suite.
SHELL := /bin/bash
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | sha1sum | cut -c1-12)
DATA_DIR ?= .carecoord
SANDBOX_PORT ?= 8090
PEER_DIR := tools/sandbox/peer
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export ANONYMIZED_TELEMETRY := False

.PHONY: install demo scale stop test lint bench peer browser clean

$(BIN)/python:
	$(PY) -m venv $(VENV)

# torch first: `torch==2.13.0` resolves to the local CPU wheel instead of CUDA builds.
$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q torch==2.13.0
	$(BIN)/pip install -q -e '.[dev]' --config-settings editable_mode=compat
	rm -f $(VENV)/.installed-*; touch $(STAMP)

install: $(STAMP)

$(PEER_DIR)/node_modules/.stamp: $(PEER_DIR)/package.json
	cd $(PEER_DIR) && npm install --no-audit --no-fund --loglevel=error
	touch $@

peer: $(PEER_DIR)/node_modules/.stamp

# Starts the seeded sandbox, builds the index, starts the API (+ widget) and the console, prints the URLs.
demo: install
	$(BIN)/carecoord up --demo
	@echo "  Patients (ids)             $(BIN)/carecoord sandbox patients"
	@echo "  Chat from a terminal       $(BIN)/carecoord chat --patient <id> \"When is my next visit?\""

# The scale-out topology on this machine: PostgreSQL, Redis, a Chroma server, two API workers, the console.
scale: install
	$(BIN)/carecoord up --scale

stop:
	-@$(BIN)/carecoord down

AXE_DIR := tests/e2e/axe

$(AXE_DIR)/node_modules/.stamp: $(AXE_DIR)/package.json
	cd $(AXE_DIR) && npm install --no-audit --no-fund --loglevel=error
	touch $@

# Debian's Chromium drives the browser tests (Playwright cannot download its own browser here);
# axe-core (npm) checks the pages' accessibility inside them.
browser: $(AXE_DIR)/node_modules/.stamp
	@command -v chromium >/dev/null 2>&1 || (apt-get update -qq && apt-get install -y -qq chromium >/dev/null)

test: install peer browser
	$(BIN)/python -m pytest

# Style, types, and the layers: `lint-imports` checks the import contracts in pyproject.toml.
lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports

# Benchmarks, apart from tests: retrieval (3 retrievers), warm turn latency, verifier on K-QA, API load,
# and a 5-minute soak of the scale-out stack with faults.
bench: install
	$(BIN)/python -m evals.bench
	$(BIN)/python -m evals.load
	$(BIN)/python -m evals.faults.soak

clean:
	rm -rf $(DATA_DIR) .pytest_cache .mypy_cache .ruff_cache
