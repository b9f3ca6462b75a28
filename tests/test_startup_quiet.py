"""TensorFlow's start-up notices stay out of the lessons: ``startup.freeze_imports`` (the first line
of every lesson) imports TensorFlow with descriptor 2 captured and keeps only the lines at or above
``TF_CPP_MIN_LOG_LEVEL`` (2 when unset), because TensorFlow 2.21 prints the absl banner and the oneDNN
notice before it reads that variable."""

from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from course_utils.startup import ABSL_BANNER, LOG_LEVEL_ENV, filter_log

ROOT = Path(__file__).resolve().parent.parent
# What TensorFlow 2.21 wrote to descriptor 2 at `import tensorflow` with the variable unset (2026-12-07),
# plus a warning and an error line of the same format.
CAPTURED = f"""{ABSL_BANNER}
I0000 00:00:1796674667.811603    7072 port.cc:153] oneDNN custom operations are on. You may see ...
I0000 00:00:1796674667.919099    7072 cpu_feature_guard.cc:227] This TensorFlow binary is optimized ...
To enable the following instructions: AVX2 AVX512F FMA, in other operations, rebuild TensorFlow ...
W0000 00:00:1796674668.000001    7072 some_op.cc:12] a warning
with a second line
E0000 00:00:1796674668.000002    7072 other_op.cc:34] an error
"""


def test_the_filter_keeps_the_lines_at_or_above_the_level_with_their_continuations():
    assert filter_log(CAPTURED, 0) == CAPTURED
    assert filter_log(CAPTURED, 1).splitlines() == CAPTURED.splitlines()[4:]
    assert filter_log(CAPTURED, 2).splitlines() == CAPTURED.splitlines()[6:]
    assert filter_log(CAPTURED, 3) == ""
    assert filter_log("a plain line from another library\n", 2) == "a plain line from another library\n"


@pytest.mark.notebook
def test_a_lesson_run_without_the_variable_writes_nothing_to_stderr(monkeypatch):
    """Lesson 02 in quick mode, in a kernel that inherits no TF_CPP_MIN_LOG_LEVEL (as `make lab`,
    Binder or a student's own Jupyter start it): no cell has a stderr output."""
    monkeypatch.delenv(LOG_LEVEL_ENV, raising=False)
    monkeypatch.delenv("MPLBACKEND", raising=False)
    monkeypatch.setenv("COURSE_QUICK", "1")
    path = ROOT / "notebooks" / "02_softmax_regression.ipynb"
    nb = nbformat.read(path, as_version=4)
    NotebookClient(nb, timeout=900, kernel_name="python3",
                   resources={"metadata": {"path": str(path.parent)}}).execute()
    stderr = [(i, o["text"][:200]) for i, cell in enumerate(nb.cells) if cell.cell_type == "code"
              for o in cell.outputs if o.get("name") == "stderr"]
    assert stderr == []
    assert any(o.get("name") == "stdout" for cell in nb.cells if cell.cell_type == "code" for o in cell.outputs)
