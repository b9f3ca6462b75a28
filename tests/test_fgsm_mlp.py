"""The shipped FGSM-trained MLP of lesson 09 (course_utils.models.fgsm_trained_mlp): its architecture,
its manifest entry (three seeds, label leaking in each), and that on a test subset its accuracies
agree with the tool's and show the leak: true-label FGSM weaker than predicted-label FGSM, weaker than PGD."""

from __future__ import annotations

import numpy as np
import pytest

from course_utils import manifest, models
from course_utils.data import load_fashion_mnist

N_SUBSET = 500


@pytest.fixture(scope="module")
def leaky():
    return models.fgsm_trained_mlp()


@pytest.fixture(scope="module")
def subset():
    _, (x_test, y_test) = load_fashion_mnist()
    return models.preprocess(x_test[:N_SUBSET]), y_test[:N_SUBSET].astype("int32")


def test_lesson03_mlp_with_a_logits_layer(leaky):
    untrained = models.build_mlp_with_logits()
    assert untrained.count_params() == models.build_mlp().count_params() == 235_146
    assert tuple(leaky.input_shape) == (None, 28, 28, 1)
    assert leaky.get_layer("logits").output.shape[-1] == 10
    x = np.random.default_rng(0).random((4, 28, 28, 1)).astype("float32")
    scores = models.logits_model(leaky)(x).numpy()
    probs = leaky.predict(x, verbose=0)
    e = np.exp(scores - scores.max(axis=1, keepdims=True))
    np.testing.assert_allclose(probs, e / e.sum(axis=1, keepdims=True), rtol=1e-4, atol=1e-6)


def test_manifest_entry_has_three_seeds_each_with_the_leak():
    info = manifest.entry(models.FGSM_MLP_FILE)
    assert info["made_by"] == "tools/train_fgsm_mlp.py" and info["recipe"] == models.FGSM_MLP_RECIPE
    spread = info["spread"]
    seeds = spread["pgd_accuracy"]["seeds"]
    assert len(seeds) >= 3 and info["seeds_with_leak"] == len(seeds)
    for k in range(len(seeds)):
        true_y, pred_y, pgd = (spread[name]["values"][k] for name in
                               ("fgsm_true_label_accuracy", "fgsm_predicted_label_accuracy", "pgd_accuracy"))
        assert true_y > pred_y > pgd


def test_subset_agrees_with_the_manifest_and_shows_the_leak(leaky, subset):
    import train_fgsm_mlp  # tools/ is on pytest's pythonpath (pyproject.toml)

    x, y = subset
    measured = train_fgsm_mlp.leak_accuracies(leaky, x, y, seed=0)
    info = manifest.entry(models.FGSM_MLP_FILE)
    for name, value in measured.items():
        p = info["metrics"][name]
        assert abs(value - p) < 4 * np.sqrt(max(p * (1 - p), 0.01) / N_SUBSET) + 0.01, (name, value, p)
    assert (measured["fgsm_true_label_accuracy"] > measured["fgsm_predicted_label_accuracy"]
            > measured["pgd_accuracy"])


def test_a_damaged_file_is_refused_in_one_line(tmp_path, monkeypatch):
    fake = tmp_path / models.FGSM_MLP_FILE
    fake.write_bytes(b"not weights")
    monkeypatch.setattr(manifest, "shipped_dir", lambda: tmp_path)
    monkeypatch.setattr(manifest, "read_manifest", lambda: {models.FGSM_MLP_FILE: {
        "sha256": "0" * 64, "made_by": "tools/train_fgsm_mlp.py"}})
    with pytest.raises(manifest.WeightsFileError, match="SHA-256 mismatch") as info:
        models.fgsm_trained_mlp()
    assert "\n" not in str(info.value)
