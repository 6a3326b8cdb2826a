# The two commands: `make run` starts the product, `make test` runs every test.
# Both set themselves up: a virtual environment in .venv, the install, the migrations.

PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
PYTEST_ARGS ?=
PORT ?= 8000

.PHONY: run test test-fast test-browser install migrate demo bench screenshots clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

migrate: install
	$(PY) manage.py migrate --noinput

demo: migrate
	$(PY) manage.py seed_demo

## Start web (ASGI: HTTP + WebSocket), Celery worker and beat, with demo data; Ctrl-C stops all.
run: demo
	$(PY) manage.py runall --port $(PORT)

## Run the whole suite: the main run, then the browser journeys in their own run.
test: install
	$(PY) -m pytest -m "not browser" $(PYTEST_ARGS)
	$(PY) -m pytest -m browser $(PYTEST_ARGS)

test-fast: install
	$(PY) -m pytest -m "not browser" -x $(PYTEST_ARGS)

test-browser: install
	$(PY) -m pytest -m browser $(PYTEST_ARGS)

bench: install
	$(PY) bench/run_all.py

screenshots: install
	$(PY) docs/make_screenshots.py

clean:
	rm -rf $(VENV) var helpdesk.sqlite3*
