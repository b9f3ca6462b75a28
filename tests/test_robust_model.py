"""The shipped robust CNN of lesson 10 (course_utils.models.robust_fashion_cnn): its input convention,
its manifest entry (three seeds, the issue's targets, the tool's time budget), and that its clean and
PGD-40 accuracy on a test subset agree with the numbers the tool measured on the whole test set."""

from __future__ import annotations

import numpy as np
import pytest

from course_utils import attacks, manifest, models
from course_utils.data import load_fashion_mnist
from course_utils.inference import accuracy

N_SUBSET = 500


@pytest.fixture(scope="module")
def robust():
    return models.robust_fashion_cnn()


@pytest.fixture(scope="module")
def subset():
    _, (x_test, y_test) = load_fashion_mnist()
    return models.preprocess(x_test[:N_SUBSET]), y_test[:N_SUBSET].astype("int32")


def test_same_convention_as_the_lesson05_cnn(robust, subset):
    assert tuple(robust.input_shape) == (None, 28, 28, 1)
    # the output is the softmax of the "logits" layer (not the logits, not a sigmoid)
    x = subset[0][:8]
    logits = models.logits_model(robust).predict(x, verbose=0)
    assert logits.shape == (8, 10) and np.ptp(logits) > 1.0
    softmax = np.exp(logits - logits.max(axis=1, keepdims=True))
    softmax /= softmax.sum(axis=1, keepdims=True)
    np.testing.assert_allclose(robust.predict(x, verbose=0), softmax, rtol=1e-5, atol=1e-6)
    # lesson 05's architecture by hand: 3x3 convolutions 1->16->32->64 without bias (144 + 4,608 +
    # 18,432), a batch norm after each (4 x (16 + 32 + 64) = 448), 3x3x64 = 576 -> 128 dense without
    # bias (73,728) and its batch norm (512), 128 -> 10 logits with bias (1,290): 99,162 in all
    assert robust.count_params() == 144 + 4_608 + 18_432 + 448 + 73_728 + 512 + 1_290 == 99_162


def test_manifest_entry_has_three_seeds_and_meets_the_targets():
    info = manifest.entry(models.ROBUST_FASHION_CNN_FILE)
    assert info["made_by"] == "tools/train_robust_cnn.py"
    for name in ("clean_accuracy", "fgsm_accuracy", "pgd40_accuracy"):
        assert len(info["spread"][name]["seeds"]) >= 3
    assert info["spread"]["pgd40_accuracy"]["mean"] >= 0.70           # issue 11's targets
    assert info["spread"]["clean_accuracy"]["mean"] >= 0.82
    assert all(units <= 50 for units in info["train_units"])         # per seed, reference units
    assert info["recipe"] == models.ROBUST_FASHION_CNN_RECIPE


def test_subset_accuracy_agrees_with_the_manifest(robust, subset):
    x, y = subset
    info = manifest.entry(models.ROBUST_FASHION_CNN_FILE)
    recipe = models.ROBUST_FASHION_CNN_RECIPE
    clean = accuracy(robust, x, y)
    pgd = attacks.pgd_accuracy(robust, x, y, recipe["eps"], recipe["eval_alpha"], recipe["eval_steps"])
    for measured, name in ((clean, "clean_accuracy"), (pgd, "pgd40_accuracy")):
        p = info["metrics"][name]
        assert abs(measured - p) < 4 * np.sqrt(p * (1 - p) / N_SUBSET) + 0.01, (name, measured, p)


def test_history_is_the_kept_seed_record():
    history = models.robust_fashion_cnn_history()
    info = manifest.entry(models.ROBUST_FASHION_CNN_FILE)
    assert history["seed"] == info["spread"]["pgd40_accuracy"]["seeds"][0]
    epochs = info["epochs"]
    assert all(len(history["history"][k]) == epochs for k in ("loss", "val_clean", "val_fgsm", "val_pgd"))
    assert history["test"]["pgd40_accuracy"] == pytest.approx(info["metrics"]["pgd40_accuracy"], abs=1e-4)


def test_a_damaged_file_is_refused(tmp_path, monkeypatch):
    fake = tmp_path / models.ROBUST_FASHION_CNN_FILE
    fake.write_bytes(b"not weights")
    monkeypatch.setattr(manifest, "shipped_dir", lambda: tmp_path)
    monkeypatch.setattr(manifest, "read_manifest", lambda: {models.ROBUST_FASHION_CNN_FILE: {
        "sha256": "0" * 64, "made_by": "tools/train_robust_cnn.py"}})
    with pytest.raises(manifest.WeightsFileError, match="SHA-256 mismatch") as info:
        models.robust_fashion_cnn()
    assert "\n" not in str(info.value)


def test_tool_rejects_bad_epochs(capsys):
    import train_robust_cnn  # tools/ is on pytest's pythonpath (pyproject.toml)

    with pytest.raises(SystemExit):
        train_robust_cnn.main(["--epochs", "0"])
    assert "--epochs must be >= 1" in capsys.readouterr().err
