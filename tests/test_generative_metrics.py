"""course_utils.generative_metrics: the Fréchet distance against closed forms and an independent
eigen-decomposition, the lesson 05 CNN's features, class coverage, one-line errors on bad input, and
golden outputs of the code before issue 21's rewrite (tests/golden/generative_metrics.npz)."""

from __future__ import annotations

import gc
import weakref
from pathlib import Path

import numpy as np
import pytest

from course_utils import generative_metrics as gm
from course_utils.models import fashion_cnn, preprocess

GOLDEN = np.load(Path(__file__).parent / "golden" / "generative_metrics.npz", allow_pickle=False)


def _random_spd(rng: np.random.Generator, d: int) -> np.ndarray:
    a = rng.normal(size=(d, d))
    return a @ a.T / d + 0.1 * np.eye(d)


def _sqrt_psd(m: np.ndarray) -> np.ndarray:
    w, v = np.linalg.eigh(m)
    return (v * np.sqrt(np.clip(w, 0, None))) @ v.T


def _frechet_by_eigh(mu_a, cov_a, mu_b, cov_b) -> float:
    """Independent route: Tr((A B)^1/2) = Tr((A^1/2 B A^1/2)^1/2), a symmetric PSD matrix's root by eigh."""
    root_a = _sqrt_psd(cov_a)
    inner = np.linalg.eigvalsh(root_a @ cov_b @ root_a)
    trace_root = np.sqrt(np.clip(inner, 0, None)).sum()
    diff = mu_a - mu_b
    return float(diff @ diff + np.trace(cov_a) + np.trace(cov_b) - 2 * trace_root)


def test_two_identical_sets_give_zero():
    features = np.random.default_rng(0).normal(size=(500, 16)) * 3 + 1
    assert gm.frechet_distance(features, features) == pytest.approx(0.0, abs=1e-6)
    assert gm.frechet_distance(features, features.copy()) >= 0.0


def test_mean_shift_with_equal_covariance_gives_the_squared_shift():
    rng = np.random.default_rng(1)
    cov = _random_spd(rng, 12)
    mu = rng.normal(size=12)
    delta = rng.normal(size=12)
    value = gm._frechet_from_moments(mu, cov, mu + delta, cov)
    assert value == pytest.approx(float(delta @ delta), rel=1e-8, abs=1e-9)


def test_diagonal_covariances_give_the_closed_form():
    rng = np.random.default_rng(2)
    sigma_a, sigma_b = rng.uniform(0.2, 3, size=8), rng.uniform(0.2, 3, size=8)
    mu_a, mu_b = rng.normal(size=8), rng.normal(size=8)
    expected = float(((sigma_a - sigma_b) ** 2).sum() + ((mu_a - mu_b) ** 2).sum())
    value = gm._frechet_from_moments(mu_a, np.diag(sigma_a**2), mu_b, np.diag(sigma_b**2))
    assert value == pytest.approx(expected, rel=1e-10)


@pytest.mark.parametrize("d", [3, 10, 64])
def test_agrees_with_an_eigendecomposition_for_random_spd_matrices(d):
    rng = np.random.default_rng(d)
    mu_a, mu_b = rng.normal(size=d), rng.normal(size=d)
    cov_a, cov_b = _random_spd(rng, d), 2.0 * _random_spd(rng, d)
    expected = _frechet_by_eigh(mu_a, cov_a, mu_b, cov_b)
    assert gm._frechet_from_moments(mu_a, cov_a, mu_b, cov_b) == pytest.approx(expected, rel=1e-8)


def test_is_symmetric():
    rng = np.random.default_rng(3)
    a = rng.normal(size=(300, 6)) @ rng.normal(size=(6, 6))
    b = rng.normal(size=(400, 6)) * 2 + 0.5
    assert gm.frechet_distance(a, b) == pytest.approx(gm.frechet_distance(b, a), rel=1e-9)
    assert gm.frechet_distance(a, b) > 1.0


def test_sample_estimate_from_20000_draws_is_close_to_the_closed_form():
    # Closed form 14.74. With 20,000 draws per set the estimate's spread over 30 seeds was 0.10
    # (mostly the sampling error of the means, times 2 |delta|; largest error 0.26), so 0.4 is four spreads.
    rng = np.random.default_rng(4)
    mu_a, mu_b = np.array([0.0, 1.0, -1.0, 2.0]), np.array([1.0, -1.0, 0.5, 0.0])
    sigma_a, sigma_b = np.array([1.0, 0.5, 2.0, 1.5]), np.array([0.3, 1.5, 1.0, 2.5])
    expected = float(((sigma_a - sigma_b) ** 2).sum() + ((mu_a - mu_b) ** 2).sum())
    a = mu_a + sigma_a * rng.normal(size=(20_000, 4))
    b = mu_b + sigma_b * rng.normal(size=(20_000, 4))
    assert gm.frechet_distance(a, b) == pytest.approx(expected, abs=0.4)


def test_a_dead_feature_column_leaves_the_distance_of_the_others():
    # A ReLU unit that never fires gives a zero row and column in both covariances (singular): no effect.
    rng = np.random.default_rng(5)
    a, b = rng.normal(size=(1000, 5)), rng.normal(size=(1000, 5)) * 1.5 + 0.3
    dead_a, dead_b = np.hstack([a, np.zeros((1000, 2))]), np.hstack([b, np.zeros((1000, 2))])
    assert gm.frechet_distance(dead_a, dead_b) == pytest.approx(gm.frechet_distance(a, b), abs=1e-4)


def test_an_untrustworthy_root_is_recomputed_with_the_diagonal_offset(monkeypatch):
    # For PSD covariances scipy's sqrtm rarely fails; make its first answer NaN to drive the fallback.
    import scipy.linalg

    real_sqrtm, calls = scipy.linalg.sqrtm, []

    def failing_once(m):
        calls.append(m)
        return np.full_like(m, np.nan) if len(calls) == 1 else real_sqrtm(m)

    monkeypatch.setattr(scipy.linalg, "sqrtm", failing_once)
    rng = np.random.default_rng(6)
    d, mu_a, mu_b = 8, rng.normal(size=8), rng.normal(size=8)
    cov_a, cov_b = _random_spd(rng, d), np.diag(np.r_[np.zeros(3), np.ones(5)])   # cov_b singular
    exact = _frechet_by_eigh(mu_a, cov_a, mu_b, cov_b)
    value = gm._frechet_from_moments(mu_a, cov_a, mu_b, cov_b, offset=1e-4)
    assert len(calls) == 2 and np.allclose(calls[1], (cov_a + 1e-4 * np.eye(d)) @ (cov_b + 1e-4 * np.eye(d)))
    assert abs(np.sqrt(value) - np.sqrt(exact)) <= 2 * np.sqrt(1e-4 * d)   # the documented bound
    monkeypatch.setattr(scipy.linalg, "sqrtm", lambda m: np.full_like(m, np.nan))
    with pytest.raises(ValueError, match="no reliable square root even with the diagonal offset") as info:
        gm._frechet_from_moments(mu_a, cov_a, mu_b, cov_b)
    assert "\n" not in str(info.value)


@pytest.fixture(scope="module")
def cnn():
    return fashion_cnn()


@pytest.fixture(scope="module")
def test_images():
    from course_utils.data import load_fashion_mnist

    _, (x_test, y_test) = load_fashion_mnist()
    return preprocess(x_test), y_test


def test_cnn_features_are_the_128_d_dense_relu_layer(test_images, cnn):
    x, _ = test_images
    features = gm.cnn_features(x[:20], cnn, batch_size=8)
    assert features.shape == (20, 128) and features.dtype == np.float64
    assert features.min() >= 0.0 and features.max() > 0.0     # after a ReLU, not all dead
    assert np.allclose(gm.cnn_features(x[:20, :, :, 0], cnn), features, atol=1e-5)   # (N, 28, 28) too
    assert gm.frechet_distance(features, features) == pytest.approx(0.0, abs=1e-6)


def test_class_coverage_of_the_test_images_is_nearly_uniform(test_images, cnn):
    x, _ = test_images
    coverage = gm.class_coverage(x, cnn)
    assert coverage.shape == (10,) and np.all(np.abs(coverage - 0.1) <= 0.02), coverage
    assert gm.coverage_entropy(coverage) == pytest.approx(np.log2(10), abs=0.01)


def test_class_coverage_of_a_known_labelled_set(test_images, cnn):
    x, y = test_images
    right = np.flatnonzero(cnn.predict(x[:300], verbose=0).argmax(axis=1) == y[:300])  # Keras' own argmax
    picked = np.concatenate([right[y[right] == 2][:6], right[y[right] == 5][:3], right[y[right] == 9][:1]])
    assert len(picked) == 10
    expected = np.zeros(10)
    expected[[2, 5, 9]] = [0.6, 0.3, 0.1]             # 6 pullovers, 3 sandals, 1 ankle boot
    np.testing.assert_allclose(gm.class_coverage(x[picked], cnn, batch_size=4), expected, atol=1e-12)


def test_class_coverage_of_copies_of_one_image_is_one_hot(test_images, cnn):
    x, y = test_images
    coverage = gm.class_coverage(np.repeat(x[:1], 100, axis=0), cnn)
    expected = np.zeros(10)
    expected[y[0]] = 1.0      # the shipped CNN gets the first test image (an ankle boot) right
    assert np.array_equal(coverage, expected)
    assert gm.coverage_entropy(coverage) == 0.0
    assert gm.coverage_entropy(np.full(10, 0.1)) == pytest.approx(np.log2(10))


def test_precision_recall_on_a_hand_example():
    real = np.array([[0.0], [1.0], [2.0], [3.0]])          # each real point's nearest neighbour is 1 away
    fake = np.array([[0.5], [10.0]])                        # each fake point's nearest is 9.5 away
    # k = 1: 0.5 lies in a real ball, 10 in none; every real point lies within 9.5 of 0.5
    assert gm.precision_recall(real, fake, k=1) == {"precision": 0.5, "recall": 1.0}
    assert gm.precision_recall(fake, real, k=1) == {"precision": 1.0, "recall": 0.5}


def test_precision_recall_see_a_collapse_that_keeps_the_precision():
    rng = np.random.default_rng(9)
    real = rng.normal(size=(400, 8))
    assert gm.precision_recall(real, real.copy()) == {"precision": 1.0, "recall": 1.0}
    collapsed = real[rng.integers(0, 5, 400)] + 1e-3 * rng.normal(size=(400, 8))   # 5 images, copied
    pr = gm.precision_recall(real, collapsed)
    assert pr["precision"] == 1.0 and pr["recall"] < 0.05


@pytest.mark.parametrize(("call", "match"), [
    (lambda: gm.precision_recall(np.zeros((5, 2)), np.zeros((5, 3))), "same width"),
    (lambda: gm.precision_recall(np.zeros((5, 2)), np.zeros((3, 2)), k=3), "1 <= k < the smaller"),
    (lambda: gm.frechet_distance(np.zeros(10), np.zeros((10, 2))), "features_a must be a finite 2-D array"),
    (lambda: gm.frechet_distance(np.zeros((10, 3)), np.zeros((10, 4))), "3 features per sample but features_b has 4"),
    (lambda: gm.frechet_distance(np.zeros((1, 3)), np.zeros((10, 3))), "at least 2 samples"),
    (lambda: gm.frechet_distance(np.full((5, 3), np.nan), np.zeros((5, 3))), "NaN or infinite"),
    (lambda: gm.cnn_features(np.zeros((4, 784)), None), r"shape \(N, 28, 28, 1\)"),
    (lambda: gm.cnn_features(np.full((4, 28, 28, 1), 255.0), None), r"must be in \[0, 1\].*preprocess"),
    (lambda: gm.class_coverage(np.full((4, 28, 28, 1), -0.5), None), r"must be in \[0, 1\]"),
    (lambda: gm.cnn_features(np.zeros((0, 28, 28, 1)), None), "at least 1 image"),
    (lambda: gm.cnn_features(np.zeros((2, 28, 28, 1)), fashion_cnn(weights=None), layer="fc"), "has no layer 'fc'"),
    (lambda: gm.coverage_entropy(np.array([0.5, 0.2])), "summing to 1"),
])
def test_bad_input_raises_one_line(call, match):
    with pytest.raises(ValueError, match=match) as info:
        call()
    assert "\n" not in str(info.value)


def test_golden_frechet_distance_features_and_coverage(cnn):
    assert gm.frechet_distance(GOLDEN["fa"], GOLDEN["fb"]) == pytest.approx(float(GOLDEN["frechet"]), abs=1e-6)
    assert gm.frechet_distance(GOLDEN["fa"], GOLDEN["fa"]) == pytest.approx(float(GOLDEN["frechet_self"]), abs=1e-6)
    x = preprocess(np.load(Path(__file__).parent / "golden" / "generative_vae.npz", allow_pickle=False)["x_u8"])
    np.testing.assert_allclose(gm.cnn_features(x, cnn), GOLDEN["features"], atol=1e-6)
    np.testing.assert_array_equal(gm.class_coverage(x, cnn), GOLDEN["coverage"])
    np.testing.assert_array_equal(GOLDEN["coverage"], GOLDEN["coverage_default"])    # old default: the same CNN
    assert gm.coverage_entropy(GOLDEN["coverage"]) == pytest.approx(float(GOLDEN["entropy"]), abs=1e-12)


def test_the_feature_extractor_does_not_keep_a_deleted_model_alive():
    model = fashion_cnn(weights=None, compile=False)
    gm.cnn_features(np.zeros((2, 28, 28, 1), np.float32), model)
    gm.class_coverage(np.zeros((2, 28, 28, 1), np.float32), model)
    ref = weakref.ref(model)
    del model
    gc.collect()
    assert ref() is None
