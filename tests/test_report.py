from course_utils import report, speed


def test_record_prints_verdict_and_saves_when_benching(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv(report.REPORT_DIR_ENV, str(tmp_path))
    monkeypatch.setenv(report.NOTEBOOK_ENV, "02_softmax")
    monkeypatch.delenv("COURSE_QUICK", raising=False)
    row = report.record("test accuracy", 0.8312, at_least=0.84)
    assert row["met"] is False and "not met" in capsys.readouterr().out
    rows = report.read_records(tmp_path)
    assert rows[0]["notebook"] == "02_softmax" and rows[0]["at_least"] == 0.84 and rows[0]["value"] == 0.8312


def test_a_time_is_judged_in_reference_units(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    monkeypatch.delenv(report.REPORT_DIR_ENV, raising=False)
    row = report.record("training time", 300.0, unit="s", at_most=20)
    assert row["met"] is None and "not measured: make speed" in capsys.readouterr().out
    speed.save_reference(12.0)
    row = report.record("training time", 300.0, unit="s", at_most=20)       # 25 units
    said = capsys.readouterr().out
    assert row["met"] is False and "25.00 reference units" in said and "<= 20 units: not met" in said
    assert report.record("training time", 180.0, unit="s", at_most=20)["met"] is True


def test_record_without_bench_writes_nothing(tmp_path, monkeypatch):
    monkeypatch.delenv(report.REPORT_DIR_ENV, raising=False)
    assert report.record("x", 1.0)["met"] is None
    assert report.read_records(tmp_path) == []


def test_target_text_and_meets():
    assert report.target_text(0.9, None) == ">= 0.9"
    assert report.target_text(None, 5, "units") == "<= 5 units"
    assert report.target_text(1, 2) == ">= 1 and <= 2" and report.target_text(None, None, "units") == ""
    assert report.meets(3, None, None) is None and report.meets(3, 1, 3) and not report.meets(3.1, 1, 3)


def test_a_cell_ending_with_record_shows_only_the_printed_line(capsys):
    """IPython displays a cell's last value; `record` prints its line, so its row displays nothing."""
    from IPython.core.interactiveshell import InteractiveShell

    shell = InteractiveShell.instance()
    result = shell.run_cell("from course_utils.report import record\n"
                            "record('accuracy', 0.9, at_least=0.8)")
    assert result.success and result.result["met"] is True
    out = capsys.readouterr().out
    assert out.count("accuracy: 0.9 (target >= 0.8: met") == 1
    assert "'measure'" not in out
