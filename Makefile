# `make run`: set everything up and serve the tool with its sandbox LMS on :5000.
# `make test`: set everything up and run the whole suite on SQLite, then on PostgreSQL.
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
	$(MAKE) test-sqlite test-postgres

test-sqlite: venv
	$(BIN)/pytest -q

test-postgres: venv
	bash .ci/with-postgres $(BIN)/pytest -q

clean:
	rm -rf $(VENV) instance .pytest_cache .ruff_cache
