# Two commands do all the set-up on a fresh machine:
#   make run    - create .venv, install the app's requirements, start the playground
#   make test   - also install the test requirements and Debian's chromium and haproxy, then run every test
# `make bench` runs the speed and memory benchmarks (bench/README.md).

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PORT ?= 8501

.PHONY: run test bench lint clean

$(BIN)/.run-stamp: requirements.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	touch $@

$(BIN)/.test-stamp: $(BIN)/.run-stamp requirements-dev.txt
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	touch $@

$(BIN)/.bench-stamp: $(BIN)/.run-stamp requirements-bench.txt
	$(BIN)/python -m pip install --quiet -r requirements-bench.txt
	touch $@

run: $(BIN)/.run-stamp
	$(BIN)/streamlit run app.py --server.port $(PORT)

# Two pytest workers: the browser tests (one app server, one Chromium) in order on one, the rest on the other.
PYTEST_WORKERS ?= -n 2 --dist loadgroup

test: $(BIN)/.test-stamp
	bash scripts/ensure-debian-packages.sh
	$(BIN)/python -m pytest $(PYTEST_WORKERS) $(PYTEST_ARGS)

bench: $(BIN)/.bench-stamp
	$(BIN)/python -m bench.bench_engine $(BENCH_ARGS)

lint: $(BIN)/.test-stamp
	$(BIN)/ruff check .

clean:
	rm -rf $(VENV) static test-artifacts .pytest_cache
