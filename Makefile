# Cunyi developer commands. `make help` lists them.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)
TEST_STAMP := $(VENV)/.test-installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)
CUNYI_TEST_POSTGRES_URL ?= postgresql://127.0.0.1:5432/test
export CUNYI_TEST_POSTGRES_URL

.PHONY: help install run run-lan test test-sqlite test-postgres lint messages chromium speech bench clean

help:
	@echo "make run      - set up .venv, migrate, load the demo if empty, serve on :8000"
	@echo "make run-lan  - the same on the village network, printing the addresses phones open"
	@echo "make test     - the whole suite on SQLite and, side by side, on PostgreSQL when reachable"
	@echo "make install  - create .venv and install Cunyi"
	@echo "make lint     - ruff, mypy and the layers contract (lint-imports)"
	@echo "make messages - extract translatable strings and update the English catalog"
	@echo "make bench    - benchmarks: table + bench/results.json (SQLite, PostgreSQL if reachable)"
	@echo "make test-sqlite / make test-postgres - one database only (add ARGS='-k name')"
	@echo "make chromium - install Debian's Chromium for the browser tests (as root)"
	@echo "make speech   - install espeak-ng and opusenc, which read ballots aloud (as root)"
	@echo "make clean    - remove .venv and tool caches (keeps data/)"

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/pip install --quiet -e .
	@touch $@

$(TEST_STAMP): $(BIN)/python pyproject.toml
	$(BIN)/pip install --quiet -e ".[test]"
	@touch $@

install: $(STAMP)

run: $(STAMP)
	$(BIN)/cunyi serve

# For an assembly: listen on the village network and print the addresses phones can open.
run-lan: $(STAMP)
	$(BIN)/cunyi serve --lan

test: $(TEST_STAMP)
	@bash scripts/test.sh $(ARGS)

test-sqlite: $(TEST_STAMP)
	CUNYI_TEST_DATABASE=sqlite $(BIN)/pytest $(ARGS)

test-postgres: $(TEST_STAMP)
	CUNYI_TEST_DATABASE=postgresql $(BIN)/pytest $(ARGS)

lint: $(TEST_STAMP)
	$(BIN)/ruff check app assessment ballots compacts meetings minutes slips surveys tests migrations
	$(BIN)/ruff format --check app assessment ballots compacts meetings minutes slips surveys tests
	$(BIN)/mypy
	$(BIN)/lint-imports

messages: $(TEST_STAMP)
	$(BIN)/pybabel extract --no-location --omit-header --sort-output -F babel.cfg \
		-k _ -k gettext_ -k lazy -k lazy_in:1c,2 -k ngettext_:1,2 -o translations/messages.pot .
	$(BIN)/pybabel update --no-fuzzy-matching --ignore-obsolete --ignore-pot-creation-date \
		-i translations/messages.pot -d translations -l en

# Benchmarks: one run (<= 10 min on 2 cores) prints a table and writes bench/results.json,
# each machine-dependent figure with a baseline measured in the same run. See bench/run.py.
bench: $(TEST_STAMP)
	$(BIN)/python bench/run.py

chromium:
	@bash scripts/ensure-chromium.sh

speech:
	@bash scripts/ensure-espeak.sh

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
