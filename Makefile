# The two commands a newcomer needs:
#   make demo   set everything up, start the local stack, push sessions, print the viewer URL
#   make test   set everything up and run the whole test suite (with its coverage floor)
# And for changes:
#   make check      every gate CI runs (.ci/run): lint, the fast lane, then `make test`
#   make lint       ruff format --check, ruff check, mypy --strict
#   make test-fast  the unit tests only (no PostgreSQL, browser, SAM or local stack): under a minute
#                   (it builds the web viewer first when its sources changed: some tests read it)
#   make client-wheel  build av-client's wheel into dist/ (what a laptop installs)
# (The SAM build uses infra/sam/Makefile, not this file.)

PYTHON   ?= python3
VENV     := .venv
BIN      := $(VENV)/bin
SAM_VENV := .venv-sam
SAM_CLI_VERSION := 1.170.0
APT      := DEBIAN_FRONTEND=noninteractive apt-get

export SAM_CLI_TELEMETRY := 0

.PHONY: demo test test-fast check setup pg-binaries chromium sam down lint client-wheel web web-test node

demo: setup pg-binaries web
	$(BIN)/av-admin local up
	PATH="$(CURDIR)/$(BIN):$$PATH" bash infra/local/demo.sh

down: setup
	$(BIN)/av-admin local down

# The whole suite, measured: it fails under the coverage floor ([tool.coverage.report] fail_under).
# A client dependency goes in packaging/av-client/pyproject.toml too (tests/infra/test_packaging.py).
test: setup pg-binaries chromium sam web web-test
	$(BIN)/pytest --cov --cov-report=term:skip-covered

test-fast: setup web
	$(BIN)/pytest -q -m "not integration"

# The page's own checks: types (svelte-check), unit tests (Vitest), and the API types generated
# from the viewer's OpenAPI document still matching it (the page and the API cannot drift).
web-test: web
	cd web && npm run --silent check
	cd web && npm run --silent test
	cd web && AV_PYTHON="$(CURDIR)/$(BIN)/python" node scripts/gen-api.mjs --check

lint: setup
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .
	$(BIN)/mypy

# Every gate, cheapest first, then the whole suite: what CI runs (.ci/run).
check: lint test-fast
	$(MAKE) test

client-wheel: setup
	$(BIN)/python -m build --wheel --no-isolation --outdir dist packaging/av-client

setup: $(VENV)/.installed

# Server dependencies are constrained to the pins shipped to Lambda (the layer's, and each
# function's own), so tests run the same code.
LAMBDA_PINS := avcore/requirements.txt ingest_fn/requirements.txt viewer_fn/requirements.txt
$(VENV)/.installed: pyproject.toml $(LAMBDA_PINS)
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q $(addprefix -c ,$(LAMBDA_PINS)) -e '.[dev]'
	touch $@

sam: $(SAM_VENV)/.installed

# aws-sam-cli pins older boto3/click/pydantic, so it lives in its own virtualenv.
$(SAM_VENV)/.installed:
	$(PYTHON) -m venv $(SAM_VENV)
	$(SAM_VENV)/bin/pip install -q --upgrade pip
	$(SAM_VENV)/bin/pip install -q aws-sam-cli==$(SAM_CLI_VERSION)
	touch $@

# PostgreSQL server binaries (the local stack and the tests start their own clusters).
pg-binaries:
	@ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || command -v initdb >/dev/null 2>&1 || \
	  { if [ "$$(id -u)" = 0 ]; then $(APT) update -qq && $(APT) install -y -qq postgresql >/dev/null; \
	    else echo "PostgreSQL server binaries are missing: run 'sudo apt-get install postgresql'" >&2; exit 1; fi; }

# Headless Chromium for the browser tests (Debian's package; never 'playwright install').
chromium:
	@command -v chromium >/dev/null 2>&1 || \
	  { if [ "$$(id -u)" = 0 ]; then $(APT) update -qq && $(APT) install -y -qq chromium >/dev/null; \
	    else echo "Chromium is missing: run 'sudo apt-get install chromium'" >&2; exit 1; fi; }

# The web viewer (web/: Svelte 5 + Vite + TypeScript) built into viewer_fn/site/, which the
# local stack, the tests and `sam build` serve. Built output is never committed. `npm ci`
# installs exactly package-lock.json; both steps rerun only when their inputs changed.
WEB_SOURCES := $(shell find web/src web/scripts -type f 2>/dev/null) web/index.html web/vite.config.ts web/vite.chunks.ts \
	web/svelte.config.js web/tsconfig.json web/.env web/package.json
NODE_MIN := 20.19

web: viewer_fn/site/index.html

viewer_fn/site/index.html: web/node_modules/.package-lock.json $(WEB_SOURCES)
	cd web && npm run --silent build
	@test -f $@

web/node_modules/.package-lock.json: web/package-lock.json | node
	cd web && npm ci --no-audit --no-fund --loglevel=error
	@touch $@

# Node.js and npm: Debian's packages when missing (as root), then a version check, since Vite
# needs Node $(NODE_MIN) or newer.
node:
	@command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1 || \
	  { if [ "$$(id -u)" = 0 ]; then $(APT) update -qq && $(APT) install -y -qq nodejs npm >/dev/null; \
	    else echo "Node.js is missing: run 'sudo apt-get install nodejs npm'" >&2; exit 1; fi; }
	@node -e 'const [a, b] = process.versions.node.split(".").map(Number); if (a < 20 || (a === 20 && b < 19)) { console.error("Node.js " + process.versions.node + " is too old for the web viewer: it needs $(NODE_MIN) or newer"); process.exit(1); }'
