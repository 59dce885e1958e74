# Premura: `make run` to try it, `make test` to check it. See README.md.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
# The LMTP listener `make run` starts beside web, worker and the IMAP IDLE watcher (the mail
# server delivers to it).
LMTP_PORT ?= 8024
# Portal links printed by `make run` point at the server it starts, unless SITE_URL is set.
SITE_URL ?= http://$(HOST):$(PORT)
RUN_ENV := SITE_URL='$(SITE_URL)'

.PHONY: install run demo web worker test lint messages clean

$(VENV)/.installed: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e ".[dev,postgres,redis,bench]"
	touch $@

install: $(VENV)/.installed

## Create the virtualenv, migrate, load the Italian demo shop, start web + worker.
run: install
	$(BIN)/premura migrate --noinput -v0
	$(BIN)/premura load_demo
	$(BIN)/premura collectstatic --noinput -v0
	@echo ""
	@echo "  Premura is starting on http://$(HOST):$(PORT)/"
	@echo "  Demo logins (password premura-demo): admin (administrator), marco, sara, luca (agents)"
	@echo "  Customer portal of order PRM-100001 (another: $(RUN_ENV) $(BIN)/premura portal_link NUMBER):"
	@$(RUN_ENV) $(BIN)/premura portal_link PRM-100001 | sed 's/^/    /'
	@echo "  Inbound mail: LMTP on $(HOST):$(LMTP_PORT); IMAP mailboxes are watched with IDLE (premura imap_idle)."
	@echo "  Stop with Ctrl-C."
	@echo ""
	@trap 'trap - INT TERM EXIT; kill 0' INT TERM EXIT; \
	  $(RUN_ENV) $(BIN)/premura run_huey & \
	  $(RUN_ENV) $(BIN)/premura lmtp --bind $(HOST):$(LMTP_PORT) & \
	  $(RUN_ENV) $(BIN)/premura imap_idle & \
	  $(RUN_ENV) $(BIN)/premura runserver --noreload $(HOST):$(PORT)

demo: install
	$(BIN)/premura migrate --noinput
	$(BIN)/premura load_demo --force

## The whole test suite (SQLite by default; set DATABASE_URL / REDIS_URL for PostgreSQL / Redis).
test: install
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/lint-imports --no-cache
	$(BIN)/premura makemigrations --check --dry-run > /dev/null
	$(BIN)/pytest -q

lint: install
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks

## Refresh the Italian catalogue after changing UI strings (needs GNU gettext).
messages: install
	cd src/premura && ../../$(BIN)/premura makemessages -l it --no-obsolete --no-location
	cd src/premura && ../../$(BIN)/premura compilemessages -l it

clean:
	rm -rf $(VENV) var
