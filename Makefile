# RoleCall. `make run` serves the app on http://127.0.0.1:8000; `make test` runs every test.
# PYTHON is the interpreter that creates .venv; pyenv's shim honours .python-version (3.12).

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.install.stamp
CHROMIUM := /usr/bin/chromium

.DEFAULT_GOAL := help
.PHONY: help venv install browsers migrate run test lint bench

help:
	@echo "make run      install, migrate, serve http://127.0.0.1:8000"
	@echo "make test     install, check for Chromium, run every test (browser tests too)"
	@echo "make lint     ruff check and ruff format --check"
	@echo "make bench    policy engine, World.call, save/load and fleet-tick benchmarks"

venv: $(BIN)/python

$(BIN)/python:
	@version=$$($(PYTHON) -c 'import platform; print(platform.python_version())') \
		|| { echo "RoleCall needs Python >= 3.12 ('$(PYTHON)' did not run); install it or use pyenv"; exit 1; }; \
	$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 12))' \
		|| { echo "RoleCall needs Python >= 3.12 (found $$version); install it or use pyenv"; exit 1; }
	$(PYTHON) -m venv $(VENV)

install: $(STAMP)

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[test]"
	@touch $@

browsers:
	@if [ -x $(CHROMIUM) ]; then \
		echo "Chromium: $(CHROMIUM)"; \
	elif [ "$$(id -u)" = 0 ]; then \
		echo "Installing Debian's chromium for the browser tests"; \
		apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y chromium; \
	else \
		echo "Browser tests need Debian's chromium at $(CHROMIUM): run 'sudo apt-get install -y chromium'"; \
		exit 1; \
	fi

migrate: install
	$(BIN)/python manage.py migrate --noinput

run: install migrate
	$(BIN)/python manage.py validate_scenarios
	$(BIN)/python manage.py runserver 127.0.0.1:8000

test: install browsers
	$(BIN)/pytest

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

bench: install
	$(BIN)/python -m simulator.iam.conformance --bench 4 ../shared/conformance | tail -2
	$(BIN)/python benchmarks/world.py
	$(BIN)/python benchmarks/fleet_tick.py
	$(BIN)/python benchmarks/workspace.py
