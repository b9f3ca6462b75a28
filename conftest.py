"""pytest set-up for the repository: save the notebooks that nbval runs, with their outputs.

With ``COURSE_CAPTURE_DIR`` set (``make test`` sets it to ``build/executed``), every notebook that
nbval runs without a failure is written there with the outputs nbval collected, as
``tools/execute_notebook.py`` would write it. The site and the slides are then built from that
one execution instead of running every lesson a second time.
"""

from __future__ import annotations

import copy
import os
import sys
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent / "tools"))
from delivery import EXECUTED_KEY

from course_utils.config import mode_name

CAPTURE_ENV = "COURSE_CAPTURE_DIR"
_runs: dict[str, dict] = {}


def _is_nbval_cell(item: pytest.Item) -> bool:
    return hasattr(item, "cell_num") and hasattr(item, "test_outputs") and hasattr(item.parent, "nb")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    outcome = yield
    if not os.environ.get(CAPTURE_ENV) or not _is_nbval_cell(item):
        return
    report = outcome.get_result()
    run = _runs.setdefault(str(item.path), {"nb": item.parent.nb, "outputs": {}, "failed": False,
                                            "start": time.perf_counter(), "end": None})
    if report.failed:
        run["failed"] = True
    if call.when == "call":
        run["outputs"][item.cell_num] = item.test_outputs or []
        run["end"] = time.perf_counter()


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    folder = os.environ.get(CAPTURE_ENV)
    if not folder:
        return
    import nbformat

    for path, run in _runs.items():
        target = Path(folder) / Path(path).name
        if run["failed"]:
            target.unlink(missing_ok=True)
            continue
        nb = copy.deepcopy(run["nb"])
        code = [c for c in nb.cells if c.cell_type == "code"]
        if len(run["outputs"]) != len(code):    # a partial run (-k, -x): not a whole lesson
            continue
        for i, cell in enumerate(code):
            cell.outputs = run["outputs"][i]
            cell.execution_count = i + 1
            for out in cell.outputs:
                if out.get("output_type") == "execute_result":
                    out["execution_count"] = i + 1
        nb.metadata[EXECUTED_KEY] = {"mode": mode_name(),
                                     "seconds": round(run["end"] - run["start"], 1), "by": "nbval"}
        target.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(nb, target)
