# Loop311 — `make run` starts the whole suite locally, `make test` installs and runs the tests.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
PG ?= postgresql://postgres@127.0.0.1:5432
export AMQP_URI ?= pyamqp://guest:guest@127.0.0.1:5672/
export INTAKE_DATABASE_URL ?= $(PG)/loop311_intake
export ROUTING_DATABASE_URL ?= $(PG)/loop311_routing
export SLA_DATABASE_URL ?= $(PG)/loop311_sla
export NOTIFY_DATABASE_URL ?= $(PG)/loop311_notify
export OPEN311_API_KEYS ?= local-dev-key
# Local credentials for `make run` only, documented in the README. Anywhere else a
# service with no tokens configured refuses every authenticated call.
run: export STAFF_API_TOKENS ?= local-staff:local-staff-token
run: export DISPATCHER_API_TOKENS ?= local-dispatcher:local-dispatcher-token
run: export ADMIN_API_TOKENS ?= local-admin:local-admin-token
run: export EMAIL_WEBHOOK_TOKENS ?= local-mail:local-mail-token
run: export LOOP311_ADMIN_TOKEN ?= local-admin-token
run: export UNSUBSCRIBE_SECRET ?= local-unsubscribe-secret
# Texts go to the local SMS provider (devtools/sms_provider.py), which keeps them in var/sms/.
run: export TWILIO_ACCOUNT_SID ?= ACloop311local
run: export TWILIO_AUTH_TOKEN ?= local-twilio-token
run: export SMS_FROM ?= +17275550311
run: export SMS_BASE_URL ?= http://127.0.0.1:8005
run: export RESIDENT_TIME_ZONE ?= America/New_York
# Push goes to the local push service (devtools/push_service.py), which keeps it in var/push/:
# Web Push with a VAPID key made for local use only, and FCM with a local token.
run: export VAPID_PRIVATE_KEY ?= Ei3XeF--AwUSuYZJ6qAHH7hUJGq3LcxcA9oVMk-vaSM
run: export PUSH_ALLOW_HTTP ?= true
run: export FCM_BASE_URL ?= http://127.0.0.1:8006
run: export FCM_PROJECT_ID ?= loop311-local
run: export FCM_ACCESS_TOKEN ?= local-fcm-token
# The demo platform: Pinellas County and its cities (config/demo/).
run: export JURISDICTION_ID ?= pinellas-county
PACKAGES := -e contracts -e shared -e services/intake -e services/routing -e services/sla -e services/notify

.PHONY: install run test test-e2e test-unit test-integration-first test-integration-rest bench profile clean

install: $(VENV)/.installed

$(VENV)/.installed: constraints.txt requirements-dev.txt contracts/pyproject.toml shared/pyproject.toml services/*/pyproject.toml devtools/asyncapi/package-lock.json
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt $(PACKAGES) -r requirements-dev.txt
	npm ci --prefix devtools/asyncapi --no-audit --no-fund --silent
	touch $@

run: install
	$(BIN)/python scripts/create_databases.py $(INTAKE_DATABASE_URL) $(ROUTING_DATABASE_URL) $(SLA_DATABASE_URL) $(NOTIFY_DATABASE_URL)
	@echo "Loop311 is starting:"
	@echo "  intake   http://127.0.0.1:8001/open311/v2/services.json  (POST /open311/v2/requests.json)"
	@echo "  routing  http://127.0.0.1:8002/health"
	@echo "  sla      http://127.0.0.1:8003/health"
	@echo "  notify   http://127.0.0.1:8004/health"
	@echo "  metrics  /metrics on each; RabbitMQ http://127.0.0.1:15672; mail sink: var/mail/new/"
	@echo "  sms      local provider http://127.0.0.1:8005 (Twilio's API); texts in var/sms/"
	@echo "  push     local push service http://127.0.0.1:8006 (Web Push, FCM, APNs); var/push/"
	@echo "  integrators  notify /integrations/v1/integrators and /webhooks (admin token);"
	@echo "           docs/integrators/README.md, docs/asyncapi.yaml"
	@echo "  tokens   staff local-staff-token, dispatcher local-dispatcher-token,"
	@echo "           admin local-admin-token, mail webhook local-mail-token"
	@echo "  config   config/demo/*.yml (catalog, directory, policies, topics) imported through"
	@echo "           the admin APIs once the services are up; with ../shared/data beside the"
	@echo "           checkout, New Haven's resident reports teach intake's category model"
	PATH=$(CURDIR)/$(BIN):$$PATH $(BIN)/honcho start -f Procfile

# The end-to-end tests stop and start this machine's broker and database: beside them run
# only the unit tests, which use neither. Then the integration tests run in two halves side
# by side (each test has its own vhost and databases). Each part's output is printed whole
# when it ends, with its slowest tests.
PYTEST := $(BIN)/python -m pytest --durations=10
FIRST_HALF := tests/integration/test_[a-n]*.py tests/integration/test_open311_*.py
PARALLEL := $(MAKE) --no-print-directory -j2 --output-sync=target

test: install
	$(BIN)/ruff check .
	$(PARALLEL) test-e2e test-unit
	$(PARALLEL) test-integration-first test-integration-rest

test-e2e: install
	$(PYTEST) tests/e2e

test-unit: install
	$(PYTEST) tests/unit

test-integration-first: install
	$(PYTEST) $(FIRST_HALF)

test-integration-rest: install
	$(PYTEST) tests/integration $(foreach half,$(FIRST_HALF),--ignore-glob='$(half)')

bench: install
	$(BIN)/python bench/category_inference.py
	$(BIN)/python bench/routing.py
	$(BIN)/python bench/sla_scale.py
	$(BIN)/python bench/sms.py
	$(BIN)/python bench/broadcast.py
	$(BIN)/python bench/webhooks.py
	$(BIN)/python bench/e2e.py

# Where each service's CPU goes under the benchmark's load: var/profile/<service>.pstat and
# summary.txt (bench/README.md says how to read them).
profile: install
	$(BIN)/python bench/e2e.py --profile var/profile

clean:
	rm -rf $(VENV) var .pytest_cache
