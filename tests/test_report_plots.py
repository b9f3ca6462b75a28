import json
import subprocess
import sys
from pathlib import Path

import matplotlib.pyplot as plt
import nbformat
import numpy as np
import pytest

from course_utils import plots, report

ROOT = Path(__file__).resolve().parent.parent


def test_record_prints_verdict_and_saves_when_benching(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv(report.REPORT_DIR_ENV, str(tmp_path))
    monkeypatch.setenv(report.NOTEBOOK_ENV, "02_softmax")
    monkeypatch.delenv("COURSE_QUICK", raising=False)
    row = report.record("test accuracy", 0.8312, at_least=0.84)
    assert row["met"] is False and "not met" in capsys.readouterr().out
    report.record("seconds", 12.0, at_most=60, unit="s")
    rows = report.read_records(tmp_path)
    assert [r["measure"] for r in rows] == ["test accuracy", "seconds"] and rows[1]["met"] is True
    assert rows[0]["notebook"] == "02_softmax" and rows[0]["target"] == ">= 0.84"


def test_record_without_bench_writes_nothing(tmp_path, monkeypatch):
    monkeypatch.delenv(report.REPORT_DIR_ENV, raising=False)
    assert report.record("x", 1.0)["met"] is None
    assert report.read_records(tmp_path) == []


def test_bench_tables_have_the_same_rows(tmp_path):
    rows = [{"notebook": "00", "measure": "a", "value": 1.5, "target": ">= 1", "met": True, "unit": ""},
            {"notebook": "00", "measure": "wall time", "value": 200.0, "target": "<= 180", "met": False,
             "unit": "s"}]
    report.write_bench_tables(rows, tmp_path / "b.md", tmp_path / "b.json")
    table = json.loads((tmp_path / "b.json").read_text())
    assert [set(r) >= {"notebook", "measure", "value", "target", "met"} for r in table] == [True, True]
    md = (tmp_path / "b.md").read_text()
    assert "| 00 | wall time | 200 s | <= 180 | **no** |" in md and "| 00 | a | 1.5 | >= 1 | yes |" in md


def test_bench_runs_a_notebook_in_full_mode_and_gathers_its_numbers(tmp_path, monkeypatch):
    nb = nbformat.v4.new_notebook(metadata={"course": {"time_full_s": 120},
                                            "kernelspec": {"name": "python3", "display_name": "Python 3",
                                                           "language": "python"}})
    nb.cells = [nbformat.v4.new_code_cell(
        "from course_utils.report import record\nfrom course_utils.config import budget\n"
        "record('answer', budget(full=42, quick=1), at_least=40)")]
    path = tmp_path / "07_tiny.ipynb"
    nbformat.write(nb, path)
    monkeypatch.setenv("COURSE_QUICK", "1")  # bench must switch it off
    sys.path.insert(0, str(ROOT / "tools"))
    try:
        import bench
    finally:
        sys.path.pop(0)
    assert bench.run_bench([path], tmp_path / "build") == 0
    rows = json.loads((tmp_path / "build" / "bench.json").read_text())
    assert rows[0] == {"notebook": "07_tiny", "measure": "answer", "value": 42.0, "target": ">= 40",
                       "met": True, "unit": ""}
    assert rows[1]["measure"] == "wall time (full mode)" and rows[1]["met"] is True
    assert "| 07_tiny | answer | 42 | >= 40 | yes |" in (tmp_path / "build" / "bench.md").read_text()


def test_image_grid_titles_and_errors():
    fig = plots.image_grid(np.zeros((7, 28, 28)), titles=[str(i) for i in range(7)], ncols=4)
    titled = [ax.get_title() for ax in fig.axes if ax.get_title()]
    assert titled == [str(i) for i in range(7)] and len(fig.axes) == 8
    with pytest.raises(ValueError, match="7 images but 2 titles"):
        plots.image_grid(np.zeros((7, 4, 4)), titles=["a", "b"])
    plt.close("all")


def test_topk_bar_puts_best_on_top():
    ax = plots.topk_bar([("n1", "espresso", 0.9), ("n2", "cup", 0.05)], title="coffee")
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels == ["cup", "espresso"] and ax.get_title() == "coffee"
    plt.close("all")


def test_training_curves_plot_train_and_validation():
    fig = plots.training_curves({"loss": [1, 0.5], "val_loss": [1.1, 0.7], "accuracy": [0.5, 0.8]})
    assert len(fig.axes) == 2 and len(fig.axes[0].lines) == 2
    with pytest.raises(ValueError, match="none of the metrics"):
        plots.training_curves({"auc": [0.5]})
    plt.close("all")


def test_pixel_values_writes_every_value():
    patch = np.arange(12, dtype=np.uint8).reshape(3, 4) * 20
    ax = plots.pixel_values(patch)
    assert sorted(int(t.get_text()) for t in ax.texts) == sorted(patch.ravel().tolist())
    with pytest.raises(ValueError, match="small 2-D patch"):
        plots.pixel_values(np.zeros((100, 100)))
    plt.close("all")
