# Two entry points for a fresh Debian/Ubuntu machine with Python 3.10+:
#   make demo   runtime-only venv, install the package, recognize an example photo
#   make test   dev venv with the build stage, lint, then the whole test suite
PYTHON ?= python3
RUN_VENV := .venv-run
DEV_VENV := .venv
DEMO_IMAGE ?= examples/note.jpg

.PHONY: demo test lint format clean

$(RUN_VENV)/bin/hwr-edge: pyproject.toml $(wildcard hwr_edge/*.py hwr_edge/bench/*.py) $(wildcard models/*)
	$(PYTHON) -m venv $(RUN_VENV)
	$(RUN_VENV)/bin/pip install --quiet --upgrade pip
	$(RUN_VENV)/bin/pip install --quiet .
	touch $@

demo: $(RUN_VENV)/bin/hwr-edge
	$(RUN_VENV)/bin/hwr-edge recognize $(DEMO_IMAGE)

$(DEV_VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(DEV_VENV)
	$(DEV_VENV)/bin/pip install --quiet --upgrade pip
	$(DEV_VENV)/bin/pip install --quiet -e ".[build,dev]"
	touch $@

lint: $(DEV_VENV)/.installed
	$(DEV_VENV)/bin/ruff check .
	$(DEV_VENV)/bin/ruff format --check .

test: lint
	$(DEV_VENV)/bin/python -m pytest -ra; rc=$$?; [ $$rc -eq 5 ] && echo "pytest collected no tests" >&2; exit $$rc

format: $(DEV_VENV)/.installed
	$(DEV_VENV)/bin/ruff format .
	$(DEV_VENV)/bin/ruff check --fix .

clean:
	rm -rf $(RUN_VENV) build dist *.egg-info .pytest_cache .ruff_cache
