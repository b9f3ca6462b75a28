"""Save the notebooks nbval runs, with their outputs: the one place that reads nbval's internals.

nbval offers no public way to get the outputs it collected, so this module reads three attributes
of nbval 0.11.0 (the version pinned in pyproject.toml and constraints.txt): a cell item's
``cell_num`` (its index among the code cells) and ``test_outputs`` (the outputs of this run), and
its parent's ``nb`` (the notebook as read). :func:`nbval_cells` checks the installed version and
those attributes at collection and stops the run in one line if either changed. The root
``conftest.py`` calls it and :class:`Capture`; nothing else touches nbval.

With ``COURSE_CAPTURE_DIR`` set (``make test`` sets it to ``build/executed``), every notebook that
nbval runs whole without a failure is written there with its outputs, as
``tools/execute_notebook.py`` would write it; the site and the slides are built from that one run.
"""

from __future__ import annotations

import copy
import importlib.metadata
import time
from collections.abc import Sequence
from pathlib import Path

import nbformat
import pytest
from delivery import EXECUTED_KEY
from nbval.plugin import IPyNbCell

from course_utils.config import mode_name

NBVAL_VERSION = "0.11.0"
CELL_ATTRIBUTES = ("cell_num", "test_outputs")
CAPTURE_ENV = "COURSE_CAPTURE_DIR"


def nbval_cells(items: Sequence[pytest.Item]) -> list[IPyNbCell]:
    """The nbval cells among the collected ``items``, after checking the internals we read.

    Raises ``pytest.UsageError`` (one line naming the pinned version) when another nbval is
    installed or a cell lacks ``cell_num``, ``test_outputs`` or ``parent.nb``.
    Usage: ``cells = nbval_cells(items)`` in ``pytest_collection_modifyitems``.
    """
    cells = [item for item in items if isinstance(item, IPyNbCell)]
    if not cells:
        return cells
    installed = importlib.metadata.version("nbval")
    missing = {name for cell in cells for name in CELL_ATTRIBUTES if not hasattr(cell, name)}
    missing |= {"parent.nb" for cell in cells if not hasattr(cell.parent, "nb")}
    missing = sorted(missing)
    if installed != NBVAL_VERSION or missing:
        found = f"nbval {installed} is installed"
        found += f" and its cells lack {', '.join(missing)}" if missing else ""
        raise pytest.UsageError(f"tools/nbval_capture.py reads the internals of nbval {NBVAL_VERSION} "
                                f"(cell_num, test_outputs, parent.nb) but {found}: "
                                f"install nbval=={NBVAL_VERSION}")
    return cells


class Capture:
    """The outputs of each notebook nbval runs, gathered cell by cell, then written whole.

    Usage: ``capture.record(item, report, call.when)`` in ``pytest_runtest_makereport``, then
    ``capture.write(folder)`` in ``pytest_sessionfinish``.
    """

    def __init__(self) -> None:
        self.runs: dict[str, dict] = {}

    def record(self, item: pytest.Item, report: pytest.TestReport, when: str) -> None:
        """Note one phase of one nbval cell: its outputs after the call, and any failure.

        Usage: ``capture.record(item, outcome.get_result(), call.when)``.
        """
        if not isinstance(item, IPyNbCell):
            return
        run = self.runs.setdefault(str(item.path), {"nb": item.parent.nb, "outputs": {}, "failed": False,
                                                    "start": time.perf_counter(), "end": None})
        if report.failed:
            run["failed"] = True
        if when == "call":
            run["outputs"][item.cell_num] = item.test_outputs or []
            run["end"] = time.perf_counter()

    def write(self, folder: Path) -> list[Path]:
        """Write every notebook that ran whole without a failure into ``folder``; return their paths.

        A failed notebook's old copy is deleted; a partial run (``-k``, ``-x``) writes nothing for it.
        Usage: ``capture.write(Path(os.environ["COURSE_CAPTURE_DIR"]))``.
        """
        written = []
        for path, run in self.runs.items():
            target = Path(folder) / Path(path).name
            if run["failed"]:
                target.unlink(missing_ok=True)
                continue
            nb = copy.deepcopy(run["nb"])
            code = [c for c in nb.cells if c.cell_type == "code"]
            if len(run["outputs"]) != len(code):
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
            written.append(target)
        return written
