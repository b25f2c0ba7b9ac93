# Stockdata: `make run` brings the whole product up on the embedded defaults;
# `make test` runs the whole suite (SQLite + filesystem broker, or PostgreSQL + Redis
# when DATABASE_URL / REDIS_URL are set).

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test lint install install-dev migrate seed worker web check bench-ingest bench-bundle bench-delivery bench-catalogue bench-royalties bench-load bench-detector clean

$(VENV)/bin/activate:
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip wheel

$(VENV)/.installed: requirements.txt $(VENV)/bin/activate
	$(PIP) install --quiet -r requirements.txt
	touch $@

$(VENV)/.installed-dev: requirements-dev.txt requirements.txt $(VENV)/.installed
	$(PIP) install --quiet -r requirements-dev.txt
	touch $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

migrate: install
	$(PY) manage.py migrate --noinput

seed: migrate
	$(PY) manage.py seed_demo

run: seed
	@HOST=$(HOST) PORT=$(PORT) ./scripts/run.sh

test: install-dev
	./scripts/system-deps.sh test
	$(PY) -m pytest $(PYTEST_ARGS)

# The gate CI runs before the tests: style, formatting, the direction of imports
# (pyproject.toml's import-linter contracts), migrations that match the models, and a
# Japanese catalogue with nothing fuzzy, untranslated or missing.
lint: install-dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports
	$(PY) manage.py makemigrations --check --dry-run
	$(PY) scripts/check_translations.py

check: install-dev
	$(PY) manage.py check
	$(PY) manage.py makemigrations --check --dry-run

bench-ingest: install-dev
	./scripts/system-deps.sh bench-ingest
	$(PY) bench/ingest/run.py

bench-catalogue: install-dev
	./scripts/system-deps.sh bench-catalogue
	$(PY) bench/catalogue/run.py

bench-bundle: install-dev
	./scripts/system-deps.sh bench-bundle
	$(PY) bench/bundle/run.py

# SIZE: GB of images in the shared base (the issue's figure is 5; smaller for a quick look).
bench-delivery: install-dev
	./scripts/system-deps.sh bench-delivery
	$(PY) bench/delivery/run.py --gb $(or $(SIZE),5) $(BENCH_ARGS)

bench-royalties: install-dev
	./scripts/system-deps.sh bench-royalties
	$(PY) bench/royalties/run.py

bench-detector: install-dev
	$(PY) bench/detector/run.py

bench-load: install-dev
	./scripts/system-deps.sh bench-load
	$(PY) bench/load/run.py $(BENCH_ARGS)

clean:
	rm -rf var/
