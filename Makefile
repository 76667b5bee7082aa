# `make run`: set everything up and serve the tool with its sandbox LMS on :5000.
# `make test`: set everything up, lint, and run the whole suite on SQLite, then on PostgreSQL.
# Node packages for the browser tests (axe-core) come from package-lock.json (`npm ci`).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app wsgi

.PHONY: venv lock setup run test test-sqlite test-postgres lint bench clean

# Python packages come pinned, with their hashes, from lock files that `make lock` writes
# from pyproject.toml: requirements/dev.txt (the runtime dependencies and every extra:
# sandbox, test, browser, bench, dev) for development and CI, so that the tests that run each
# benchmark tiny never skip; requirements/runtime.txt for production. The project itself is
# installed on top without dependencies, so nothing comes in unpinned.
LOCK := requirements/dev.txt
UV_COMPILE := $(BIN)/uv pip compile pyproject.toml --quiet --universal --python-version 3.11 \
	--generate-hashes --custom-compile-command 'make lock'

venv: $(VENV)/.installed
$(VENV)/.installed: $(LOCK) pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --require-hashes -r $(LOCK)
	$(BIN)/pip install -q --no-deps -e .
	$(BIN)/pip check
	touch $@

# After changing dependencies in pyproject.toml: keeps the other pins (`make lock
# UPGRADE=1` moves every package to its newest allowed release). dev.txt, the larger set, is
# resolved first; runtime.txt is held to its versions, so the two files agree.
lock: venv
	$(UV_COMPILE) $(if $(UPGRADE),--upgrade) --all-extras -o requirements/dev.txt
	$(UV_COMPILE) -c requirements/dev.txt -o requirements/runtime.txt

setup: venv
	$(FLASK) db upgrade
	$(FLASK) lti ensure-key
	$(FLASK) sandbox setup

# The workers run beside the server, as a process manager would run them in production: each
# exits after a bounded number of batches and is started again. Their output goes to
# instance/*.log; stopping `make run` (Ctrl-C) stops them too.
WORKERS := "notify worker --interval 5 --max-loops 720" \
	"grades worker --interval 5 --max-loops 720" \
	"program sweep --loop --interval 60 --max-loops 60"

run: setup
	@echo "Sandbox LMS: http://localhost:5000/sandbox/   Tool admin: http://127.0.0.1:5000/admin/"
	@echo "Workers (notifications, grades, program sweep) log to instance/*-worker.log"
	@mkdir -p instance; trap 'trap - EXIT INT TERM; kill 0' EXIT INT TERM; \
	for worker in $(WORKERS); do \
	  log=instance/$$(echo $$worker | cut -d' ' -f1)-worker.log; \
	  (while :; do $(FLASK) $$worker >>$$log 2>&1 || sleep 5; done) & \
	done; \
	$(FLASK) run --host 127.0.0.1 --port 5000

lint: venv
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/lint-imports

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

# One worker per core (pytest-xdist); a test file stays on one worker, so its module fixtures
# are made once. Each worker has its own database (tests/support/database.py).
PYTEST := $(BIN)/pytest -q -n auto --dist loadfile

test-sqlite: venv
	$(PYTEST)

# The browser tests and the benches' smoke tests run once, on SQLite: what they test (the
# pages in Chromium, the benches' own databases) does not depend on the suite's database,
# and every request they make is also tested on PostgreSQL by tests/test_end_to_end.py and
# the feature tests.
test-postgres: venv
	bash .ci/with-postgres $(PYTEST) --ignore=tests/browser --ignore=tests/bench

clean:
	rm -rf $(VENV) instance .pytest_cache .ruff_cache .mypy_cache node_modules
