"""The shipped Fashion-MNIST CNN matches its manifest entry and reaches its recorded test accuracy
(a bad file is refused in one line), the training recipe runs, and logits_model cuts at the scores."""

from __future__ import annotations

import shutil

import numpy as np
import pytest

from course_utils import manifest, models
from course_utils.paths import repo_root, sha256_of


# ----------------------------------------------------------------------------- shipped model
def test_shipped_weights_match_the_manifest():
    entry = manifest.entry(models.FASHION_CNN_FILE)
    path = manifest.verified_path(models.FASHION_CNN_FILE)
    assert sha256_of(path) == entry["sha256"] and path.stat().st_size < 2_000_000
    assert entry["made_by"] == "tools/train_fashion_cnn.py"


def test_shipped_model_reaches_its_recorded_test_accuracy():
    from course_utils.data import load_fashion_mnist

    _, (x_test, y_test) = load_fashion_mnist()
    model = models.fashion_cnn()
    accuracy = model.evaluate(models.preprocess(x_test), y_test, batch_size=1000, verbose=0)[1]
    assert accuracy >= manifest.metric(models.FASHION_CNN_FILE, "test_accuracy") - 0.002
    assert manifest.metric(models.FASHION_CNN_FILE, "test_accuracy") >= 0.92


def test_shipped_history_is_the_kept_run_with_the_comparison_models():
    entry = manifest.entry(models.FASHION_CNN_HISTORY_FILE)
    record = models.fashion_cnn_history()   # verified against the manifest on load
    assert entry["made_by"] == "tools/train_fashion_cnn.py" and entry["weights"] == models.FASHION_CNN_FILE
    assert record["test_accuracy"] == manifest.metric(models.FASHION_CNN_FILE, "test_accuracy") == entry["metrics"]["test_accuracy"]
    curves = record["history"]
    n = len(curves["loss"])
    assert {"loss", "accuracy", "val_loss", "val_accuracy"} <= set(curves) and n >= 2
    assert all(len(v) == n for v in curves.values()) and len(record["epoch_seconds"]) == n
    assert abs(max(curves["val_accuracy"]) - entry["metrics"]["best_val_accuracy"]) < 1e-4
    recipe = models.FASHION_BASELINES_RECIPE
    for name, build in (("mlp", models.build_mlp), ("classic_convnet", models.build_classic_convnet)):
        row = record["baselines"][name]
        assert row["parameters"] == build().count_params() and row["epochs"] == recipe["epochs"][name]
        assert row["n_train"] == recipe["n_train"] and 0.8 < row["test_accuracy"] < record["test_accuracy"]


@pytest.mark.parametrize("damage", ["flip a byte", "truncate", "missing"])
def test_a_damaged_weights_file_is_refused_in_one_line(tmp_path, monkeypatch, damage):
    shutil.copy(manifest.manifest_path(), tmp_path / manifest.MANIFEST_NAME)
    bad = tmp_path / models.FASHION_CNN_FILE
    shutil.copy(manifest.verified_path(models.FASHION_CNN_FILE), bad)
    raw = bytearray(bad.read_bytes())
    if damage == "flip a byte":
        raw[len(raw) // 2] ^= 0xFF
        bad.write_bytes(bytes(raw))
    elif damage == "truncate":
        bad.write_bytes(bytes(raw[: len(raw) // 3]))
    else:
        bad.unlink()
    monkeypatch.setattr(manifest, "shipped_dir", lambda: tmp_path)
    with pytest.raises(manifest.WeightsFileError) as info:
        models.fashion_cnn()
    message = str(info.value)
    assert str(bad) in message and "train_fashion_cnn.py" in message and "\n" not in message


def test_training_recipe_runs_and_the_tool_has_a_help(tmp_path):
    import subprocess
    import sys

    rng = np.random.default_rng(0)
    x, y = rng.random((256, 28, 28, 1)).astype("float32"), rng.integers(0, 10, 256)
    import keras
    from train_fashion_cnn import train_fashion_cnn  # tools/ is on the test path

    keras.utils.set_random_seed(0)
    before = models.build_fashion_cnn()               # the initial weights the tool's model starts from
    keras.utils.set_random_seed(0)
    model, history = train_fashion_cnn(x, y, (x[:64], y[:64]), epochs=1, verbose=0)
    assert model.output_shape == (None, 10) and len(history.history["loss"]) == 1
    assert model.count_params() == before.count_params()
    kernels = [(a, b) for a, b in zip(model.get_weights(), before.get_weights()) if a.ndim > 1]
    assert len(kernels) == 5 and not any(np.allclose(a, b) for a, b in kernels)   # every kernel trained
    keras.utils.set_random_seed(0)
    again = models.build_fashion_cnn()                # the seed does fix the start: the comparison means something
    assert all(np.array_equal(a, b) for a, b in zip(again.get_weights(), before.get_weights()))
    tool = repo_root() / "tools" / "train_fashion_cnn.py"
    out = subprocess.run([sys.executable, str(tool), "--help"], capture_output=True, text=True, check=True).stdout
    assert "--update" in out and "--seeds" in out


def test_logits_model_outputs_the_scores_before_the_softmax():
    import keras

    model = models.fashion_cnn()
    x = np.random.default_rng(1).random((4, 28, 28, 1)).astype("float32")
    logits = np.asarray(models.logits_model(model)(x))
    probs = model.predict(x, verbose=0)
    assert logits.shape == (4, 10)
    assert np.allclose(np.exp(logits) / np.exp(logits).sum(1, keepdims=True), probs, atol=1e-5)
    plain = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    assert models.logits_model(plain) is plain        # no "logits" layer: already scores
