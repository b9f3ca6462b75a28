"""tools/nbval_capture.py: the one adapter over nbval's internals, pinned to one nbval version."""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import nbval_capture
import pytest

ROOT = Path(__file__).resolve().parent.parent


def _tiny(path: Path) -> Path:
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# tiny"),
                                         nbformat.v4.new_code_cell("print(6 * 7)"),
                                         nbformat.v4.new_code_cell("6 * 7")])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, path)
    return path


@pytest.fixture
def cells(pytester):
    """The real nbval items of a two-cell notebook (collected only: no kernel starts)."""
    path = _tiny(pytester.path / "tiny.ipynb")
    return pytester.inline_genitems(str(path), "--nbval-lax", "-p", "no:cacheprovider")[0]


def test_the_pinned_version_is_the_one_pyproject_and_constraints_install():
    for name in ("pyproject.toml", "constraints.txt"):
        text = (ROOT / name).read_text()
        assert re.findall(r"nbval==([\d.]+)", text) == [nbval_capture.NBVAL_VERSION], name


def test_the_installed_nbval_collects_cells_the_adapter_accepts(cells):
    assert [c.cell_num for c in nbval_capture.nbval_cells(cells)] == [0, 1]
    assert [c.cell_type for c in cells[0].parent.nb.cells] == ["markdown", "code", "code"]


def test_another_nbval_version_stops_collection_in_one_line_naming_the_pinned_one(cells, monkeypatch):
    monkeypatch.setattr(nbval_capture.importlib.metadata, "version", lambda name: "0.12.0")
    with pytest.raises(pytest.UsageError) as err:
        nbval_capture.nbval_cells(cells)
    message = str(err.value)
    assert "nbval 0.11.0" in message and "nbval 0.12.0 is installed" in message and "\n" not in message


def test_a_missing_internal_stops_collection_and_names_it(cells, monkeypatch):
    monkeypatch.delattr(cells[0].parent, "nb")
    with pytest.raises(pytest.UsageError, match=r"lack parent.nb: install nbval==0\.11\.0$"):
        nbval_capture.nbval_cells(cells)


def test_items_that_are_not_nbval_cells_are_left_alone(request):
    assert nbval_capture.nbval_cells([request.node]) == []


class _Report:
    def __init__(self, failed: bool = False):
        self.failed = failed


def test_a_whole_run_is_written_with_its_outputs_and_a_failed_or_partial_one_is_not(cells, tmp_path):
    first, second = cells
    first.test_outputs = [nbformat.v4.new_output("stream", name="stdout", text="42\n")]
    second.test_outputs = [nbformat.v4.new_output("execute_result", data={"text/plain": "42"})]
    capture = nbval_capture.Capture()
    capture.record(first, _Report(), "call")
    assert capture.write(tmp_path) == []                     # one cell of two: a partial run
    capture.record(second, _Report(), "call")
    (written,) = capture.write(tmp_path)
    nb = nbformat.read(written, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert code[0].outputs[0].text == "42\n" and code[1].outputs[0].execution_count == 2
    assert nb.metadata["course_executed"]["by"] == "nbval"
    capture.record(second, _Report(failed=True), "teardown")
    assert capture.write(tmp_path) == [] and not written.exists()
