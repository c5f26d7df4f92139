# The one list of everyday commands. `make help` lists them.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PY := .venv/bin/python
MANAGE := $(PY) manage.py

# The test and benchmark services on loopback (scripts/ensure-services.sh).
TEST_DATABASE_URL ?= postgres://stagegate:stagegate@127.0.0.1:5432/stagegate
# Each pytest-xdist worker adds its index to the Redis database number (gw0 14,
# gw1 15), as pytest-django adds it to the test database's name.
TEST_REDIS_URL ?= redis://127.0.0.1:6379/14
# The suite runs on this many pytest-xdist workers; TEST_WORKERS=0 (or
# PYTEST_ARGS='-p no:xdist') runs it serially, in one process.
TEST_WORKERS ?= 2

# Tests run against PostgreSQL. REDIS_URL stays unset so Celery runs eagerly;
# tests that need a real worker read TEST_REDIS_URL and start one themselves.
# DJANGO_ALLOW_ASYNC_UNSAFE is set by tests/browser/conftest.py for the browser
# journeys only: exported here it would leak into subprocesses that tests start
# (tests/test_settings.py runs `check --deploy`, which rejects it).
TEST_ENV := env -u REDIS_URL DATABASE_URL=$(TEST_DATABASE_URL) TEST_REDIS_URL=$(TEST_REDIS_URL)

.PHONY: help venv services run migrate test lint fmt messages bench loadtest worker beat clean

help: ## List the commands
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-8s %s\n", $$1, $$2}'

venv: ## Create .venv and install requirements.lock and requirements-dev.lock (skipped when unchanged)
	@scripts/venv.sh

services: ## Start (or install) PostgreSQL, Redis and Chromium for tests
	@scripts/ensure-services.sh

# make run RUN_ADDR=127.0.0.1:8001 serves on another port.
RUN_ADDR ?= 127.0.0.1:8000

run: venv ## Embedded default: DEBUG off, SQLite and keys in var/, demo data, gunicorn on 127.0.0.1:8000
	scripts/embedded.sh run $(RUN_ADDR)

migrate: venv ## Apply migrations to the configured database (DATABASE_URL or SQLite)
	@mkdir -p var
	$(MANAGE) migrate --noinput

test: venv services ## Lint, import contracts, migration, system and translation checks, then the whole suite on PostgreSQL
	@mkdir -p var/staticfiles
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	.venv/bin/lint-imports
	$(TEST_ENV) $(MANAGE) makemigrations --check --dry-run
	$(TEST_ENV) $(MANAGE) check
	scripts/check-messages.sh
	$(TEST_ENV) $(PY) -m pytest $(if $(findstring no:xdist,$(PYTEST_ARGS)),,-n $(TEST_WORKERS) --dist loadgroup) $(PYTEST_ARGS)

lint: venv ## ruff check and format check, import contracts between apps
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	.venv/bin/lint-imports

fmt: venv ## Fix what ruff can fix and format the code
	$(PY) -m ruff check --fix .
	$(PY) -m ruff format .

messages: venv ## Regenerate the translation catalogues (.po), list what is left to translate, compile them (.mo)
	scripts/check-messages.sh --update

bench: venv services ## Portfolio and API benchmarks at scale; writes var/bench.json
	@mkdir -p var/staticfiles
	env -u REDIS_URL AUDIT_CHECKPOINT_FILE=var/bench-audit-checkpoints.jsonl $(PY) -m tests.bench.run $(BENCH_ARGS)

loadtest: venv services ## Load test on loopback: gunicorn, two Celery workers, locust personas; writes var/loadtest.json
	env -u REDIS_URL $(PY) -m tests.load.run $(LOADTEST_ARGS)

worker: venv ## Celery worker (needs REDIS_URL)
	$(PY) -m celery -A config worker -l info

beat: venv ## Celery beat, the periodic scheduler: run exactly one (needs REDIS_URL)
	@mkdir -p var
	$(PY) -m celery -A config beat -l info --schedule var/celerybeat-schedule

clean: ## Remove .venv, caches and build output (keeps var/db.sqlite3 and media)
	rm -rf .venv .pytest_cache .ruff_cache test-results var/staticfiles var/bench.json
	find . -path ./.git -prune -o -name __pycache__ -type d -prune -exec rm -rf {} +
