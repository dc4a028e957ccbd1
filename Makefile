# The targets README, CI and developers all run.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo demo-federation test test-fast check bench clean install system-deps

$(STAMP): pyproject.toml requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip==25.2
	$(BIN)/pip install --quiet -c requirements.lock -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

system-deps:
	sh scripts/install-system-deps.sh

demo: $(STAMP) system-deps
	$(BIN)/socle demo

demo-federation: $(STAMP)
	$(BIN)/socle demo --federated --home socle-federation-demo

# Random order (pytest-randomly; the seed is printed: rerun with -p randomly --randomly-seed=N),
# on every core (pytest-xdist), coverage floor from pyproject.toml, the slowest tests listed.
test: $(STAMP) system-deps
	$(BIN)/pytest -n auto --dist loadscope --no-loadscope-reorder --cov --cov-report=term --durations=15

test-fast: $(STAMP)
	$(BIN)/pytest -n auto --dist loadscope --no-loadscope-reorder -m "not slow" -p no:randomly

check: $(STAMP)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks
	$(BIN)/mypy

bench: $(STAMP)
	$(BIN)/python benchmarks/run.py

clean:
	rm -rf $(VENV) socle-home .pytest_cache
