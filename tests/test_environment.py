import os
import sys
import types

from course_utils import environment, speed


def test_environment_report_names_versions_mode_presenter_data_and_speed(monkeypatch, tmp_path):
    monkeypatch.setenv("COURSE_QUICK", "1")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    report = environment.environment_report()
    for word in ("Python", "TensorFlow", "Keras", "Devices", "Mode        quick", "Presenter   off",
                 "Fashion-MNIST", "Colab", "Speed       not measured yet: `make speed`"):
        assert word in report, word
    speed.save_reference(12.34)
    assert "1 reference unit = 12.3 s on this machine" in environment.environment_report()


def test_one_colab_test_shared_with_the_stamped_cell(monkeypatch):
    """on_colab() and the expression pasted into the Colab set-up cell agree in every case."""
    for has_module in (False, True):
        for has_variable in (False, True):
            if has_module:
                monkeypatch.setitem(sys.modules, "google.colab", types.ModuleType("google.colab"))
            else:
                monkeypatch.delitem(sys.modules, "google.colab", raising=False)
            if has_variable:
                monkeypatch.setenv("COLAB_RELEASE_TAG", "release")
            else:
                monkeypatch.delenv("COLAB_RELEASE_TAG", raising=False)
            expected = has_module or has_variable
            assert environment.on_colab() is expected
            assert eval(environment.COLAB_CHECK, {"sys": sys, "os": os}) is expected


def test_the_stamped_colab_cell_uses_the_shared_test():
    import delivery

    assert f"if {environment.COLAB_CHECK}:" in delivery.setup_source()
