# Tributary: `make demo` sets everything up and runs the whole pipeline locally; `make test` runs the tests.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV ?= .venv
PY := $(VENV)/bin/python
UV := $(VENV)/bin/uv
UV_VERSION := 0.13.9
EXTRAS ?= dev

.DEFAULT_GOAL := help

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-16s %s\n", $$1, $$2}'

$(VENV)/.installed-$(EXTRAS): pyproject.toml requirements/lock.txt
	@command -v $(PYTHON) >/dev/null || { echo "$(PYTHON) not found: install Python 3.11 or run make PYTHON=python3"; exit 2; }
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	test -x $(UV) || { $(PY) -m pip --version >/dev/null 2>&1 || $(PY) -m ensurepip --upgrade >/dev/null; \
	  $(PY) -m pip install --quiet --disable-pip-version-check "uv==$(UV_VERSION)"; }
	$(UV) pip install --quiet --compile-bytecode -p $(PY) -c requirements/lock.txt -e ".[$(EXTRAS)]"
	@# a machine's one-time work (as the dbt image parses at build time): the rendered spec, dbt's saved parse
	$(VENV)/bin/tributary prepare
	touch $@

setup: $(VENV)/.installed-$(EXTRAS) ## create .venv with the pinned dependencies (uv + requirements/lock.txt)

demo: setup ## run the whole pipeline locally against the bundled replay server (lake in ./lake)
	$(VENV)/bin/tributary run --replay

images: setup ## build the base and six stage images with podman or docker (CONTAINER_ENGINE chooses); prints sizes
	$(VENV)/bin/tributary images

demo-containers: images ## the demo with every task a container of its stage image, as its pod runs (lake in ./lake)
	$(VENV)/bin/tributary run --replay --launcher container

# Tests run on TEST_WORKERS processes (pytest-xdist; one per CPU by default, 0: in this process): most tests wait
# on a pipeline's subprocesses, so one worker leaves the machine half idle. A file's tests share a worker.
TEST_WORKERS ?= auto
test: setup ## run the test suite (fails when no test ran)
	$(PY) -m pytest -n $(TEST_WORKERS) --dist loadgroup --durations=25 $(PYTEST_ARGS); rc=$$?; \
	  if [ $$rc -eq 5 ]; then echo "make test: no tests were collected" >&2; exit 1; fi; exit $$rc

test-deploy: setup ## render, lint, validate and scan the charts, images and skaffold.yaml (tests/deploy)
	$(PY) -m pytest tests/deploy

lint: setup ## ruff (with docstring rules), mypy, and sqlfluff over the dbt models
	$(VENV)/bin/ruff check steps workflows tests
	$(VENV)/bin/ruff format --check steps workflows tests
	$(VENV)/bin/mypy
	$(MAKE) --no-print-directory lint-sql

# sqlfluff's dbt templater compiles each model against dbt/profiles.yml's local target: here a throwaway DuckDB
# file and an empty lake (bronze reads stand in empty relations), so the lint is offline and needs no pipeline run.
SQLFLUFF_DIR ?= $(or $(TMPDIR),/tmp)/tributary-sqlfluff
lint-sql: setup ## sqlfluff (dbt templater, dbt/.sqlfluff) over dbt/models
	mkdir -p $(SQLFLUFF_DIR)
	cd dbt && TRIBUTARY_LAKE=$(SQLFLUFF_DIR)/lake TRIBUTARY_DUCKDB_PATH=$(SQLFLUFF_DIR)/lint.duckdb \
	  DBT_TARGET_PATH=$(SQLFLUFF_DIR)/target DBT_LOG_PATH=$(SQLFLUFF_DIR)/logs DO_NOT_TRACK=1 \
	  $(abspath $(VENV))/bin/sqlfluff lint models

fmt: setup ## format the code
	$(VENV)/bin/ruff format steps workflows tests
	$(VENV)/bin/ruff check --fix steps workflows tests

bench: ## benchmark: wall time and peak memory of the full local run, then of every stage at 0.2, 2 and 10 M rows
	$(MAKE) setup EXTRAS=bench
	$(PY) -m tests.bench $(BENCH_ARGS)

lock: ## re-resolve requirements/lock.txt from pyproject.toml (needs the package index)
	test -x $(UV) || $(MAKE) setup
	$(UV) pip compile pyproject.toml --all-extras --python-version 3.11 --quiet -o requirements/lock.txt

clean: ## remove the local lake and caches (keeps .venv)
	rm -rf lake .pytest_cache .mypy_cache .ruff_cache

.PHONY: help setup demo images demo-containers test test-deploy lint lint-sql fmt bench lock clean
