# The two commands of the README: `make serve` and `make test`. Both create the virtual environment and
# install what they need first, so they work on a fresh machine with Python 3.11+.
VENV ?= .venv
PY := $(VENV)/bin/python
PACKAGES := domain constraints scoring matching planning interop store api fixtures benchmarks tests

.PHONY: install serve test lint

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $@

serve: install
	$(VENV)/bin/placematch serve --demo

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy $(PACKAGES)

test: lint
	$(PY) -m pytest
