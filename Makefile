# The two commands a newcomer needs: `make run` and `make test`. Both install what is missing.
SHELL := /bin/bash
.DEFAULT_GOAL := help

UV = $(shell bash deploy/local/uv.sh)
PY := .venv/bin/python
DEMO ?= 1
SCOPES ?= audits:read audits:write escalations:read escalations:write feedback:read feedback:write activity:read activity:write reports:read
TENANT ?= 886
TTL ?= 3600
PROVIDER ?=
SERVICE_PACKAGES := audit_service escalation_service feedback_service reporting_service activity_service
# plaintext (the default), or sasl_ssl: `make run KAFKA_SECURITY=sasl_ssl` runs Kafka with TLS, a SCRAM
# user per service and ACLs, and the services with their users (deploy/local/README.md).
KAFKA_SECURITY ?= plaintext
export KAFKA_SECURITY

.PHONY: help install infra migrate keys run stop test token lint rebuild-reports contracts bench

help:
	@echo "make run    start Kafka, PostgreSQL and the five services with demo data (DEMO=0 skips it)"
	@echo "make stop   stop what make run started"
	@echo "make test   run every test against real Kafka and PostgreSQL"
	@echo "make token  SCOPES=\"audits:write reports:read\" TENANT=886 [PROVIDER=name] [TTL=seconds]"
	@echo "           (other scopes: reports:read_unsuppressed, reports:admin for benchmark files, admin)"
	@echo "make lint   ruff and mypy"
	@echo "make rebuild-reports  rebuild reporting's projections from the topics (service keeps answering)"
	@echo "make contracts  rewrite deploy/asyncapi.yaml, deploy/schemas/ and deploy/openapi/ from the code"
	@echo "make bench  run the benchmarks (bench/README.md); BENCH=\"write_path end_to_end\" picks some"

# WeasyPrint's libraries from Debian's packages (deploy/local/debian-packages.sh), then the venv.
install:
	@bash deploy/local/debian-packages.sh runtime
	@$(UV) sync --frozen --quiet

# The development JWKS and signing key, and activity-service's child_key secret (never
# overwritten once made: every child_key already published depends on it).
keys: install
	@$(PY) -c "from qaf_shared.devtoken import ensure_child_key_secret, ensure_keys; ensure_keys(); ensure_child_key_secret()"

infra: install
	@bash deploy/local/postgres.sh start
	@bash deploy/local/kafka.sh start
	@if [ "$(KAFKA_SECURITY)" = sasl_ssl ]; then set -a; eval "$$(bash deploy/local/kafka.sh env admin)"; set +a; fi; \
		$(PY) -m qaf_shared.kafka

# The five databases migrate at once (each is its own database), as each one's owner role,
# granting the runtime role <pkg>_app the service runs as its row privileges; a failure shows
# that service's migration log and stops make.
migrate: infra
	@mkdir -p .run/logs; pids=""; \
	for pkg in $(SERVICE_PACKAGES); do \
		QA_DATABASE_URL=postgresql://$$pkg:$$pkg@127.0.0.1:5432/$$pkg QA_DATABASE_RUNTIME_ROLE=$${pkg}_app \
			$(PY) -m qaf_shared.migrations $$pkg \
			> .run/logs/migrate-$$pkg.log 2>&1 & pids="$$pids $$!:$$pkg"; \
	done; \
	failed=0; for entry in $$pids; do \
		wait $${entry%%:*} || { failed=1; grep -v "^INFO" .run/logs/migrate-$${entry##*:}.log >&2; }; \
	done; \
	exit $$failed

run: migrate keys
	@bash deploy/local/services.sh start
	@if [ "$(DEMO)" != "0" ]; then $(PY) deploy/local/demo.py; fi
	@echo
	@echo "Running. API docs: http://127.0.0.1:8001/docs (audits), :8002 (escalations), :8003 (feedback), :8004 (reports), :8005 (activity)"
	@echo "A token:      make token SCOPES=\"reports:read\" TENANT=886"
	@echo "A Deep Dive:  curl -H \"Authorization: Bearer \$$(make -s token SCOPES=reports:read)\" http://127.0.0.1:8004/v1/deep-dives/$$($(PY) -c 'from datetime import date; from qaf_shared.quarters import quarter_of; print(quarter_of(date.today()))')"
	@echo "Logs: .run/logs/   Stop: make stop"

stop:
	@bash deploy/local/services.sh stop
	@bash deploy/local/kafka.sh stop
	@bash deploy/local/postgres.sh stop

# The pack's tests also drive Debian's chromium and pdftotext (installed when missing).
test: infra keys
	@bash deploy/local/debian-packages.sh test
	@$(UV) run --frozen pytest

token:
	@$(UV) sync --frozen --quiet
	@$(PY) -m qaf_shared.devtoken --scopes "$(SCOPES)" --tenant "$(TENANT)" --ttl "$(TTL)" $(if $(PROVIDER),--provider "$(PROVIDER)")

lint: install
	@$(UV) run --frozen ruff check .
	@$(UV) run --frozen mypy shared/src services/*/src bench

rebuild-reports: keys
	@$(PY) -m reporting_service.rebuild_client --token "$$($(PY) -m qaf_shared.devtoken --scopes admin --tenant $(TENANT) --ttl 3600)"

# The published contracts (event schemas, AsyncAPI, OpenAPI) from the code; tests/test_contracts.py
# fails when the committed files and the code disagree.
contracts: install
	@$(PY) deploy/contracts.py

# Benchmarks on spare ports with throwaway databases and topics (the dev system on 8001-8005 is
# left alone); installs wrk from Debian's packages when missing. bench/README.md has the options.
bench: keys
	@$(PY) -m bench.run $(BENCH)
