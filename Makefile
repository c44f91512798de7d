# RoleCall. `make run` serves the app on http://127.0.0.1:8000; `make test` runs every test.
# PYTHON is the interpreter that creates .venv; pyenv's shim honours .python-version (3.12).

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.install.stamp
LOAD_STAMP := $(VENV)/.load.stamp
CHROMIUM := /usr/bin/chromium

.DEFAULT_GOAL := help
.PHONY: help venv install install-load browsers migrate run test test-postgres lint bench loadtest emulator-suite

help:
	@echo "make run      install, migrate, serve http://127.0.0.1:8000"
	@echo "make test     install, check for Chromium, run every test (browser tests too)"
	@echo "make test-postgres  the tests again on a throwaway PostgreSQL server (no browser tests)"
	@echo "make lint     ruff check and ruff format --check"
	@echo "make bench    policy engine, World.call, save/load, fleet-tick, workspace, wildcard, terminal"
	@echo "              and dashboard (a class of 100) benchmarks"
	@echo "make loadtest 200 learners in one class against gunicorn, on SQLite then PostgreSQL"
	@echo "              (about 5 minutes each; LOADTEST_DB=sqlite or postgres for one)"

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

install-load: $(LOAD_STAMP)

$(LOAD_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[test,load]"
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

# .ci/postgres starts a private PostgreSQL server (Debian's packages; apt-installs them when
# run as root), runs the command with DATABASE_URL pointing at it, then stops and deletes it.
# fsync is off: nothing in a test database needs to survive a crash.
test-postgres: install
	PG_DURABLE=0 bash .ci/postgres $(BIN)/pytest -m "not e2e"

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

bench: install
	$(BIN)/python -m simulator.iam.conformance --bench 4 ../shared/conformance | tail -2
	$(BIN)/python benchmarks/world.py
	$(BIN)/python benchmarks/fleet_tick.py
	$(BIN)/python benchmarks/workspace.py
	$(BIN)/python benchmarks/wildcard.py
	$(BIN)/python benchmarks/terminal.py
	$(BIN)/python benchmarks/dashboard.py

# moto's IAM, STS, S3 and EC2 tests against the simulated account (issue 13): its own venv and
# the unpacked tests under /tmp, the report in /tmp/emulator-report.md (scripts/emulator_suite.py).
emulator-suite: install
	$(BIN)/python scripts/emulator_suite.py

LOADTEST_DB ?= sqlite postgres
LOADTEST_ARGS ?=

loadtest: install install-load
	@for db in $(LOADTEST_DB); do \
		case $$db in \
			sqlite) env -u DATABASE_URL $(BIN)/python benchmarks/loadtest/run.py $(LOADTEST_ARGS) || exit 1 ;; \
			postgres) bash .ci/postgres $(BIN)/python benchmarks/loadtest/run.py $(LOADTEST_ARGS) || exit 1 ;; \
			*) echo "LOADTEST_DB: sqlite and/or postgres, not $$db"; exit 2 ;; \
		esac; \
	done
