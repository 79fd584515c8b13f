# Patient Order Service: every command a person types. `make help` lists them.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
HOST   ?= 127.0.0.1
# The test OpenID Provider (npm oidc-provider), installed from its lock file.
OIDC_TEST_PROVIDER := tests/support/oidc/node_modules/.package-lock.json
# axe-core for the desk's browser tests (npm), installed from its lock file.
BROWSER_TEST_TOOLS := tests/support/browser/node_modules/.package-lock.json
PORT   ?= 8000

.DEFAULT_GOAL := help
.PHONY: help run test fuzz bench bench-sms lint lint-deploy format typecheck migrations-check check lock clean

help: ## List the commands
	@grep -hE '^[a-z][a-z_-]*:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-18s %s\n", $$1, $$2}'

run: $(VENV)/.deps .env ## Set everything up and serve the API on http://$(HOST):$(PORT), with the SMS worker
	$(BIN)/python manage.py migrate --no-input
	$(BIN)/python manage.py ensure_dev_client --base-url http://$(HOST):$(PORT)
	@# The SMS worker runs beside the web server and gets SIGTERM (finishing the messages in
	@# hand) when runserver exits or you press Ctrl-C.
	$(BIN)/python manage.py sms_worker & worker=$$!; \
	trap 'kill -TERM $$worker 2>/dev/null; wait $$worker' EXIT INT TERM; \
	$(BIN)/python manage.py runserver $(HOST):$(PORT)

test: $(VENV)/.deps-dev $(OIDC_TEST_PROVIDER) $(BROWSER_TEST_TOOLS) ## Run the whole test suite (SQLite, or PostgreSQL when DATABASE_URL says so)
	$(BIN)/pytest --cov --cov-report=term $(PYTEST_ARGS)

fuzz: $(VENV)/.deps-dev ## schemathesis at depth against gunicorn for FUZZ_SECONDS (default 600; PostgreSQL when DATABASE_URL says so)
	$(BIN)/python tests/fuzz.py

bench: $(VENV)/.deps-dev $(OIDC_TEST_PROVIDER) ## Benchmark against same-run baselines (PostgreSQL, wrk); writes bench/results/
	$(BIN)/python bench/run.py $(BENCH_ARGS)

bench-sms: $(VENV)/.deps-dev ## SMS worker throughput against the gateway double at 200 ms a call
	$(BIN)/python bench/sms_worker.py

lint: $(VENV)/.deps-dev ## ruff: lint and formatting
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

lint-deploy: $(VENV)/.deps-dev ## Lint the Dockerfile, compose.yaml, workflows, Kubernetes manifests and alerts
	$(BIN)/hadolint Dockerfile
	$(BIN)/check-jsonschema --builtin-schema vendor.compose-spec compose.yaml
	$(BIN)/actionlint .github/workflows/*.yml
	$(BIN)/kubernetes-validate --strict --quiet $(filter-out %/kustomization.yaml,$(wildcard deploy/kubernetes/*.yaml))
	$(BIN)/kubernetes-validate --strict --quiet deploy/kubernetes/components/backup/backup-*.yaml
	@# The alerts: promtool (Debian's `prometheus` package) checks them and runs their tests.
	$(BIN)/python deploy/check_prometheus_rules.py

format: $(VENV)/.deps-dev ## Apply ruff's fixes and formatting
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

typecheck: $(VENV)/.deps-dev ## mypy with the Django and DRF plugins
	$(BIN)/mypy .

migrations-check: $(VENV)/.deps-dev ## Fail if a model change has no migration
	SECRET_KEY=migrations-check OIDC_ISSUER=https://migrations-check.invalid $(BIN)/python manage.py makemigrations --check --dry-run

check: lint typecheck migrations-check lint-deploy test ## Everything CI checks, on the current database

lock: ## Re-pin requirements*.txt from pyproject.toml (needs uv: pip install uv)
	uv pip compile pyproject.toml -q --python-version 3.11 --no-header -o requirements.txt
	uv pip compile pyproject.toml --extra dev -q --python-version 3.11 --no-header -o requirements-dev.txt

clean: ## Remove the virtualenv, caches and the development and benchmark databases
	rm -rf $(VENV) .mypy_cache .ruff_cache .coverage staticfiles db.sqlite3 var/*.sqlite3

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.deps: requirements.txt | $(VENV)/bin/python
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements.txt
	touch $@

$(VENV)/.deps-dev: requirements-dev.txt | $(VENV)/bin/python
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@ $(VENV)/.deps

$(OIDC_TEST_PROVIDER): tests/support/oidc/package-lock.json
	npm ci --prefix tests/support/oidc --no-audit --no-fund

$(BROWSER_TEST_TOOLS): tests/support/browser/package-lock.json
	npm ci --prefix tests/support/browser --no-audit --no-fund

# A development .env on first run: DEBUG on and a random secret key, never committed.
.env:
	@printf 'DEBUG=on\nSECRET_KEY=%s\n' "$$($(PYTHON) -c 'import secrets; print(secrets.token_urlsafe(50))')" > $@
	@echo "Wrote a development .env (DEBUG=on). See .env.example for every setting."
