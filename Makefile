# Hippo: the two commands of the quick start are `make run` and `make test`.
# Every target bootstraps .venv (a Python >= 3.12 found by scripts/find-python.sh) on first use.

VENV := .venv
PY := $(VENV)/bin/python
# Development commands get a secret key (Hippo refuses to start without one unless DJANGO_DEBUG=true):
# DJANGO_SECRET_KEY or .env's, else one generated once into var/dev-secret-key (scripts/dev-env.sh).
MANAGE := scripts/dev-env.sh $(PY) manage.py
PORT ?= 8000

.PHONY: run test bootstrap migrate data lint hooks format typecheck pytest train bench clean

bootstrap:
	@scripts/bootstrap.sh dev

migrate: bootstrap
	@$(MANAGE) migrate --noinput -v 0

# MNIST: HIPPO_MNIST_DIR, the local cache, or a verified download. Offline without data is not fatal
# for `make run`: the service starts and /readyz and the demo page say that MNIST is missing.
data: bootstrap
	@$(MANAGE) fetch_mnist || echo "warning: MNIST is not available yet; see README (HIPPO_MNIST_DIR)"

# The server and one training worker (django-tasks-db's db_worker); Ctrl-C stops both.
run: migrate data
	@$(MANAGE) ensure_model
	scripts/dev-env.sh scripts/serve-with-worker.sh $(PY) $(PORT)

# ESLint checks the demo page's JavaScript; scripts/fetch-eslint.sh fetches it (pinned) from the
# npm registry into ~/.cache/hippo on first use, as the browser tests' axe-core.
lint: bootstrap
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports
	$(VENV)/bin/pre-commit validate-config .pre-commit-config.yaml
	scripts/eslint.sh

# The same checks before every commit (ruff, the layering, ESLint) and mypy before a push.
hooks: bootstrap
	$(VENV)/bin/pre-commit install --hook-type pre-commit --hook-type pre-push

format: bootstrap
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

typecheck: bootstrap
	$(VENV)/bin/mypy

# The suite runs twice: on SQLite (the default database), then on a throw-away PostgreSQL server
# that scripts/with-postgres.sh starts and removes (installing Debian's postgresql when missing);
# there HIPPO_REQUIRE_POSTGRES=1 makes the PostgreSQL-only tests (two server instances on one
# database) fail instead of skipping. The second pass leaves out the browser tests: they drive the
# same views through Chromium (about 40 s) and reach the database only through code the API,
# live-server, admin and two-instance tests already run on PostgreSQL over HTTP. It also leaves out
# the tests marked own_sqlite (gunicorn on a SQLite project of their own: a kill -9 of a worker,
# gunicorn's limits), which would run exactly as in the first pass.
pytest: bootstrap
	@scripts/ensure-chromium.sh
	$(VENV)/bin/pytest
	scripts/with-postgres.sh $(VENV)/bin/pytest -m "not browser and not own_sqlite"

test: lint typecheck pytest

train: migrate data
	$(MANAGE) train_mnist

# api_throughput drives both servers with wrk (Debian's package); installed here when root.
bench: bootstrap
	@command -v wrk >/dev/null || { [ "$$(id -u)" = 0 ] && apt-get update -qq && apt-get install -y -qq wrk >/dev/null; } \
		|| { echo "bench: install wrk (sudo apt-get install wrk)" >&2; exit 1; }
	$(PY) -m bench.train_speed
	$(PY) -m bench.api_throughput
	$(PY) -m bench.image_decode
	$(PY) -m bench.login_flood

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
