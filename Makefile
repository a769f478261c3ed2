# Every target sets itself up: a fresh machine needs nothing but Python 3.11+.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: test demo bench lint clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

test: $(STAMP)
	$(BIN)/ruff check zonesync tests bench
	$(BIN)/ruff format --check zonesync tests bench
	$(BIN)/python -m pytest -q

demo: $(STAMP)
	$(BIN)/python -m zonesync.demo

$(VENV)/.bench-installed: $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[test,bench]'
	touch $@

bench: $(VENV)/.bench-installed
	$(BIN)/python -m bench

lint: $(STAMP)
	$(BIN)/ruff check zonesync tests bench

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis .demo
