"""Tests for course_utils.attacks: golden outputs of the code before the merge (issue 21), closed forms
on a linear model, an independent NumPy cross-check, the [0, 1] box and the eps-balls, PGD against
FGSM, C&W against a PGD-L2 radius search, and errors.

Tiny models (a linear model on 4x4x1 inputs, a small MLP trained on scikit-learn's 8x8 digits) and,
for the golden outputs, the shipped lesson 05 CNN on 16 Fashion-MNIST test images stored in
tests/golden/attacks_golden.npz.
"""

from __future__ import annotations

from pathlib import Path

import keras
import numpy as np
import pytest
import tensorflow as tf

from course_utils import attacks, models
from course_utils.attacks import (
    accuracy_vs_eps,
    carlini_wagner_l2,
    fgsm,
    fooling_images,
    loss_gradient,
    minimal_pgd_l2_radius,
    perturbation_norms,
    pgd,
    pgd_accuracy,
    random_sign_noise,
    robust_accuracy,
    to_tanh_space,
)
from course_utils.exercises.lesson09 import fgsm_step
from course_utils.inference import accuracy, forward

TOL = 1e-6
GOLDEN = Path(__file__).parent / "golden" / "attacks_golden.npz"


def labels_of(model: keras.Model, x: np.ndarray) -> np.ndarray:
    return forward(model, x, "labels")


def linear_model(w: np.ndarray, b: np.ndarray, shape: tuple[int, ...] = (4, 4, 1)) -> keras.Model:
    """logits = flatten(x) @ w + b (a layer named "logits"), then a softmax, like the course's models."""
    inputs = keras.Input(shape)
    logits = keras.layers.Dense(w.shape[1], name="logits")(keras.layers.Flatten()(inputs))
    model = keras.Model(inputs, keras.layers.Activation("softmax")(logits))
    model.get_layer("logits").set_weights([w.astype(np.float32), b.astype(np.float32)])
    return model


@pytest.fixture(scope="module")
def digits_mlp(digits):
    """A small MLP trained for a few seconds on 8x8 digits (about 90 % test accuracy), and test data."""
    keras.utils.set_random_seed(0)
    x, y = digits
    inputs = keras.Input((8, 8, 1))
    hidden = keras.layers.Dense(32, activation="relu")(keras.layers.Flatten()(inputs))
    logits = keras.layers.Dense(10, name="logits")(hidden)
    model = keras.Model(inputs, keras.layers.Activation("softmax")(logits))
    model.compile(keras.optimizers.Adam(1e-2), "sparse_categorical_crossentropy")
    model.fit(x[:1500], y[:1500], epochs=10, batch_size=100, verbose=0)
    return model, x[1500:], y[1500:]


def cross_entropy(model: keras.Model, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Per-example cross-entropy from the logits, in NumPy (float64)."""
    z = np.asarray(keras.Model(model.input, model.get_layer("logits").output)(x), dtype=np.float64)
    z = z - z.max(axis=1, keepdims=True)
    return np.log(np.exp(z).sum(axis=1)) - z[np.arange(len(y)), y]


# --- An independent reference: softmax cross-entropy of a linear model, in plain NumPy (float64). ---

def np_gradient(w: np.ndarray, b: np.ndarray, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """grad_x of -log softmax(W^T x + b)_y is W (softmax(z) - onehot(y)), for each example."""
    z = x.reshape(len(x), -1) @ w + b
    p = np.exp(z - z.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    p[np.arange(len(y)), y] -= 1.0
    return (p @ w.T).reshape(x.shape)


def np_pgd(w, b, x, y, eps, alpha, steps, norm="linf", targeted=False):
    """PGD without random start, written out; returns the result and the smallest |gradient| entry.

    Each step: ascend, clip to [0, 1], then pull back into the eps-ball (the order ART uses).
    """
    x_adv, smallest = x.astype(np.float64), np.inf
    for _ in range(steps):
        g = np_gradient(w, b, x_adv, y) * (-1 if targeted else 1)
        smallest = min(smallest, np.abs(g).min())
        if norm == "linf":
            x_adv = np.clip(np.clip(x_adv + alpha * np.sign(g), 0.0, 1.0), x - eps, x + eps)
        else:
            g_norm = np.sqrt((g**2).sum(axis=(1, 2, 3), keepdims=True))
            delta = np.clip(x_adv + alpha * g / g_norm, 0.0, 1.0) - x
            d_norm = np.sqrt((delta**2).sum(axis=(1, 2, 3), keepdims=True))
            x_adv = x + delta * np.minimum(1.0, eps / d_norm)
    return x_adv, smallest


def test_fgsm_closed_form_on_two_class_linear_model():
    # Two classes, z = x @ W + b, loss -log p_y. dL/dz = p - onehot(y), so grad_x = W (p - onehot(y)).
    # For y = 0: (p0 - 1) W0 + p1 W1 = p1 (W1 - W0) because p0 - 1 = -p1; for y = 1: p0 (W0 - W1).
    # With p in (0, 1): sign(grad_x) = sign(w_other - w_y), so FGSM adds eps * sign(W1 - W0) for y = 0
    # and subtracts it for y = 1 (x kept away from the edges so no clipping happens).
    rng = np.random.default_rng(0)
    diff = rng.choice([-1.0, 1.0], 16) * rng.uniform(0.2, 1.0, 16)
    w0 = rng.normal(size=16)
    w = np.stack([w0, w0 + diff], axis=1)
    model = linear_model(w, rng.normal(size=2) * 0.1)
    x = rng.uniform(0.3, 0.7, size=(8, 4, 4, 1)).astype(np.float32)
    y = np.array([0, 1, 0, 1, 1, 0, 0, 1])
    eps = 0.1
    expected = eps * np.sign(diff).reshape(1, 4, 4, 1) * np.where(y == 0, 1.0, -1.0)[:, None, None, None]
    np.testing.assert_allclose(fgsm(model, x, y, eps) - x, expected, atol=TOL)
    # Targeted: y is now the target class, whose loss the step descends: the other way.
    np.testing.assert_allclose(fgsm(model, x, y, eps, targeted=True) - x, -expected, atol=TOL)


def test_fgsm_and_pgd_match_an_independent_numpy_implementation():
    rng = np.random.default_rng(1)
    w, b = rng.normal(size=(16, 3)) * 0.3, rng.normal(size=3) * 0.1  # moderate logits: no saturated p
    model = linear_model(w, b)
    x = rng.uniform(0.0, 1.0, size=(12, 4, 4, 1)).astype(np.float32)  # edges included: clipping is tested
    y = rng.integers(0, 3, size=12)
    cases = [(fgsm(model, x, y, 0.1), {"eps": 0.1, "alpha": 0.1, "steps": 1}),
             (fgsm(model, x, y, 0.1, targeted=True), {"eps": 0.1, "alpha": 0.1, "steps": 1, "targeted": True}),
             (pgd(model, x, y, 0.1, 0.03, 7, random_start=False), {"eps": 0.1, "alpha": 0.03, "steps": 7}),
             (pgd(model, x, y, 0.5, 0.2, 7, random_start=False, norm="l2"),
              {"eps": 0.5, "alpha": 0.2, "steps": 7, "norm": "l2"}),
             (pgd(model, x, y, 0.5, 0.2, 7, random_start=False, norm="l2", targeted=True),
              {"eps": 0.5, "alpha": 0.2, "steps": 7, "norm": "l2", "targeted": True})]
    for mine, kwargs in cases:
        reference, smallest_gradient = np_pgd(w, b, x, y, **kwargs)
        # float32 rounding in Keras is ~1e-7 here: a gradient entry this far from 0 has a sure sign
        assert smallest_gradient > 1e-5, "a gradient entry too close to 0 would make sign() fragile"
        np.testing.assert_allclose(mine, reference, atol=1e-5, err_msg=str(kwargs))


def test_perturbation_norms():
    delta = np.array([[0.3, 0, 0, -0.4], [0, 0, 0, 0]]).reshape(2, 2, 2, 1)
    linf, l2 = perturbation_norms(np.zeros((2, 2, 2, 1)), delta)
    np.testing.assert_allclose(linf, [0.4, 0.0])
    np.testing.assert_allclose(l2, [0.5, 0.0])


def test_results_stay_in_the_box_and_the_ball(digits_mlp):
    model, x, y = digits_mlp
    x, y = x[:40], y[:40]
    assert x.min() == 0.0 and x.max() == 1.0  # pixels on both edges: the clipping is exercised
    per_example_eps = np.linspace(0.5, 2.0, len(x))
    results = [("linf", 0.2, fgsm(model, x, y, 0.2)),
               ("linf", 0.2, fgsm(model, x, y, 0.2, targeted=True)),
               ("linf", 0.2, pgd(model, x, y, 0.2, 0.05, 5, batch_size=16)),
               ("l2", 1.0, pgd(model, x, y, 1.0, 0.3, 5, norm="l2", batch_size=16)),
               ("l2", per_example_eps, pgd(model, x, y, per_example_eps, 0.3, 5, norm="l2")),
               ("l2", np.inf, carlini_wagner_l2(model, x, y, steps=20, binary_search_steps=2, lr=0.1))]
    for norm, eps, x_adv in results:
        assert x_adv.dtype == np.float32 and x_adv.shape == x.shape
        assert x_adv.min() >= 0.0 and x_adv.max() <= 1.0
        linf, l2 = perturbation_norms(x, x_adv)
        assert np.all((linf if norm == "linf" else l2) <= eps + TOL)
        assert np.any(linf > 0.01)  # and the attack did move the images


def test_pgd_one_step_is_fgsm_and_random_start_is_seeded(digits_mlp):
    model, x, y = digits_mlp
    x, y = x[:30], y[:30]
    np.testing.assert_array_equal(pgd(model, x, y, 0.1, 0.1, 1, random_start=False), fgsm(model, x, y, 0.1))
    for norm, eps in [("linf", 0.1), ("l2", 1.0)]:
        first = pgd(model, x, y, eps, eps / 4, 3, norm=norm, seed=5)
        np.testing.assert_array_equal(first, pgd(model, x, y, eps, eps / 4, 3, norm=norm, seed=5))
        assert not np.array_equal(first, pgd(model, x, y, eps, eps / 4, 3, norm=norm, seed=6))


def test_pgd_reaches_at_least_the_loss_of_fgsm(digits_mlp):
    model, x, y = digits_mlp
    x, y = x[:100], y[:100]
    for eps in (0.05, 0.1):
        fgsm_loss = cross_entropy(model, fgsm(model, x, y, eps), y).mean()
        pgd_loss = cross_entropy(model, pgd(model, x, y, eps, eps / 4, 10, random_start=False), y).mean()
        assert pgd_loss >= fgsm_loss > cross_entropy(model, x, y).mean()


def test_carlini_wagner_beats_the_smallest_successful_pgd_l2_radius(digits_mlp):
    # Honest formulation: for each image, bisect for the smallest L2 radius at which PGD-L2
    # (20 steps, alpha = radius / 5, no random start) fools the model, to 2 / 2**10 ~ 0.002.
    # C&W minimises the distance itself (no eps to search over), so on the images both fool its
    # L2 norm should be below that radius in the median ratio and on most images. On this
    # near-linear MLP the radius search is itself strong: C&W wins by about 1 % only, and
    # needs about 200 Adam steps for it (with 100 steps at lr=0.05 it is about 1 % worse).
    model, x, y = digits_mlp
    keep = np.flatnonzero(labels_of(model, x) == y)[:30]
    x, y = x[keep], y[keep]
    x_cw, fooled_cw = carlini_wagner_l2(model, x, y, steps=200, binary_search_steps=6, lr=0.05,
                                        return_success=True)
    l2_cw = perturbation_norms(x, x_cw)[1]

    def pgd_fools(radius: np.ndarray) -> np.ndarray:
        x_adv = pgd(model, x, y, radius, radius / 5, 20, random_start=False, norm="l2")
        return labels_of(model, x_adv) != y

    lo, hi = np.zeros(len(x)), np.full(len(x), 2.0)
    fooled_pgd = pgd_fools(hi)
    for _ in range(10):
        mid = (lo + hi) / 2
        fooled = pgd_fools(mid)
        hi, lo = np.where(fooled, mid, hi), np.where(fooled, lo, mid)
    both = fooled_cw & fooled_pgd
    assert both.sum() >= 25
    assert np.median(l2_cw[both] / hi[both]) < 1.0
    assert np.mean(l2_cw[both] <= hi[both]) >= 0.65
    # The success mask tells the truth: those are misclassified, the others come back unchanged.
    assert np.all(labels_of(model, x_cw)[fooled_cw] != y[fooled_cw])
    np.testing.assert_array_equal(x_cw[~fooled_cw], x[~fooled_cw])


def test_targeted_attacks_reach_the_target_class_with_the_asked_margin(digits_mlp):
    model, x, y = digits_mlp
    x, y = x[:40], y[:40]
    target = (y + 1) % 10
    hit = labels_of(model, pgd(model, x, target, 0.3, 0.3 / 8, 20, targeted=True)) == target
    by_chance = labels_of(model, pgd(model, x, y, 0.3, 0.3 / 8, 20)) == target
    assert hit.mean() >= 0.9 and by_chance.mean() <= 0.3
    # C&W with confidence 5: every success has Z_target - max_{i != target} Z_i >= 5 on the logits.
    x_adv, fooled = carlini_wagner_l2(model, x, target, confidence=5.0, steps=100, lr=0.05, targeted=True,
                                      return_success=True)
    z = np.array(keras.Model(model.input, model.get_layer("logits").output)(x_adv))
    z_target = z[np.arange(len(z)), target]
    z[np.arange(len(z)), target] = -np.inf
    assert fooled.mean() >= 0.9
    assert np.all((z_target - z.max(axis=1))[fooled] >= 5.0 - 1e-3)


def test_carlini_wagner_returns_examples_it_never_fools_unchanged(digits_mlp):
    model, x, y = digits_mlp
    keep = np.flatnonzero(labels_of(model, x) == y)[:10]
    # One Adam step with a tiny c cannot leave the starting point's class: nothing is fooled.
    x_adv, fooled = carlini_wagner_l2(model, x[keep], y[keep], c=1e-6, steps=1, binary_search_steps=1,
                                      return_success=True)
    assert not fooled.any()
    np.testing.assert_array_equal(x_adv, x[keep])


def test_accuracy_vs_eps_on_a_linear_model():
    # On a two-class linear model, FGSM lowers each example's true-class margin z_y - z_other by
    # sum_j |W1_j - W0_j| * min(eps, room left in [0, 1] on pixel j): non-increasing in eps. So
    # every example that is wrong at some eps stays wrong at a larger one: accuracy is monotone.
    rng = np.random.default_rng(3)
    w, b = rng.normal(size=(16, 2)), np.zeros(2)
    model = linear_model(w, b)
    x = rng.uniform(size=(200, 4, 4, 1)).astype(np.float32)
    z = x.reshape(200, -1) @ w
    y = np.where(rng.uniform(size=200) < 0.9, z.argmax(axis=1), z.argmin(axis=1))  # 10 % label noise
    clean = np.mean(z.argmax(axis=1) == y)
    calls = []

    def counting_fgsm(model, x, y, eps, **kwargs):
        calls.append(eps)
        return fgsm(model, x, y, eps, **kwargs)

    eps_values = [0.0, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5]
    accs = accuracy_vs_eps(model, x, y, counting_fgsm, eps_values)
    assert len(accs) == len(eps_values) and calls == eps_values[1:]  # eps = 0 never calls the attack
    assert accs[0] == pytest.approx(clean)
    assert np.all(np.diff(accs) <= 0) and accs[-1] < accs[0] - 0.3
    assert robust_accuracy(model, x, y, fgsm, eps=0.05) == accs[3]


@pytest.mark.parametrize("call, message", [
    (lambda m, x, y: fgsm(m, x, y, -0.1), "eps must be >= 0, got -0.1"),
    (lambda m, x, y: pgd(m, x, y, 0.1, 0.0, 5), "alpha must be > 0, got 0.0"),
    (lambda m, x, y: pgd(m, x, y, 0.1, 0.01, 0), "steps must be an integer >= 1, got 0"),
    (lambda m, x, y: pgd(m, x, y, 0.1, 0.01, 2.5), "steps must be an integer >= 1, got 2.5"),
    (lambda m, x, y: pgd(m, x, y, 0.1, 0.01, 5, norm="l1"), "norm must be one of ('linf', 'l2'), got 'l1'"),
    (lambda m, x, y: pgd(m, x, y, 0.1, 0.01, 5, loss="hinge"), "loss must be one of ('ce', 'margin')"),
    (lambda m, x, y: pgd(m, x, y, np.ones(3), 0.01, 5), "eps and alpha must be numbers or have shape (6,)"),
    (lambda m, x, y: pgd(m, x, y, np.full(6, np.nan), 0.01, 5), "eps must be >= 0, got a minimum of nan"),
    (lambda m, x, y: fgsm(m, x, y + 2, 0.1), "y must hold class indices in [0, 2), got values in [2, 2]"),
    (lambda m, x, y: fgsm(m, x, y - 1, 0.1), "y must hold class indices in [0, 2)"),
    (lambda m, x, y: carlini_wagner_l2(m, x, y + 11), "y must hold class indices in [0, 2), got values in [11, 11]"),
    (lambda m, x, y: carlini_wagner_l2(m, x, y, confidence=-1.0), "confidence must be >= 0, got -1.0"),
    (lambda m, x, y: pgd_accuracy(m, x, y, 0.1, 0.01, 5, restarts=0), "restarts must be an integer >= 1, got 0"),
    (lambda m, x, y: minimal_pgd_l2_radius(m, x, y, max_radius=0.0), "max_radius must be > 0, got 0.0"),
    (lambda m, x, y: loss_gradient(m, x, y[:3]), "len(y) == len(x) == 6"),
    (lambda m, x, y: fgsm(m, x * 2.0, y, 0.1), "x must lie in [0, 1]"),
    (lambda m, x, y: fgsm(m, x - 0.5, y, 0.1), "x must lie in [0, 1]"),
    (lambda m, x, y: random_sign_noise(x, -0.1), "eps must be >= 0, got -0.1"),
    (lambda m, x, y: fgsm(m, x[..., 0], y, 0.1), "x must be 4-D (N, H, W, C), got shape (6, 4, 4)"),
    (lambda m, x, y: fgsm(m, x, y[:5], 0.1), "len(y) == len(x) == 6"),
    (lambda m, x, y: carlini_wagner_l2(m, x, y, binary_search_steps=0), "binary_search_steps must be an integer >= 1"),
    (lambda m, x, y: carlini_wagner_l2(m, x, y, c=-1.0), "c must be > 0, got -1.0"),
])
def test_bad_arguments_raise_one_line_value_errors(call, message):
    rng = np.random.default_rng(4)
    model = linear_model(rng.normal(size=(16, 2)), np.zeros(2))
    x, y = rng.uniform(size=(6, 4, 4, 1)).astype(np.float32), np.zeros(6, dtype=int)
    with pytest.raises(ValueError) as error:
        call(model, x, y)
    assert message in str(error.value) and "\n" not in str(error.value)


def test_inputs_a_rounding_error_outside_the_box_are_accepted():
    rng = np.random.default_rng(5)
    model = linear_model(rng.normal(size=(16, 2)), np.zeros(2))
    x = np.full((2, 4, 4, 1), 1.0 + 5e-7, dtype=np.float64)
    assert fgsm(model, x, np.zeros(2, dtype=int), 0.1).max() <= 1.0


# --- Lesson 09's NumPy references (in course_utils.exercises.lesson09) against the compiled attacks,
# the tanh change of variables, noise, the bisection on the PGD-L2 radius and fooling images. ---

def test_fgsm_step_is_fgsm_given_the_gradient():
    rng = np.random.default_rng(6)
    w, b = rng.normal(size=(16, 3)) * 0.3, rng.normal(size=3) * 0.1
    x = rng.uniform(size=(10, 4, 4, 1)).astype(np.float32)
    y = rng.integers(0, 3, size=10)
    grad = np_gradient(w, b, x, y)
    np.testing.assert_allclose(loss_gradient(linear_model(w, b), x, y, batch_size=3), grad, rtol=1e-4, atol=1e-6)
    for targeted in (False, True):
        np.testing.assert_allclose(fgsm_step(x, grad, 0.1, targeted=targeted),
                                   fgsm(linear_model(w, b), x, y, 0.1, targeted=targeted), atol=1e-6)


def project(x0, x_adv, eps, norm="linf"):
    """attacks.project (the graph's) on NumPy arrays, in float32."""
    return attacks.project(tf.constant(x0, tf.float32), tf.constant(x_adv, tf.float32), eps, norm).numpy()


def from_tanh_space(w):
    return (np.tanh(np.asarray(w, dtype=np.float64)) + 1.0) / 2.0


def test_project_lands_in_the_box_and_the_ball_and_keeps_what_is_inside():
    rng = np.random.default_rng(7)
    x0 = rng.uniform(size=(6, 5, 5, 2)).astype(np.float32)
    far = (x0 + rng.normal(scale=2.0, size=x0.shape)).astype(np.float32)
    linf = project(x0, far, 0.1)
    assert linf.min() >= 0 and linf.max() <= 1 and np.abs(linf - x0).max() <= 0.1 + 1e-6
    np.testing.assert_allclose(linf, np.clip(np.clip(far, 0, 1), x0 - np.float32(0.1), x0 + np.float32(0.1)))
    l2 = project(x0, far, 0.5, norm="l2")
    norms = perturbation_norms(x0, l2)[1]
    assert l2.min() >= 0 and l2.max() <= 1 and np.allclose(norms, 0.5, atol=1e-5)   # all were outside: on the sphere
    near = np.clip(x0 + rng.normal(scale=1e-3, size=x0.shape), 0, 1).astype(np.float32)
    np.testing.assert_allclose(project(x0, near, 0.5, norm="l2"), near, atol=1e-6)  # inside: unchanged
    np.testing.assert_allclose(project(x0, near, 0.1), near)


def test_tanh_change_of_variables_round_trips_and_stays_finite():
    x = np.array([0.0, 1e-3, 0.25, 0.5, 0.9, 1.0])
    w = to_tanh_space(x)
    assert np.all(np.isfinite(w)) and w[3] == 0.0 and np.all(np.diff(w) > 0)
    np.testing.assert_allclose(from_tanh_space(w), x, atol=1e-6)
    big = from_tanh_space(np.array([-50.0, 50.0]))       # any real w is an image
    assert big.min() >= 0.0 and big.max() <= 1.0


def test_random_sign_noise_has_the_norms_of_an_fgsm_step():
    rng = np.random.default_rng(8)
    w = rng.normal(size=(16, 3))
    x = rng.uniform(0.3, 0.7, size=(20, 4, 4, 1)).astype(np.float32)     # no clipping at eps = 0.1
    y = rng.integers(0, 3, size=20)
    noisy = random_sign_noise(x, 0.1, seed=1)
    for a, b in zip(perturbation_norms(x, noisy), perturbation_norms(x, fgsm(linear_model(w, np.zeros(3)), x, y, 0.1))):
        np.testing.assert_allclose(a, b, rtol=1e-5)
    assert not np.allclose(noisy, random_sign_noise(x, 0.1, seed=2))
    np.testing.assert_array_equal(noisy, random_sign_noise(x, 0.1, seed=1))


def test_minimal_pgd_l2_radius_finds_the_distance_to_a_linear_boundary():
    # Two classes, z = x @ W: the L2 distance from x to the boundary is |z_y - z_other| / ||W1 - W0||,
    # and PGD-L2 walks straight along (W_other - W_y) / ||.||: it fools exactly beyond that distance.
    rng = np.random.default_rng(9)
    w = rng.normal(size=(16, 2))
    dw = w[:, 1] - w[:, 0]
    b = np.array([0.0, -0.5 * dw.sum()])                  # the boundary passes through the grey image
    x = rng.uniform(0.4, 0.6, size=(200, 4, 4, 1)).astype(np.float32)
    z = x.reshape(200, -1) @ w + b
    distance = np.abs(z[:, 1] - z[:, 0]) / np.linalg.norm(dw)
    keep = np.flatnonzero(distance < 0.09)[:20]           # pixels move by < 0.09: the box never binds
    x, y, distance = x[keep], z[keep].argmax(axis=1), distance[keep]
    radii = minimal_pgd_l2_radius(linear_model(w, b), x, y, max_radius=0.2, bisection_steps=12)
    assert len(keep) >= 10
    assert np.all(radii >= distance - 1e-4) and np.all(radii <= distance + 0.2 / 2**12 + 1e-4)
    y_wrong = y.copy()
    y_wrong[0] = 1 - y_wrong[0]                            # already misclassified: radius 0
    far = minimal_pgd_l2_radius(linear_model(w, b), x, y_wrong, max_radius=1e-4, bisection_steps=2)
    assert far[0] == 0.0 and np.all(np.isinf(far[1:][distance[1:] > 1e-3]))


def test_fooling_images_reach_the_asked_confidence(digits_mlp):
    model = digits_mlp[0]
    targets = np.arange(10)
    images, p = fooling_images(model, targets, (8, 8, 1), confidence=0.99, steps=200, alpha=0.02)
    assert images.shape == (10, 8, 8, 1) and images.dtype == np.float32
    assert images.min() >= 0 and images.max() <= 1
    assert np.all(p >= 0.99)
    probs = np.asarray(model(images))
    np.testing.assert_allclose(probs[np.arange(10), targets], p, atol=1e-5)
    assert np.array_equal(probs.argmax(axis=1), targets)
    grey, _ = fooling_images(model, targets[:2], (8, 8, 1), steps=1, start="grey")
    assert np.abs(grey - 0.5).max() <= 0.05 + 0.01 + 1e-6   # one step of 0.01 from grey +- 0.05


@pytest.mark.parametrize("kwargs, message", [
    ({"targets": np.array([])}, "targets 1-D, non-empty: got 0.99, 'noise', shape (0,)"),
    ({"confidence": 1.0}, "need 0 < confidence < 1"),
    ({"start": "zeros"}, "start 'noise' or 'grey'"),
    ({"alpha": 0.0}, "alpha must be > 0"),
    ({"targets": np.array([0, 2])}, "y must hold class indices in [0, 2)"),
])
def test_fooling_images_bad_arguments(kwargs, message):
    model = linear_model(np.ones((16, 2)), np.zeros(2))
    arguments = {"targets": np.array([0, 1]), "image_shape": (4, 4, 1)} | kwargs
    with pytest.raises(ValueError) as error:
        fooling_images(model, **arguments)
    assert message in str(error.value) and "\n" not in str(error.value)


# --- Golden outputs: the attacks before issue 21's merge (NumPy loops around a compiled gradient,
# commit 96b8b37) on the shipped lesson 05 CNN and 16 Fashion-MNIST test images. The merged code runs
# every step in float32 in the graph where the old one projected in float64: sign steps agree to
# 1e-6 (observed <= 6e-8), L2 steps to 1e-6 (observed <= 2e-7) on every image of a trajectory that
# crosses no ReLU or max-pool switch. One random-start L2 trajectory (image 1, seed 3) does cross one
# after a 1-ulp difference and ends 1.3e-2 away: L2 steps follow the gradient's values, so that is
# float rounding, not a change of algorithm; that case asserts 15 of 16 images. ---

@pytest.fixture(scope="module")
def golden():
    with np.load(GOLDEN, allow_pickle=False) as data:
        return dict(data), models.fashion_cnn()


def _agree(new: np.ndarray, old: np.ndarray, images_at_least: int | None = None) -> None:
    close = np.abs(np.asarray(new, np.float64) - old).reshape(len(old), -1).max(axis=1) <= 1e-6
    assert close.sum() >= (len(old) if images_at_least is None else images_at_least), np.flatnonzero(~close)


def test_golden_fgsm_and_loss_gradient(golden):
    g, cnn = golden
    x, y, t = g["x"], g["y"], g["t"]
    np.testing.assert_allclose(loss_gradient(cnn, x, y), g["loss_gradient"], rtol=1e-6, atol=1e-12)
    _agree(fgsm(cnn, x, y, 0.1), g["fgsm"])
    _agree(fgsm(cnn, x, t, 0.05, targeted=True), g["fgsm_targeted"])
    _agree(fgsm(cnn, x, y, np.linspace(0, 0.2, 16)), g["fgsm_eps_each"])


@pytest.mark.parametrize("name, kwargs, at_least", [
    ("pgd_linf", {"eps": 0.1, "alpha": 0.01, "steps": 10, "random_start": False}, 16),
    ("pgd_linf_rs", {"eps": 0.1, "alpha": 0.01, "steps": 10, "seed": 0}, 16),
    ("pgd_linf_rs_b5", {"eps": 0.1, "alpha": 0.02, "steps": 5, "seed": 1, "batch_size": 5}, 16),
    ("pgd_linf_targeted", {"eps": 0.1, "alpha": 0.02, "steps": 10, "random_start": False, "targeted": True}, 16),
    ("pgd_l2", {"eps": 1.0, "alpha": 0.2, "steps": 10, "random_start": False, "norm": "l2"}, 16),
    ("pgd_l2_rs", {"eps": 1.0, "alpha": 0.2, "steps": 10, "norm": "l2", "seed": 3}, 15),
    ("pgd_l2_rs_b5", {"eps": np.linspace(0.5, 2, 16), "alpha": 0.3, "steps": 5, "norm": "l2", "seed": 2,
                      "batch_size": 5}, 16),
    ("pgd_l2_targeted", {"eps": 1.5, "alpha": 0.3, "steps": 8, "random_start": False, "norm": "l2",
                         "targeted": True}, 16),
])
def test_golden_pgd(golden, name, kwargs, at_least):
    g, cnn = golden
    labels = g["t"] if kwargs.get("targeted") else g["y"]
    _agree(pgd(cnn, g["x"], labels, **kwargs), g[name], at_least)


def test_golden_carlini_wagner(golden):
    g, cnn = golden
    x, y, t = g["x"], g["y"], g["t"]
    x_adv, ok = carlini_wagner_l2(cnn, x, y, steps=20, binary_search_steps=2, lr=0.05, return_success=True)
    _agree(x_adv, g["cw"])
    np.testing.assert_array_equal(ok, g["cw_ok"])
    x_adv, ok = carlini_wagner_l2(cnn, x, t, confidence=1.0, steps=20, binary_search_steps=2, lr=0.05,
                                  targeted=True, return_success=True)
    _agree(x_adv, g["cw_targeted"])
    np.testing.assert_array_equal(ok, g["cw_targeted_ok"])
    assert 0 < g["cw_targeted_ok"].sum() < 16          # a case where the success mask matters


def test_golden_accuracies_radius_and_fooling_images(golden):
    g, cnn = golden
    x, y = g["x"], g["y"]
    assert robust_accuracy(cnn, x, y, fgsm, eps=0.02) == g["robust_fgsm"] == 0.9375
    assert robust_accuracy(cnn, x, y, pgd, eps=0.02, alpha=0.005, steps=10, seed=0) == g["robust_pgd"] == 0.6875
    assert pgd_accuracy(cnn, x, y, 0.02, 0.005, 10, seed=0) == g["robust_pgd"]     # one measure, one seed
    np.testing.assert_array_equal(accuracy_vs_eps(cnn, x, y, fgsm, [0.0, 0.01, 0.02, 0.05]), g["acc_vs_eps"])
    np.testing.assert_array_equal(minimal_pgd_l2_radius(cnn, x, y, max_radius=3.0, bisection_steps=5, steps=10),
                                  g["radius"])
    images, p = fooling_images(cnn, np.arange(10), (28, 28, 1), confidence=0.9, steps=30, alpha=0.01, seed=0)
    _agree(images, g["fool"])
    np.testing.assert_allclose(p, g["fool_p"], atol=1e-6)


def test_golden_numpy_references_of_lesson09(golden):
    g, _ = golden
    x0, xa, grad = g["ref_x0"], g["ref_xa"], g["ref_grad"]
    for got, name in [(fgsm_step(x0, grad, 0.1), "ref_fgsm_step"),
                      (fgsm_step(x0, grad, 0.1, targeted=True), "ref_fgsm_step_targeted"),
                      (to_tanh_space(x0), "ref_to_tanh"), (from_tanh_space(xa * 5), "ref_from_tanh")]:
        np.testing.assert_allclose(got, g[name], rtol=0, atol=1e-12, err_msg=name)
    for got, name in [(project(x0, xa, 0.1), "ref_project_linf"), (project(x0, xa, 0.5, "l2"), "ref_project_l2")]:
        np.testing.assert_allclose(got, g[name], rtol=0, atol=1e-6, err_msg=name)   # the graph's, in float32


def test_square_attack_stays_in_the_ball_needs_no_gradient_and_is_seeded(digits_mlp):
    """The gradient-free attack: in the box and the ball, seeded, and about as strong as PGD on an
    undefended MLP (an attack that uses no gradient is the check against gradient masking)."""
    model, x, y = digits_mlp
    x, y = x[:60], y[:60]
    x_adv = attacks.square_attack(model, x, y, 0.2, queries=300, seed=1)
    assert x_adv.dtype == np.float32 and x_adv.min() >= 0.0 and x_adv.max() <= 1.0
    assert perturbation_norms(x, x_adv)[0].max() <= 0.2 + TOL
    np.testing.assert_array_equal(x_adv, attacks.square_attack(model, x, y, 0.2, queries=300, seed=1))
    fooled, clean = accuracy(model, x_adv, y), accuracy(model, x, y)
    assert fooled < clean - 0.3 and fooled <= pgd_accuracy(model, x, y, 0.2, 0.05, 20) + 0.2
    with pytest.raises(ValueError, match="eps must be >= 0"):
        attacks.square_attack(model, x, y, -0.1)
