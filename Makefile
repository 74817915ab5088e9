# Every target installs what it needs into .venv first (only Python 3.11 is assumed).
PYTHON_BOOT ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run test test-sqlite test-postgres lint bench clean

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON_BOOT) -m venv $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check --upgrade pip
	$(PY) -m pip install -q --disable-pip-version-check -e '.[dev]'
	touch $(STAMP)

run: $(STAMP)
	@$(PY) -m bot

# The whole suite twice: on SQLite, then on a throwaway PostgreSQL server (tests/pg_server.py);
# both passes always run, and the target fails if either failed.
test: $(STAMP)
	@status=0; \
	$(PY) -m pytest || status=1; \
	$(PY) -m tests.pg_server -- $(PY) -m pytest || status=1; \
	exit $$status

test-sqlite: $(STAMP)
	$(PY) -m pytest

test-postgres: $(STAMP)
	$(PY) -m tests.pg_server -- $(PY) -m pytest

lint: $(STAMP)
	$(VENV)/bin/ruff check bot delivery handlers render store tests bench
	$(VENV)/bin/mypy

bench: $(STAMP)
	$(PY) -m bench.run_all

clean:
	rm -rf $(VENV) data/*.db
