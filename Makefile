# The two commands a developer needs: `make run` and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
HOST ?= 0.0.0.0
PORT ?= 8000

.PHONY: install run serve test lint format totp worker lock clean-data two-node faults

$(STAMP): pyproject.toml requirements.lock
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade "pip>=24"
	$(BIN)/python -m pip install --quiet -c requirements.lock -e ".[dev]"
	touch $(STAMP)

install: $(STAMP)

## Set everything up (venv, database, migrations, demo data) and serve on port 8000; the demo's
## addresses and accounts are printed last, once the server listens.
run: export PUBLIC_PORT ?= $(PORT)
run: install
	@echo "Preparing the database and the demo data..."
	$(BIN)/python manage.py migrate_schemas --noinput -v 0
	$(BIN)/python manage.py seed_demo --no-summary
	$(BIN)/python manage.py serve_demo $(HOST):$(PORT)

## Production mode on this machine: gunicorn (deploy/gunicorn.conf.py) against DATABASE_URL and
## REDIS_URL, static files collected and served by whitenoise. Needs the production variables
## (SECRET_KEY, BASE_DOMAIN, ...; the process lists what is missing). Run `make worker` beside it.
serve: install
	@test -n "$$DATABASE_URL" -a -n "$$REDIS_URL" || { echo "make serve needs DATABASE_URL and REDIS_URL"; exit 1; }
	DJANGO_ENV=production $(BIN)/python manage.py check --deploy --fail-level ERROR
	DJANGO_ENV=production $(BIN)/python manage.py collectstatic --noinput -v 0
	DJANGO_ENV=production $(BIN)/python manage.py migrate_schemas --noinput -v 0 --executor=multiprocessing
	DJANGO_ENV=production WEB_BIND=$${WEB_BIND:-$(HOST):$(PORT)} $(BIN)/gunicorn -c deploy/gunicorn.conf.py

## Run the whole test suite (DATABASE_URL when set, else the embedded PostgreSQL).
test: install
	$(BIN)/python -m pytest

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy .
	$(BIN)/lint-imports

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

## Print the current two-factor code of the demo staff accounts.
totp: install
	@$(BIN)/python manage.py demo_code

## Run a Celery worker with beat (needs REDIS_URL).
worker: install
	$(BIN)/celery -A project worker --beat --loglevel INFO

## Refresh requirements.lock from the installed environment after changing pyproject.toml.
lock:
	$(BIN)/python -m pip freeze --exclude-editable > requirements.lock

clean-data:
	rm -rf .data

## Production configuration on this machine: nginx (TLS) in front of two gunicorn nodes, a
## Celery worker and beat, against DATABASE_URL and REDIS_URL; walks a consumer and two agents
## through it alternating nodes. Needs nginx and openssl (Debian packages).
two-node: install
	$(BIN)/python deploy/two_node_walk.py

## Faults while four API clients log 1,000 complaints: web node and worker killed, Redis
## stopped for 10 s, database connections terminated. Needs DATABASE_URL and redis-server;
## not part of make test. Prints lost / duplicated / undelivered / bad answers (all must be 0).
faults: install
	$(BIN)/python deploy/fault_test.py
