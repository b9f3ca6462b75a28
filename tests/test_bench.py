"""tools/bench.py: full mode, reference units from the start and end workloads, the presenter run."""

import json

import bench
import nbformat
import pytest

pytestmark = pytest.mark.notebook      # each test runs small notebooks in a kernel

KERNEL = {"name": "python3", "display_name": "Python 3", "language": "python"}


def test_bench_runs_full_mode_and_judges_times_in_reference_units(tmp_path, monkeypatch):
    nb = nbformat.v4.new_notebook(metadata={"course": {"time_full_units": 100, "time_presenter_units": 50},
                                            "kernelspec": KERNEL})
    nb.cells = [nbformat.v4.new_code_cell(
        "import os\nfrom course_utils.report import record\nfrom course_utils.config import budget, is_presenter\n"
        "record('answer', budget(full=42, quick=1), at_least=40)\n"
        "record('presenter', float(is_presenter()), at_most=0)\n"
        "record('a time', 30.0, unit='s', at_most=2)")]
    path = tmp_path / "07_tiny.ipynb"
    nbformat.write(nb, path)
    monkeypatch.setenv("COURSE_QUICK", "1")  # bench must switch it off
    monkeypatch.delenv("COURSE_PRESENTER", raising=False)
    references = iter([10.0, 20.0])            # start and end: the unit is their mean, 15 s
    assert bench.run_bench([path], tmp_path / "build", reference=lambda: next(references)) == 0
    result = json.loads((tmp_path / "build" / "bench.json").read_text())
    assert result["reference"]["start_s"] == 10.0 and result["reference"]["unit_s"] == 15.0
    rows = {r["measure"]: r for r in result["rows"]}
    assert rows["answer"] == {"notebook": "07_tiny", "measure": "answer", "value": 42.0, "unit": "",
                              "target": ">= 40", "met": True}
    assert rows["presenter"]["met"] is True                      # the first run is not in presenter mode
    assert rows["a time"]["value"] == 2.0 and rows["a time"]["unit"] == "units" and rows["a time"]["met"]
    wall = rows["wall time (full mode)"]
    assert wall["unit"] == "units" and wall["target"] == "<= 100 units" and wall["met"] is True
    assert abs(wall["value"] * 15.0 - wall["seconds"]) < 0.2
    assert rows["wall time (full mode, COURSE_PRESENTER=1)"]["target"] == "<= 50 units"
    md = (tmp_path / "build" / "bench.md").read_text()
    assert "| 07_tiny | answer | 42 | >= 40 | yes |" in md and "divided by their mean, 15.0 s" in md
    assert "| 07_tiny | a time | 2 units (30 s) | <= 2 units | yes |" in md


def test_a_failing_notebook_is_reported_and_the_rest_still_run(tmp_path):
    bad = nbformat.v4.new_notebook(metadata={"kernelspec": KERNEL})
    bad.cells = [nbformat.v4.new_code_cell("raise RuntimeError('broken lesson')")]
    good = nbformat.v4.new_notebook(metadata={"kernelspec": KERNEL})
    good.cells = [nbformat.v4.new_code_cell("from course_utils.report import record\nrecord('ok', 1)")]
    nbformat.write(bad, tmp_path / "08_bad.ipynb")
    nbformat.write(good, tmp_path / "09_good.ipynb")
    code = bench.run_bench([tmp_path / "08_bad.ipynb", tmp_path / "09_good.ipynb"], tmp_path / "build",
                           reference=lambda: 12.0)
    rows = json.loads((tmp_path / "build" / "bench.json").read_text())["rows"]
    assert code == 1 and next(r["measure"] for r in rows if r["notebook"] == "09_good") == "ok"


def test_a_lessons_bench_tool_runs_first_and_its_records_join_the_lesson(tmp_path, monkeypatch):
    tool = tmp_path / "tool.py"
    tool.write_text("import os\nfrom course_utils.report import record\n"
                    "record('from the tool', 3.0, at_least=2)\n"
                    "open(os.environ['OUT'], 'w').write(os.environ['COURSE_NOTEBOOK'])\n")
    failing = tmp_path / "failing.py"
    failing.write_text("raise SystemExit(3)\n")
    nb = nbformat.v4.new_notebook(metadata={"kernelspec": KERNEL, "course": {"bench_tools": [
        {"command": [str(tool)], "time_units": 5}, {"command": [str(failing)]}]}})
    nb.cells = [nbformat.v4.new_code_cell("import os\nfrom course_utils.report import record\n"
                                          "record('tool ran first', open(os.environ['OUT']).read() == '06_x')")]
    nbformat.write(nb, tmp_path / "06_x.ipynb")
    monkeypatch.setenv("OUT", str(tmp_path / "out.txt"))
    code = bench.run_bench([tmp_path / "06_x.ipynb"], tmp_path / "build", reference=lambda: 10.0)
    rows = {r["measure"]: r for r in json.loads((tmp_path / "build" / "bench.json").read_text())["rows"]}
    assert code == 1                                   # the failing tool is reported
    assert rows["from the tool"]["notebook"] == "06_x" and rows["from the tool"]["met"] is True
    assert rows["wall time of tool.py"]["target"] == "<= 5 units"
    assert rows["tool ran first"]["value"] == 1.0


def test_quick_bench_times_quick_mode_against_its_own_target_and_keeps_time_rows_only(tmp_path, monkeypatch):
    nb = nbformat.v4.new_notebook(metadata={"kernelspec": KERNEL, "course": {
        "time_quick_units": 2, "time_full_units": 100, "time_presenter_units": 50,
        "bench_tools": [{"command": [str(tmp_path / "never_run.py")], "time_units": 5}]}})
    nb.cells = [nbformat.v4.new_code_cell(
        "from course_utils.report import record\nfrom course_utils.config import budget\n"
        "record('answer', budget(full=42, quick=1))\n"
        "record('lesson time', budget(full=100.0, quick=12.0), unit='s', at_most=budget(full=40, quick=2))")]
    path = tmp_path / "05_tiny.ipynb"
    nbformat.write(nb, path)
    monkeypatch.delenv("COURSE_QUICK", raising=False)      # bench must switch it on
    references = iter([10.0, 14.0])
    assert bench.run_bench([path], tmp_path / "build", reference=lambda: next(references), quick=True) == 0
    assert not (tmp_path / "build" / "bench.json").exists()
    result = json.loads((tmp_path / "build" / "bench-quick.json").read_text())
    rows = {r["measure"]: r for r in result["rows"]}
    assert set(rows) == {"lesson time", "wall time (quick mode)"}    # no tool, no presenter, no 'answer'
    assert rows["lesson time"]["value"] == 1.0 and rows["lesson time"]["target"] == "<= 2 units"
    assert rows["wall time (quick mode)"]["target"] == "<= 2 units"
    assert "# Benchmark (quick mode)" in (tmp_path / "build" / "bench-quick.md").read_text()
