# Every target sets itself up: a fresh machine needs nothing but Python 3.11+.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: test test-interop demo bench lint clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test,emulator]'
	touch $(STAMP)

test: $(STAMP)
	$(BIN)/ruff check zonesync tests bench
	$(BIN)/ruff format --check zonesync tests bench
	$(BIN)/mypy zonesync
	$(BIN)/python -m pytest -q

# Real servers (Debian's nginx, Knot, unbound, postfix, opendkim, swaks) and a real GitLab runner
# (gitlab-ci-local): tests/interop/install.sh installs what is missing (root: apt-get; npm into
# .interop-cache/), then the layer runs (docs/interop.md). Without root it skips, saying why;
# ZONESYNC_INTEROP=required turns any skip into a failure (CI).
test-interop: $(STAMP)
	bash tests/interop/install.sh
	$(BIN)/python -m pytest tests/interop

demo: $(STAMP)
	$(BIN)/python -m zonesync.cli.demo

# The bench times zonesync as a user installs it: a regular install (not editable) in a virtualenv of its
# own with octoDNS, without the test tools, which change what the SDK imports (docs/performance.md).
# zonesync is reinstalled whenever its files change.
BENCH_VENV := .venv-bench
BENCH_BIN  := $(BENCH_VENV)/bin
SOURCES    := $(shell find zonesync -type f -not -path '*/__pycache__/*')

$(BENCH_VENV)/.installed: pyproject.toml $(SOURCES)
	test -x $(BENCH_BIN)/python || $(PYTHON) -m venv $(BENCH_VENV)
	$(BENCH_BIN)/python -m pip install --quiet --upgrade pip
	$(BENCH_BIN)/python -m pip install --quiet '.[bench,emulator]'
	rm -rf build  # setuptools would put modules left from an earlier build into the wheel
	$(BENCH_BIN)/python -m pip install --quiet --no-deps --force-reinstall .
	touch $@

bench: $(BENCH_VENV)/.installed
	$(BENCH_BIN)/python -m bench

lint: $(STAMP)
	$(BIN)/ruff check zonesync tests bench

clean:
	rm -rf $(VENV) $(BENCH_VENV) .pytest_cache .ruff_cache .hypothesis .demo .interop-cache
