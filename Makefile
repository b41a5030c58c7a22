# The README's quick start: `make up` runs the stack, `make test` runs every test.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: setup up test test-incidents test-realistic test-saturation test-compose lint bench preflight preflight-compose clean

# Idempotent: rebuilds the venv only when a requirements file changed, and fetches
# Prometheus, Alertmanager and Grafana only when they are missing or not at an accepted
# version: the official archives first, Debian's packages as the fallback (README, Native
# tools). PLAYGROUND_TOOLS_SOURCE=official|debian forces one.
setup: $(STAMP)
	@bash scripts/fetch-tools.sh

$(STAMP): requirements.txt requirements-dev.txt pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11+ is needed; set PYTHON=python3.11")'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	$(BIN)/python -m pip install --quiet --no-deps -e .
	@touch $@

# The main job: the whole stack, natively, in the foreground until Ctrl-C.
up: setup
	$(BIN)/playground up

# Every busy port at once, before `make up` (native) or `docker compose up`.
preflight: setup
	$(BIN)/playground preflight

preflight-compose: setup
	$(BIN)/playground preflight --compose

# Files run side by side on TEST_WORKERS pytest-xdist workers (--dist loadfile): most of
# the suite waits on real alert windows, and those waits overlap. A file stays whole on one
# worker, so its tests keep their order and share their module fixtures; a worker's session
# fixtures (the e2e tests' native stack) serve every file it runs. Not --dist loadgroup:
# with pytest 9.2 it silently stops grouping (pytest-dev/pytest-xdist#1386).
# TEST_WORKERS=0 runs everything in one process.
TEST_WORKERS ?= 4

test: setup
	$(BIN)/ruff check .
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadfile

# Every native incident of docs/incidents/incidents.yaml played live (about 9 minutes): its
# alerts fire (or none, for a customer report) and its evidence PromQL shows the diagnosis.
# Three shelves, each on its own worker and native stack (--dist loadscope: one class, one
# worker). Apart from `make test` because each incident waits for real alert windows and
# `for` durations; CI runs it beside test-compose (.ci/run).
test-incidents: setup
	$(BIN)/python -m pytest tests/e2e/test_incident_catalogue_live.py -m incidents -v -n 3 --dist loadscope

# Opt-in, about 35 minutes: the realistic profile's error-storm and slow-llm scenarios on a
# fresh native stack, every transition checked against its predicted window, and realistic
# HighErrorRate kept firing through a kill -9 of Prometheus (~12 min) (tests/realistic).
# Not part of `make test` or CI; run it after changing a window, a `for` or a restore flag.
test-realistic: setup
	$(BIN)/python -m pytest tests/realistic -m realistic -s -v

# About a minute: demo_app driven past what one worker serves, the client's p95 against the
# server's, closed and open load models (tests/loadtest/test_saturation.py, docs/labs/
# 06-several-workers.md (section 3)). Each lookup gets a fixed cost (the lab's fault), so
# what the worker serves does not depend on how fast or busy the machine is. CI runs it
# after test-incidents, beside test-compose (.ci/run).
test-saturation: setup
	$(BIN)/python -m pytest tests/loadtest/test_saturation.py -m saturation -s -v

# compose.yaml, unmodified, brought up by Docker and checked (tests/compose_live/): needs
# Docker with Compose v2. CI sets PLAYGROUND_COMPOSE_STANDINS=1 for a private engine and
# stand-in images (scripts/test-compose.sh says what that installs; not for laptops).
test-compose: $(STAMP)
	bash scripts/test-compose.sh

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

bench: setup
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) .tools .run results .pytest_cache .ruff_cache
