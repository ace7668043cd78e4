# Fengqiao: `make run` starts the embedded stack, `make test` runs the whole suite.
SHELL := /bin/bash
PY := .venv/bin/python
UV := $(shell command -v uv 2>/dev/null || echo .tools/bin/uv)
PYTEST_ARGS ?=
# `make test` runs the suite on this many processes (each its own Temporal dev server; a file
# stays on one process, so module-scoped stacks are built once): 2 cores, 2 processes.
PYTEST_WORKERS ?= 2

.PHONY: run test install lint typecheck pytest bench soak histories system clean

$(UV):
	@bash deploy/bootstrap-uv.sh

.venv/.synced: pyproject.toml uv.lock | $(UV)
	$(UV) sync --frozen --python python3.11
	@touch $@

install: .venv/.synced

system:
	@bash deploy/ensure-system.sh

run: install
	@bash deploy/ensure-system.sh run
	$(PY) -m deploy.run $(RUN_ARGS)

lint: install
	.venv/bin/ruff check .
	.venv/bin/ruff format --check .
	.venv/bin/lint-imports --no-cache

typecheck: install
	.venv/bin/mypy shared workflows services deploy tests bench

pytest: install
	$(PY) -m pytest $(PYTEST_ARGS)

test: install
	@bash deploy/ensure-system.sh test
	$(MAKE) --no-print-directory lint typecheck
	$(PY) -m pytest -n $(PYTEST_WORKERS) --dist loadfile $(PYTEST_ARGS)

bench: install
	@bash deploy/ensure-system.sh bench
	$(PY) -m bench.run_all $(BENCH_ARGS)

soak: install
	$(PY) -m pytest -m soak tests

# record every path of both workflows into a new corpus version (never rewrites one);
# `make test` only replays them. HISTORIES_VERSION defaults to <UTC date>-<commit>.
histories: install
	$(PY) -m tests.workflows.corpus.record $(if $(HISTORIES_VERSION),--version $(HISTORIES_VERSION))

clean:
	rm -rf var test-artifacts .pytest_cache .mypy_cache .ruff_cache
