import io

import numpy as np
import pytest

from course_utils import progress, speed


def test_progress_yields_every_item_and_ends_full():
    out = io.StringIO()
    assert list(progress.progress(range(7), desc="demo", file=out)) == list(range(7))
    text = out.getvalue()
    assert "demo" in text and "7/7" in text
    assert text.count("\n") <= 2          # compact: one bar, not one line per item


def test_keras_progress_counts_every_step_and_shows_the_last_epoch():
    import keras

    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2, activation="softmax")])
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    x, y = np.random.rand(64, 3).astype("float32"), np.random.randint(0, 2, 64)
    out = io.StringIO()
    callback = progress.keras_progress("fit", file=out)
    model.fit(x, y, batch_size=16, epochs=3, verbose=0, callbacks=[callback], validation_data=(x, y))
    assert callback.bar.n == callback.bar.total == 3 * 4
    assert set(callback.last_logs) >= {"loss", "accuracy", "val_loss"}
    text = out.getvalue()
    assert "fit" in text and "12/12" in text and "epoch 3/3" in text and text.count("\n") <= 2


def test_units_and_the_cached_reference(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert speed.to_units(240.0, 12.0) == 20.0
    with pytest.raises(ValueError, match="positive"):
        speed.to_units(1.0, 0.0)
    assert speed.cached_reference() is None and "not measured" in speed.describe(None)
    info = speed.save_reference(41.7)
    assert speed.cached_reference() == info and info["seconds"] == 41.7 and len(info["date"]) == 10
    (tmp_path / "course_utils" / speed.CACHE_NAME).write_text("garbage")
    assert speed.cached_reference() is None          # a damaged cache reads as not measured


def test_reference_workload_is_the_classic_convnet_and_runs():
    model = speed.build_reference_model()
    kinds = [type(layer).__name__ for layer in model.layers]
    assert kinds == ["Conv2D", "Conv2D", "MaxPooling2D", "Dropout", "Flatten", "Dense", "Dropout", "Dense"]
    assert model.count_params() == 1_199_882        # the Keras example's 1.2 M parameters
    assert speed.measure_reference(images=512) > 0


def test_epoch_timer_keeps_one_positive_time_per_epoch():
    import keras

    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2, activation="softmax")])
    model.compile("adam", "sparse_categorical_crossentropy")
    timer = progress.EpochTimer()
    model.fit(np.zeros((8, 3), "float32"), np.zeros(8, "int32"), epochs=3, verbose=0, callbacks=[timer])
    assert len(timer.seconds) == 3 and all(s > 0 for s in timer.seconds)


def test_the_speed_tool_prints_the_cached_figure_as_json_for_the_bench(tmp_path, monkeypatch, capsys):
    import json

    import bench
    import speed as speed_tool  # tools/speed.py, which bench runs in a fresh process

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    monkeypatch.setattr(speed, "measure_reference", lambda: 12.34)
    assert speed_tool.main(["--json"]) == 0
    assert json.loads(capsys.readouterr().out)["seconds"] == 12.34 == speed.cached_reference()["seconds"]
    assert (bench.ROOT / "tools" / "speed.py").is_file()
