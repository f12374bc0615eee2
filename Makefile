# Two-command quick start:  `make serve`  (set up + run the server)   `make test`  (set up + test)
VENV   ?= .venv
PYTHON ?= python3
BIN    := $(VENV)/bin
EDITABLE := --config-settings editable_mode=strict

.PHONY: setup relink node serve mcp test fuzz lint bench constraints clean

# Create the virtualenv and install the package with its dev extras (once per pyproject change).
$(BIN)/.installed: pyproject.toml setup.py
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q -U pip wheel setuptools
	$(BIN)/pip install -q -e '.[dev]' $(EDITABLE)
	touch $@

setup: $(BIN)/.installed relink

# The strict editable install links files one by one: re-link so new modules are seen (< 1 s).
relink: $(BIN)/.installed
	@$(BIN)/pip install -q --no-deps --no-build-isolation -e . $(EDITABLE) >$(VENV)/relink.log 2>&1 \
	  || { cat $(VENV)/relink.log; exit 1; }

# Node packages for the interop tests (TypeScript MCP SDK, MCP Inspector, graphql-http audit);
# skipped (and those tests skip) where npm is not installed.
node:
	@if command -v npm >/dev/null; then \
	  for d in tests/interop bench/node; do \
	    [ -d $$d/node_modules ] || (cd $$d && npm ci --no-audit --no-fund --loglevel=error) || exit 1; \
	  done; \
	fi

# The file and git tools read only the roots they are given: the quick start gives them this
# checkout.
serve: setup
	$(BIN)/ouroboros serve --roots "$(CURDIR)"

mcp: setup
	$(BIN)/ouroboros mcp --roots "$(CURDIR)"

# The whole suite on parallel workers (pytest-xdist). Most of the suite waits on subprocesses
# and servers rather than the CPU, so 4 workers beat 2 on a 2-core machine; `worksteal` lets an
# idle worker take tests queued behind a slow one. Hypothesis runs its deterministic "ci"
# profile (tests/conftest.py).
TEST_WORKERS ?= 4
test: setup node
	$(BIN)/pytest -n $(TEST_WORKERS) --dist worksteal

# The property tests with random exploration and many more examples (the "fuzz" Hypothesis
# profile); a failing example is saved in .hypothesis/ and replayed first next time.
fuzz: setup
	HYPOTHESIS_PROFILE=fuzz $(BIN)/pytest -p no:cacheprovider -q $$(grep -rl --include='test_*.py' '^from hypothesis' tests)

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	cd /tmp && $(CURDIR)/$(BIN)/mypy --config-file $(CURDIR)/pyproject.toml -p ouroboros

bench: setup node
	$(BIN)/pip install -q -e '.[bench]' $(EDITABLE)
	$(BIN)/python bench/parse.py
	$(BIN)/python bench/engine.py
	$(BIN)/python bench/planner.py
	$(BIN)/python bench/store.py
	$(BIN)/python bench/mcp_vs_memory_server.py
	$(BIN)/python bench/http_eql_vs_graphql.py
	$(BIN)/python bench/mcp_stdio.py

# Re-pin constraints.txt (the runtime dependencies at the versions in $(VENV)) after changing
# the dependencies in pyproject.toml; the Dockerfile and the CI wheel leg install with it.
constraints: setup
	$(BIN)/python .ci/constraints.py > constraints.txt

clean:
	rm -rf $(VENV) .venv-wheel build *.egg-info .pytest_cache .mypy_cache .ruff_cache
