# The two quick-start commands: `make run` and `make test`. Both set up .venv on first use.
PYTHON ?= python3
VENV := .venv
STAMP := $(VENV)/.installed-stamp

.PHONY: run test lint demo bench

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install -q --disable-pip-version-check --upgrade pip
	$(VENV)/bin/pip install -q --disable-pip-version-check -e '.[dev]'
	touch $(STAMP)

run: $(STAMP)
	$(VENV)/bin/coachbot run

# Two workers: most tests wait on subprocesses and sockets, so two share the 2 cores well.
TEST_WORKERS ?= 2
test: $(STAMP)
	$(VENV)/bin/pytest -n $(TEST_WORKERS) --dist worksteal

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports

demo: $(STAMP)
	$(VENV)/bin/coachbot demo --reset

# Every benchmark in bench/ (quick sizes) and one table of figures, baselines and targets.
bench: $(STAMP)
	$(VENV)/bin/python bench/run_all.py
