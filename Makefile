# Each target does its own set-up; see README.md. GPU=1 asks for the CUDA build of TensorFlow.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
GPU ?= 0
TF_EXTRA := $(if $(filter 1,$(GPU)),gpu,cpu)
OTHER_TF_EXTRA := $(if $(filter 1,$(GPU)),cpu,gpu)
# The exact locks: constraints.txt for the CPU set, constraints-gpu.txt for the CUDA set (same pins elsewhere).
CONSTRAINTS := $(if $(filter 1,$(GPU)),constraints-gpu.txt,constraints.txt)
# Two package sets, one stamp each: what students use ([cpu] or [gpu], and [lab]) for `make lab`, and that
# plus the test tools ([dev]) for `make test` and `make check`. Installing the dev set stamps both.
STAMP := $(VENV)/.installed-$(TF_EXTRA)-lab
DEV_STAMP := $(VENV)/.installed-$(TF_EXTRA)-dev
LAB_PORT ?= 8888
LAB_ARGS ?=
ROOT_FLAG := $(if $(filter 0,$(shell id -u)),--allow-root,)
PYTEST_ARGS ?=

.PHONY: setup setup-dev test-colab lab test check lint bench bench-quick speed clean help badges student executed vendor site slides test-browser

help:
	@echo "make lab    set up and open the course in JupyterLab"
	@echo "make test   set up and run every test (unit tests + all notebooks, quick mode)"
	@echo "make check  the fast loop: lint, then tests/ without the notebook, browser, platform and slow tests"
	@echo "make setup  set up only (venv, packages, offline data, ImageNet model cache)"
	@echo "make test-colab  a second venv with Colab's versions (colab/versions.txt): unit tests + notebooks"
	@echo "make bench  run every notebook in full mode and write build/bench.md and build/bench.json"
	@echo "make bench-quick  time every notebook in quick mode, in reference units: build/bench-quick.md"
	@echo "make speed  measure this machine's reference unit (cached; shown by the environment report)"
	@echo "make lint   ruff over course_utils, tools, tests and the notebooks"
	@echo "make badges stamp the Colab and Binder badges, the time line and the Colab set-up cell into every notebook"
	@echo "make student  write the student edition (solutions replaced by stubs) to build/student/"
	@echo "make site   execute every notebook once (quick; FULL=1 for full), build the website build/site/ (Sphinx)"
	@echo "make slides write offline reveal.js slide decks build/slides/NN_*.slides.html from the executed notebooks"
	@echo "make test-browser  build site and slides, install Chromium, test them and JupyterLab in a headless browser"

# --compile-bytecode: where PYTHONDONTWRITEBYTECODE=1 is set (as on these machines) nothing caches .pyc
# files, and every kernel compiled TensorFlow and Keras again: `import keras` took 11 s instead of 4.5 s.
# Switching GPU=0/1 in one venv first removes the other set's TensorFlow (and CUDA wheels), so that one
# TensorFlow build is left.
LAB_EXTRAS := $(TF_EXTRA),lab
DEV_EXTRAS := $(TF_EXTRA),lab,dev
$(VENV)/.installed-$(TF_EXTRA)-%: pyproject.toml $(CONSTRAINTS)
	@$(PYTHON) tools/check_platform.py
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet uv==0.13.9
	if ls $(VENV)/.installed-$(OTHER_TF_EXTRA)* >/dev/null 2>&1; then $(DROP_TENSORFLOW); fi
	$(BIN)/uv pip install --quiet --compile-bytecode --python $(BIN)/python -c $(CONSTRAINTS) -e ".[$(if $(filter dev,$*),$(DEV_EXTRAS),$(LAB_EXTRAS))]"
	rm -f $(VENV)/.installed-*
	touch $@ $(if $(filter dev,$*),$(STAMP))

DROP_TENSORFLOW = drop=$$($(BIN)/uv pip freeze --python $(BIN)/python | sed -n -E 's/^(tensorflow|tensorflow-cpu|nvidia-[a-z0-9-]+)==.*/\1/p'); \
	if [ -n "$$drop" ]; then $(BIN)/uv pip uninstall --quiet --python $(BIN)/python $$drop; fi

setup: $(STAMP)
	@bash tools/install_data_sources.sh
	@$(BIN)/python -m course_utils.setup_course

# setup plus the test tools: what `make test` and `make check` need.
setup-dev: $(DEV_STAMP)
	@$(MAKE) --no-print-directory setup

lab: setup
	cd notebooks && ../$(BIN)/jupyter lab --port=$(LAB_PORT) $(ROOT_FLAG) $(LAB_ARGS)

# Everything, browser tests included. nbval runs every lesson once and saves the executed copies
# (conftest.py, COURSE_CAPTURE_DIR), so the site and slides are built from that same run.
# PYTEST_ARGS (e.g. "-k softmax") selects within tests/ only: the lessons always run whole.
# NVIDIA_TF32_OVERRIDE=0: no TensorFloat-32 in cuBLAS/cuDNN on a GPU runner, for the unit tests too (lessons
# turn it off in startup.freeze_imports); on a CPU it changes nothing.
TEST_ENV := env -u MPLBACKEND -u COURSE_PRESENTER COURSE_QUICK=1 COURSE_CHECKS_STRICT=1 NVIDIA_TF32_OVERRIDE=0
test: setup-dev lint vendor
	-bash tools/install_system_tools.sh chromium
	$(TEST_ENV) COURSE_CAPTURE_DIR=$(EXEC_DIR) $(BIN)/python -m pytest notebooks --nbval-lax --nbval-current-env
	$(BUILD_SLIDES)
	$(BUILD_SITE)
	$(TEST_ENV) $(BIN)/python -m pytest tests $(PYTEST_ARGS)

# The fast loop: lint, then every test in tests/ not marked notebook, browser, platform or slow
# (markers in pyproject.toml). No apt, no Chromium, no npm: it assumes `make setup` has run once.
CHECK_MARKS := not notebook and not browser and not platform and not slow
check: $(DEV_STAMP) lint
	$(TEST_ENV) $(BIN)/python -m pytest tests -q -m "$(CHECK_MARKS)" $(PYTEST_ARGS)

lint: $(DEV_STAMP)
	$(BIN)/python -m ruff check course_utils tools tests notebooks conftest.py

bench: setup
	env -u MPLBACKEND -u COURSE_QUICK -u COURSE_PRESENTER $(BIN)/python tools/bench.py

bench-quick: setup
	env -u MPLBACKEND -u COURSE_QUICK -u COURSE_PRESENTER $(BIN)/python tools/bench.py --quick

speed: setup
	env -u COURSE_QUICK $(BIN)/python tools/speed.py

clean:
	rm -rf build

# ---- Delivery (issue 5): Colab badges, student edition, executed site, offline slides, browser tests.
# Each notebook is executed once (quick mode; FULL=1 for full) into build/executed/, and both the
# site and the slides are built from those copies.
NOTEBOOKS := $(sort $(wildcard notebooks/[0-9][0-9]_*.ipynb))
FULL ?= 0
EXEC_DIR := build/executed$(if $(filter 1,$(FULL)),-full,)
EXECUTED := $(patsubst notebooks/%,$(EXEC_DIR)/%,$(NOTEBOOKS))
COURSE_SOURCES := $(wildcard course_utils/*.py course_utils/*/*.py)
VENDOR_STAMP := build/vendor/.done-4.6.1-2.3.7-3.7.1-2.7.9

badges: setup
	$(BIN)/python tools/stamp_notebooks.py $(NOTEBOOKS)

student: setup
	$(BIN)/python tools/make_student.py --out build/student $(NOTEBOOKS)

executed: $(EXECUTED)

$(EXEC_DIR)/%.ipynb: notebooks/%.ipynb $(COURSE_SOURCES) | setup
	env -u MPLBACKEND $(BIN)/python tools/execute_notebook.py $(if $(filter 1,$(FULL)),--full,) $< $@

vendor: $(VENDOR_STAMP)

$(VENDOR_STAMP): tools/fetch_web_assets.py | $(STAMP)
	-bash tools/install_system_tools.sh npm
	$(BIN)/python tools/fetch_web_assets.py build/vendor

BUILD_SLIDES = $(BIN)/python tools/build_slides.py --executed $(EXEC_DIR) --out build/slides
BUILD_SITE = $(BIN)/python tools/build_site.py --executed $(EXEC_DIR) --out build/site --slides build/slides

slides: $(EXECUTED) $(VENDOR_STAMP) | setup
	$(BUILD_SLIDES)

site: $(EXECUTED) $(VENDOR_STAMP) slides | setup-dev
	$(BUILD_SITE)

test-browser: site slides
	-bash tools/install_system_tools.sh chromium
	env -u MPLBACKEND $(BIN)/python -m pytest tests/test_delivery_browser.py -v $(PYTEST_ARGS)

# ---- Colab's versions (issue 24): a second venv with exactly what Colab's runtime holds (colab/versions.txt),
# course_utils installed as the Colab set-up cell installs it (--no-deps), then the unit tests and every
# notebook in quick mode. Python 3.13 as on Colab where the machine has one (on PATH or through pyenv),
# else 3.12. It rebuilds when colab/*.txt or pyproject.toml change.
COLAB_VENV := .venv-colab
COLAB_BIN := $(COLAB_VENV)/bin
COLAB_STAMP := $(COLAB_VENV)/.installed
PYTHON_COLAB ?= $(firstword $(wildcard $(HOME)/.pyenv/versions/3.13*/bin/python3.13) \
	$(shell for p in python3.13 python3.12; do $$p -c '' 2>/dev/null && echo $$p && break; done) \
	$(wildcard $(HOME)/.pyenv/versions/3.12*/bin/python3.12))
COLAB_MARKS := not notebook and not browser and not platform
# tests/test_binder.py checks the repository's repo2docker set-up with the dev tools (repo2docker, uv): not
# something Colab runs, and `make test` covers it.
COLAB_SKIP := --ignore=tests/test_binder.py

$(COLAB_STAMP): colab/versions.txt colab/test-tools.txt pyproject.toml | $(STAMP)
	@test -n "$(PYTHON_COLAB)" || { echo "make test-colab needs Python 3.13 (Colab's) or 3.12: \
	e.g. 'uv python install 3.13' or 'pyenv install 3.13', then PYTHON_COLAB=/path/to/python3.13" >&2; exit 1; }
	rm -rf $(COLAB_VENV)
	$(BIN)/uv venv --quiet --python $(PYTHON_COLAB) --no-python-downloads $(COLAB_VENV)
	$(BIN)/uv pip install --quiet --compile-bytecode --python $(COLAB_BIN)/python -r colab/versions.txt -r colab/test-tools.txt
	$(BIN)/uv pip install --quiet --python $(COLAB_BIN)/python --no-deps -e .
	touch $@

test-colab: $(COLAB_STAMP) | setup
	$(TEST_ENV) $(COLAB_BIN)/python -m pytest tests -q -m "$(COLAB_MARKS)" $(COLAB_SKIP) $(PYTEST_ARGS)
	$(TEST_ENV) $(COLAB_BIN)/python -m pytest notebooks -q --nbval-lax --nbval-current-env
