# Two-command quick start:  `make serve`  (set up + run the server)   `make test`  (set up + test)
VENV   ?= .venv
PYTHON ?= python3
BIN    := $(VENV)/bin
EDITABLE := --config-settings editable_mode=strict

.PHONY: setup relink serve mcp test lint bench clean

# Create the virtualenv and install the package with its dev extras (once per pyproject change).
$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q -U pip wheel setuptools
	$(BIN)/pip install -q -e '.[dev]' $(EDITABLE)
	touch $@

setup: $(BIN)/.installed relink

# The strict editable install links files one by one: re-link so new modules are seen (< 1 s).
relink: $(BIN)/.installed
	@$(BIN)/pip install -q --no-deps --no-build-isolation -e . $(EDITABLE) >$(VENV)/relink.log 2>&1 \
	  || { cat $(VENV)/relink.log; exit 1; }

serve: setup
	$(BIN)/ouroboros serve

mcp: setup
	$(BIN)/ouroboros mcp

test: setup
	$(BIN)/pytest

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	cd /tmp && $(CURDIR)/$(BIN)/mypy --config-file $(CURDIR)/pyproject.toml -p ouroboros

bench: setup
	$(BIN)/pip install -q -e '.[bench]' $(EDITABLE)
	$(BIN)/python bench/parse.py
	$(BIN)/python bench/engine.py
	$(BIN)/python bench/planner.py
	$(BIN)/python bench/store.py

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .mypy_cache .ruff_cache
