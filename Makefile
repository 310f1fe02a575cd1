# ClientCrew: `make run` serves the app, `make test` runs the whole suite.
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8501
STAMP := $(VENV)/.installed

.PHONY: run worker test test-fast lint install migrate demo demo-large bench clean

$(STAMP): requirements.txt requirements-dev.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV) || python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	@touch $(STAMP)

install: $(STAMP)

migrate: install
	$(PY) -m db.migrate

## Create the demo workspace directly (only into a database without logins)
demo: migrate
	$(PY) -m demo --if-empty

## Create the venv, install pinned requirements, migrate, then serve http://localhost:$(PORT) with the
## worker (escalations, reminders, e-mail) running beside it; stopping the server stops the worker.
## An empty database opens the welcome screen: "Explore the demo" or "Set up our organisation".
run: migrate
	@$(PY) -m core.worker & worker=$$!; \
	trap 'kill $$worker 2>/dev/null; wait $$worker 2>/dev/null' EXIT INT TERM; \
	$(PY) -m streamlit run app.py --server.port $(PORT) --server.headless true --browser.gatherUsageStats false

## The worker alone (a deployment runs it as its own service): a pass every 30 seconds
worker: migrate
	$(PY) -m core.worker

## The whole suite: unit, AppTest and browser tests (and PostgreSQL when TEST_DATABASE_URL is set)
test: install
	$(PY) -m pytest -q

## The inner loop: unit and AppTest tests, no browser (a minute or two instead of the whole suite)
test-fast: install
	$(PY) -m pytest -q tests/unit tests/app

## Lint and types: ruff (pyflakes, bugbear, pyupgrade, simplify, complexity) and mypy on core/, db/ and ui/read_cache.py
## (both configured in pyproject.toml)
lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy

demo-large: migrate
	$(PY) -m demo --scale large

## Browser bench (click to settled page in headless Chromium, ratios to a bare app measured in the
## same run) on the large demo; BENCH_URL reuses a built one, e.g. make bench BENCH_URL=sqlite:////tmp/large.db
BENCH_URL ?= sqlite:////tmp/clientcrew-large.db
bench: install
	@test -f $(patsubst sqlite:///%,%,$(BENCH_URL)) || $(PY) -m demo --scale large --url $(BENCH_URL)
	$(PY) -m db.migrate $(BENCH_URL)
	$(PY) -m bench.browser --url $(BENCH_URL)
	$(PY) -m bench.browser --url $(BENCH_URL) --load --sessions 50 --seconds 60

clean:
	rm -rf $(VENV) .pytest_cache
