# `make sample`: set up and run the whole dogs_vs_cats chain on the generated sample.
# `make test`:   set up and run the test suite.
# `make bench`:  set up and run the benchmarks against the book's approach.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python

.PHONY: sample test bench clean

$(VENV)/.installed: requirements.txt requirements-dev.txt setup.py
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q -r requirements.txt -r requirements-dev.txt
	$(PY) -m pip install -q --no-deps -e .
	touch $@

sample: $(VENV)/.installed
	PATH="$(abspath $(VENV))/bin:$$PATH" bash dogs_vs_cats/run_sample.sh

test: $(VENV)/.installed
	$(PY) -m pytest -q tests

bench: $(VENV)/.installed
	$(PY) -m benchmarks.run_all

clean:
	rm -rf $(VENV) dogs_vs_cats/output dogs_vs_cats/datasets
