# The two commands of the README: `make run` and `make test`. Both set up .venv when needed.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP_RUN := $(VENV)/.installed-run
STAMP_DEV := $(VENV)/.installed-dev
STAMP_OPT := $(VENV)/.compiled-opt2

.PHONY: run test lint format migrate chat bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP_RUN): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(STAMP_DEV): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@ $(STAMP_RUN)

# The bot runs as deployed (docs/deploy.md): `python -OO`, without docstrings and asserts, from
# bytecode compiled for that once, and without column ranges in its line tables: 8 MB less
# resident memory (bench/README.md, idle RSS).
$(STAMP_OPT): $(STAMP_RUN)
	$(BIN)/python -m compileall -q -o 2 -j 0 $(VENV)/lib >/dev/null
	touch $@

run: $(STAMP_OPT)
	@PYTHONOPTIMIZE=2 PYTHONNODEBUGRANGES=1 PYTHONDONTWRITEBYTECODE= $(BIN)/citizenbot run

chat: $(STAMP_RUN)
	@$(BIN)/citizenbot chat

migrate: $(STAMP_RUN)
	$(BIN)/citizenbot migrate

# The tests start many Python processes (the command line, the bot under test, preflight):
# cached bytecode spares each one compiling the project again, wherever
# PYTHONDONTWRITEBYTECODE is set in the environment.
test: $(STAMP_DEV)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	PYTHONDONTWRITEBYTECODE= $(BIN)/pytest

lint: $(STAMP_DEV)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP_DEV)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

bench: $(STAMP_DEV)
	$(BIN)/python bench/inbound.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
