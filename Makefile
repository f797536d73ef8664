# Two commands do all set-up on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
AZURITE := .tools/node_modules/.bin/azurite
AZURITE_VERSION := 3.35.0

.PHONY: setup demo test lint bench services clean

setup: $(VENV)/.installed $(AZURITE)

$(VENV)/.installed: requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	touch $@

# Azurite 3.35 is the last release that runs on Node 20.
$(AZURITE):
	npm install --silent --no-audit --no-fund --prefix .tools azurite@$(AZURITE_VERSION)

demo: setup
	$(BIN)/python -m tools.demo

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

test: lint
	$(BIN)/python -m pytest -q
	bash scripts/check_infra.sh

# Azurite and the Graph API emulator where local.settings.json expects them.
services: setup
	$(BIN)/python -m tools.local_services

bench: setup
	$(BIN)/python -m bench.run

clean:
	rm -rf .demo .pytest_cache .ruff_cache
