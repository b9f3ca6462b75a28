import os
import subprocess
import sys

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


FREEZE_PROBE = """
import gc, sys
from course_utils.startup import freeze_imports
before = gc.get_freeze_count()
first = freeze_imports()
models = [[i] for i in range(10_000)]          # made after the first call: must stay collectable
print(before, first, gc.get_freeze_count(), gc.isenabled(), "keras" in sys.modules)
"""


def test_freeze_imports_freezes_the_frameworks_and_leaves_the_collector_on():
    out = subprocess.run([sys.executable, "-c", FREEZE_PROBE], capture_output=True, text=True, check=True,
                         env=os.environ | {"TF_CPP_MIN_LOG_LEVEL": "3"}).stdout.split()
    before, first, total = (int(n) for n in out[:3])
    assert before == 0 and first > 100_000 and total == first   # Keras and TensorFlow: hundreds of thousands
    assert out[3:] == ["True", "True"]           # the collector is back on; Keras was imported


def test_presenter_switch_follows_the_environment_and_set_presenter(monkeypatch, capsys):
    monkeypatch.delenv("COURSE_PRESENTER", raising=False)
    monkeypatch.setenv("COURSE_QUICK", "1")
    try:
        assert not config.is_presenter() and not config.use_shipped()   # quick mode does not imply it
        assert capsys.readouterr().out == ""
        monkeypatch.setenv("COURSE_PRESENTER", "1")
        assert config.is_presenter() and config.use_shipped("the shipped CNN")
        said = capsys.readouterr().out.strip()
        assert said.count("\n") == 0 and "the shipped CNN" in said and "COURSE_PRESENTER=1" in said
        config.set_presenter(False)           # the call wins over the variable ...
        assert not config.is_presenter()
        monkeypatch.delenv("COURSE_PRESENTER")
        config.set_presenter(True)            # ... both ways (a first cell on Colab)
        assert config.is_presenter()
        config.set_presenter(None)            # back to the variable
        assert not config.is_presenter()
    finally:
        config.set_presenter(None)


def test_config_imports_nothing_from_the_course():
    from pathlib import Path

    source = Path(config.__file__).read_text(encoding="utf-8")
    assert "from course_utils" not in source.replace("from course_utils.config import", "")
