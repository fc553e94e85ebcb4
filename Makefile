# llmon — the verbs. `make demo` runs the native mock stack; `make test` installs and runs everything.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
S ?= normal
SEED ?= 42
VAR ?= var

# pytest exits 5 when a selection legitimately holds no tests; that is not a failure.
PYTEST = $(BIN)/pytest
run_pytest = $(PYTEST) $(1); rc=$$?; if [ $$rc -eq 5 ]; then echo "pytest: no tests in $(1)"; rc=0; fi; exit $$rc

.PHONY: all venv system-deps demo test unit fuzz integration e2e lint dashboards seed scenario bench clean

all: test

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[test]'
	touch $@

venv: $(BIN)/.installed

system-deps:
	@scripts/system-deps.sh

demo: venv system-deps  ## twins, node exporter, Prometheus, Alertmanager on scenario $(S); Ctrl-C stops
	$(BIN)/llmon-mock demo --scenario $(S) --seed $(SEED) --var-dir $(VAR)

test: venv system-deps lint  ## the whole suite: lint, unit, fuzz (CI profile), integration, e2e
	@$(call run_pytest,tests/unit)
	@$(call run_pytest,tests/fuzz)
	@$(call run_pytest,tests/integration)
	@$(call run_pytest,tests/e2e)

unit: venv
	@$(call run_pytest,tests/unit)

fuzz: venv system-deps  ## the parsers under 20 000 hostile inputs each (make test runs 1000)
	@HYPOTHESIS_PROFILE=fuzz $(call run_pytest,tests/fuzz)

integration: venv
	@$(call run_pytest,tests/integration)

e2e: venv
	@$(call run_pytest,tests/e2e)

lint: venv
	$(BIN)/ruff check .
	$(BIN)/python -m grafana.dashboards_src.generate --check
	$(BIN)/python -m grafana.dashboards_src.lint

dashboards: venv  ## regenerate grafana/dashboards/*.json from grafana/dashboards_src
	$(BIN)/python -m grafana.dashboards_src.generate

seed: venv
	$(BIN)/llmon-mock seed --seed $(SEED) --out $(VAR)/mock.db

scenario: venv  ## switch the running demo's scenario: make scenario S=disk-full
	$(BIN)/llmon-mock scenario set $(S) --db $(VAR)/mock.db

BENCHMARKS ?= node_scrape gpu_scrape container_scrape vllm_fleet litellm_history langfuse_history exporter_load
bench: venv system-deps  ## every benchmark, each printing ratios against its peer; one: make bench BENCHMARKS=vllm_fleet
	@rc=0; for b in $(BENCHMARKS); do echo "== $$b"; $(BIN)/python benchmarks/$$b.py || rc=1; done; exit $$rc

clean:
	rm -rf $(VAR) .pytest_cache .ruff_cache .hypothesis
