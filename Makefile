# `make run` and `make test` work on a fresh machine with only Python installed.
# `make run` installs what the server needs (requirements.txt), `make test` adds the test tools.
# Commands outside make run from the virtual environment: `.venv/bin/flask --app wsgi <command>`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
RUN_STAMP := $(VENV)/.installed-run
STAMP := $(VENV)/.installed
export FLASK_APP := wsgi

.PHONY: run demo test lint format migrate install clean bench

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --upgrade pip

$(RUN_STAMP): $(BIN)/python requirements.txt
	$(BIN)/python -m pip install --progress-bar on -r requirements.txt
	touch $(RUN_STAMP)

$(STAMP): $(RUN_STAMP) requirements-dev.txt
	$(BIN)/python -m pip install --progress-bar on -r requirements-dev.txt
	touch $(STAMP)

install: $(STAMP)

migrate: $(RUN_STAMP)
	$(BIN)/flask db upgrade

run: migrate
	$(BIN)/python wsgi.py

# A dozen users, posts, stories and chats to work against (refused in production).
demo: migrate
	$(BIN)/flask seed-demo

test: $(STAMP)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# Load and scale benchmarks on PostgreSQL (bench/README.md); not part of `make test`.
bench: $(STAMP)
	$(BIN)/python bench/run.py $(BENCH_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
