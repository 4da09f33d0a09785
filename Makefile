# One command for each part of the loop. The first run builds .venv from pyproject.toml.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

.PHONY: demo test test-fast lint bench browser serve clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

## demo: install, migrate an SQLite database, load the demo group, print logins, serve on 127.0.0.1:8000
demo: $(STAMP)
	$(BIN)/crisiscell demo

## serve: serve the existing database
serve: $(STAMP)
	$(BIN)/crisiscell serve

## test: the whole suite (CRISISCELL_DATABASE_URL picks SQLite or PostgreSQL)
test: $(STAMP) browser
	$(BIN)/python -m pytest -n 2 --dist loadfile

## test-fast: everything but the browser tests
test-fast: $(STAMP)
	$(BIN)/python -m pytest -n 2 --dist loadfile -m "not browser"

## lint: ruff, and migrations in step with the models
lint: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/crisiscell manage makemigrations --check --dry-run

## bench: benchmarks, figures printed side by side with their baselines
bench: $(STAMP)
	$(BIN)/python bench/impact_bench.py --sites 1000
	$(BIN)/python bench/ledger_bench.py --entries 1000000
	$(BIN)/python bench/log_append_bench.py --entries 2000

## browser: the browser tests drive Debian's Chromium; install it when root and missing
browser:
	@command -v chromium >/dev/null 2>&1 || test -x /usr/bin/chromium || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else echo "Chromium is missing: install the 'chromium' package (the browser tests need it)"; fi; }

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache build src/*.egg-info
