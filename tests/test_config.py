import numpy as np

from course_utils import config


def test_budget_follows_course_quick(monkeypatch):
    monkeypatch.setenv("COURSE_QUICK", "1")
    assert config.is_quick() and config.budget(full=8, quick=1) == 1 and config.mode_name() == "quick"
    monkeypatch.setenv("COURSE_QUICK", "0")
    assert not config.is_quick() and config.budget(full=8, quick=1) == 8
    monkeypatch.delenv("COURSE_QUICK")
    assert config.budget(full="all", quick="some") == "all"


def test_seed_everything_repeats_numpy_and_keras():
    import keras

    config.seed_everything(3)
    a, ka = np.random.rand(3), keras.random.uniform((3,)).numpy()
    config.seed_everything(3)
    b, kb = np.random.rand(3), keras.random.uniform((3,)).numpy()
    assert np.array_equal(a, b) and np.array_equal(ka, kb)


def test_cache_paths_respect_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "k"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "x"))
    assert config.keras_home() == tmp_path / "k"
    assert config.cache_dir() == tmp_path / "x" / "course_utils" and config.cache_dir().is_dir()
    monkeypatch.delenv("KERAS_HOME")
    assert config.keras_home().name == ".keras"


def test_environment_report_names_versions_mode_and_data(monkeypatch):
    monkeypatch.setenv("COURSE_QUICK", "1")
    report = config.environment_report()
    for word in ("Python", "TensorFlow", "Keras", "Devices", "Mode        quick", "Fashion-MNIST", "Colab"):
        assert word in report


def test_on_colab_and_repo_root(monkeypatch):
    import sys
    import types

    assert (config.repo_root() / "course_utils" / "config.py").is_file()
    monkeypatch.delitem(sys.modules, "google.colab", raising=False)
    monkeypatch.setattr(config, "_can_import", lambda name: False)
    assert not config.on_colab()
    monkeypatch.setitem(sys.modules, "google.colab", types.ModuleType("google.colab"))
    assert config.on_colab()
