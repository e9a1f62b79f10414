# Two commands do all the set-up on a fresh machine:
#   make run    - create .venv, install the app's requirements, start the playground
#   make test   - also install the test requirements and Debian's chromium and haproxy, then run every test
# `make bench` runs the speed and memory benchmarks (bench/README.md).
# `make class` serves a whole class from one laptop: one app process per core behind HAProxy (README).

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PORT ?= 8501

.PHONY: run test test-kernels bench lint clean class

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

# One replica per core (at least two): a Python process trains and draws on one core at a time.
REPLICAS ?= $(shell n=$$(nproc); [ $$n -ge 2 ] && echo $$n || echo 2)
class: $(BIN)/.run-stamp
	bash scripts/ensure-debian-packages.sh
	bash scripts/replicas.sh $(PORT) $$(seq 8511 $$((8510 + $(REPLICAS))))

# Two pytest processes at once, one per core: the browser tests (one app server, one Chromium, in order) and
# the rest, whose report is printed when both are done. PARALLEL=0 runs everything in one process.
PARALLEL ?= 1

test: $(BIN)/.test-stamp
	bash scripts/ensure-debian-packages.sh
ifeq ($(PARALLEL),1)
	@mkdir -p test-artifacts
	$(BIN)/python -m pytest -m "not browser" $(PYTEST_ARGS) > test-artifacts/pytest-not-browser.log 2>&1 & rest=$$!; \
	$(BIN)/python -m pytest -m browser --durations=15 $(PYTEST_ARGS); browser=$$?; \
	wait $$rest; others=$$?; \
	echo "==== the other tests (not browser) ===="; cat test-artifacts/pytest-not-browser.log; \
	echo "browser tests: exit $$browser; the others: exit $$others"; \
	test $$browser -eq 0 -o $$browser -eq 5 && test $$others -eq 0 -o $$others -eq 5
else
	$(BIN)/python -m pytest $(PYTEST_ARGS)
endif

# The lesson tests under other processors' OpenBLAS kernels (README, "Lesson figures that hold on every computer").
LESSON_TESTS = tests/test_lessons.py tests/test_deep_lessons.py tests/test_overfitting_lessons.py \
	tests/test_lesson_stability.py tests/test_lesson_screens.py
test-kernels: $(BIN)/.test-stamp
	for kernels in Haswell Sandybridge; do \
		echo "==== OPENBLAS_CORETYPE=$$kernels ===="; \
		OPENBLAS_CORETYPE=$$kernels $(BIN)/python -m pytest -q $(LESSON_TESTS) || exit 1; \
	done

bench: $(BIN)/.bench-stamp
	$(BIN)/python -m bench.bench_engine $(BENCH_ARGS)

lint: $(BIN)/.test-stamp
	$(BIN)/ruff check .

clean:
	rm -rf $(VENV) static test-artifacts .pytest_cache
