"""pytest set-up for the repository: save the notebooks that nbval runs, with their outputs.

With ``COURSE_CAPTURE_DIR`` set (``make test`` sets it to ``build/executed``), every notebook that
nbval runs without a failure is written there with the outputs nbval collected. How, and the
check that the installed nbval is the one whose internals it reads, is in
``tools/nbval_capture.py`` (``tools/`` is on pytest's ``pythonpath``, see pyproject.toml).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from nbval_capture import CAPTURE_ENV, Capture, nbval_cells

pytest_plugins = ["pytester"]   # tests/test_nbval_capture.py collects a notebook in-process

_capture = Capture()


def pytest_collection_modifyitems(session: pytest.Session, config: pytest.Config,
                                  items: list[pytest.Item]) -> None:
    if os.environ.get(CAPTURE_ENV):
        nbval_cells(items)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    outcome = yield
    if os.environ.get(CAPTURE_ENV):
        _capture.record(item, outcome.get_result(), call.when)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    folder = os.environ.get(CAPTURE_ENV)
    if folder:
        _capture.write(Path(folder))
