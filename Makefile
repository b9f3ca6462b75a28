# Each target does its own set-up; see README.md. GPU=1 asks for the CUDA build of TensorFlow.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
GPU ?= 0
TF_EXTRA := $(if $(filter 1,$(GPU)),gpu,cpu)
STAMP := $(VENV)/.installed-$(TF_EXTRA)
LAB_PORT ?= 8888
LAB_ARGS ?=
ROOT_FLAG := $(if $(filter 0,$(shell id -u)),--allow-root,)
PYTEST_ARGS ?=

.PHONY: setup lab test bench clean help

help:
	@echo "make lab    set up and open the course in JupyterLab"
	@echo "make test   set up and run every test (unit tests + all notebooks, quick mode)"
	@echo "make setup  set up only (venv, packages, offline data, ImageNet model cache)"
	@echo "make bench  run every notebook in full mode and write build/bench.md and build/bench.json"

$(STAMP): pyproject.toml constraints.txt
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 10), "Python 3.10+ needed, found " + sys.version.split()[0]'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e ".[$(TF_EXTRA),lab,dev]"
	rm -f $(VENV)/.installed-*
	touch $@

setup: $(STAMP)
	@bash tools/install_data_sources.sh
	@$(BIN)/python -m course_utils.setup_course

lab: setup
	cd notebooks && ../$(BIN)/jupyter lab --port=$(LAB_PORT) $(ROOT_FLAG) $(LAB_ARGS)

test: setup
	env -u MPLBACKEND COURSE_QUICK=1 COURSE_CHECKS_STRICT=1 $(BIN)/python -m pytest tests notebooks --nbval-lax --nbval-current-env $(PYTEST_ARGS)

bench: setup
	env -u MPLBACKEND -u COURSE_QUICK $(BIN)/python tools/bench.py

clean:
	rm -rf build
