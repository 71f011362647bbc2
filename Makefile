# Two commands matter: `make demo` and `make test`. Both set up everything they need.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cat requirements.lock requirements-bench.lock pyproject.toml | cksum | cut -d' ' -f1)

export HARBOR_TEST_POSTGRES_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/test

.PHONY: demo test lint typecheck bench bench-ingest bench-push clean lock

$(STAMP):
	@$(PYTHON) -c 'import sys; assert sys.version_info[:2] == (3, 11), "Python 3.11 is required"'
	rm -f $(VENV)/.installed-*
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements.lock -r requirements-bench.lock
	$(BIN)/pip install --quiet --no-deps -e .
	touch $@

demo: $(STAMP)
	HARBOR_DATA_DIR=$${HARBOR_DATA_DIR:-.harbor} $(BIN)/harbor demo

test: $(STAMP)
	$(BIN)/ruff check gateway connectors tests
	$(BIN)/mypy
	$(BIN)/pytest -q -n auto --dist loadfile

lint: $(STAMP)
	$(BIN)/ruff check gateway connectors tests

typecheck: $(STAMP)
	$(BIN)/mypy

# The whole benchmark table (Harbormaster vs DuckDB, sqlite3, dlt) and the scaling plot.
# About 40 minutes at the default sizes on 2 cores; STUDENTS=10000,50000 for a quick look.
bench: $(STAMP)
	$(BIN)/harbor bench suite --students $${STUDENTS:-10000,50000,100000,200000,400500} \
	    --repeat $${REPEAT:-3} --postgres-url "$${HARBOR_BENCH_POSTGRES_URL:-$(HARBOR_TEST_POSTGRES_URL)}"

bench-ingest: $(STAMP)
	$(BIN)/harbor bench ingest --students $${STUDENTS:-20000}

# Grade push throughput against a rate-limited (Canvas-shaped) LMS; about two minutes.
bench-push: $(STAMP)
	$(BIN)/harbor bench push --grades $${GRADES:-5000} --rate $${RATE:-100} \
	    --capacity $${CAPACITY:-50} --concurrency $${CONCURRENCY:-4}

# Regenerate the pinned lock file from pyproject.toml (needs network to PyPI).
lock:
	rm -rf /tmp/harbor-lock && $(PYTHON) -m venv /tmp/harbor-lock
	/tmp/harbor-lock/bin/pip install --quiet --upgrade pip
	/tmp/harbor-lock/bin/pip install --quiet -e '.[dev]'
	/tmp/harbor-lock/bin/pip freeze --exclude-editable | grep -v '^-e' > requirements.lock
	/tmp/harbor-lock/bin/pip install --quiet -e '.[dev,bench]'
	/tmp/harbor-lock/bin/pip freeze --exclude-editable | grep -v '^-e' \
	    | grep -vxFf requirements.lock > requirements-bench.lock

clean:
	rm -rf $(VENV) .harbor .bench *.egg-info
