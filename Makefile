# `make sample`: set up and run the whole dogs_vs_cats chain on the generated sample.
# `make test`:   set up, lint, and run the test suite (what CI runs).
# `make bench`:  set up and run the benchmarks against the book's approach.
# `make compare-sample BASE=<git rev>`: run the sample at BASE and here, and
#                compare the outputs file by file (before merging a refactor).
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python

.PHONY: sample compare-sample test lint browser bench clean

$(VENV)/.installed: requirements.txt requirements-dev.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q -r requirements.txt -r requirements-dev.txt
	$(PY) -m pip install -q --no-deps -e .
	touch $@

sample: $(VENV)/.installed
	PATH="$(abspath $(VENV))/bin:$$PATH" bash dogs_vs_cats/run_sample.sh

compare-sample: $(VENV)/.installed
	@test -n "$(BASE)" || { echo "make compare-sample: give BASE=<git revision>, e.g. BASE=main"; exit 2; }
	$(PY) tools/compare_sample.py "$(BASE)"

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check .

# The report's browser tests need Chromium: Debian's, installed where apt-get
# can (as root); elsewhere those two tests are skipped, saying why.
browser:
	@command -v chromium >/dev/null 2>&1 || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 && \
	  { apt-get install -y -q chromium >/dev/null 2>&1 || \
	    { apt-get update -q >/dev/null 2>&1 && apt-get install -y -q chromium >/dev/null 2>&1; }; }; } || \
	  echo "[INFO] Chromium could not be installed: the report's browser tests will be skipped"

# Two worker processes: most of a test's time is single-threaded (a child
# interpreter's start-up, Keras tracing a model), so two tests at once take
# about 1.4 times as long as one.
TEST_WORKERS ?= 2

test: lint browser
	$(PY) -m pytest -q -n $(TEST_WORKERS) tests

bench: $(VENV)/.installed
	$(PY) -m benchmarks.run_all
	$(PY) -m benchmarks.scale

# Only what this Makefile and run_sample.sh made: never the Kaggle data or
# models a user keeps under dogs_vs_cats/datasets and dogs_vs_cats/output.
clean:
	rm -rf $(VENV) dogs_vs_cats/datasets/sample dogs_vs_cats/output/sample
