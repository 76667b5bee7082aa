# `make run`: set everything up and serve the tool with its sandbox LMS on :5000.
# `make test`: set everything up and run the whole suite on SQLite, then on PostgreSQL.
# Node packages for the browser tests (axe-core) come from package-lock.json (`npm ci`).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app wsgi

.PHONY: venv setup run test test-sqlite test-postgres lint bench clean

venv: $(VENV)/.installed
$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[test]'
	touch $@

setup: venv
	$(FLASK) db upgrade
	$(FLASK) lti ensure-key
	$(FLASK) sandbox setup

run: setup
	@echo "Sandbox LMS: http://localhost:5000/sandbox/   Tool admin: http://127.0.0.1:5000/admin/"
	$(FLASK) run --host 127.0.0.1 --port 5000

lint: venv
	$(BIN)/ruff check .

test: venv lint
	bash .ci/system-deps
	$(MAKE) node_modules/.installed
	$(MAKE) test-sqlite test-postgres

# axe-core (package.json, pinned in package-lock.json), injected by the browser tests.
# Without npm (not root, not installed) the accessibility tests skip, except in CI.
node_modules/.installed: package.json package-lock.json
	@if command -v npm >/dev/null 2>&1; then \
	  npm ci --no-audit --no-fund && touch $@; \
	else echo "npm not found: the accessibility tests will be skipped" >&2; fi

test-sqlite: venv
	$(BIN)/pytest -q

test-postgres: venv
	bash .ci/with-postgres $(BIN)/pytest -q

clean:
	rm -rf $(VENV) instance .pytest_cache .ruff_cache node_modules
