"""Tests for course_utils.adversarial_training: the in-graph attacks against course_utils.attacks and
their boxes, the trainer's train step (it lowers the adversarial loss) and the monitor, and errors.

Tiny models on scikit-learn's 8x8 digits, so the file runs in seconds on a CPU.
"""

from __future__ import annotations

import keras
import numpy as np
import pytest
import tensorflow as tf

from course_utils import attacks
from course_utils.adversarial_training import (
    AdversarialTrainer,
    RobustnessMonitor,
    attack_loss,
    fgsm_linf,
    fgsm_rs_linf,
    make_attack,
    pgd_accuracy,
    pgd_linf,
    project_linf,
)
from course_utils.data import load_digits
from course_utils.models import logits_model

EPS = 0.1


def small_cnn() -> keras.Model:
    """A small classifier on 8x8x1 images with a "logits" layer and a softmax, like the course's models."""
    inputs = keras.Input((8, 8, 1))
    x = keras.layers.Conv2D(8, 3, activation="relu", padding="same")(inputs)
    x = keras.layers.Dense(32, activation="relu")(keras.layers.Flatten()(x))
    logits = keras.layers.Dense(10, name="logits")(x)
    return keras.Model(inputs, keras.layers.Activation("softmax")(logits))


@pytest.fixture(scope="module")
def digits():
    images, labels = load_digits()
    return (images / 16.0).astype(np.float32)[..., None], labels.astype(np.int32)


@pytest.fixture(scope="module")
def trained(digits):
    """The small CNN trained normally for a few seconds (about 95 % test accuracy)."""
    keras.utils.set_random_seed(0)
    x, y = digits
    model = small_cnn()
    model.compile(keras.optimizers.Adam(1e-2), "sparse_categorical_crossentropy")
    model.fit(x[:1500], y[:1500], epochs=8, batch_size=100, verbose=0)
    return model


def cross_entropy(model: keras.Model, x: np.ndarray, y: np.ndarray) -> float:
    logits = logits_model(model)(x, training=False)
    return float(tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=y, logits=logits)))


@pytest.mark.parametrize("name", ["pgd", "fgsm", "fgsm_rs"])
def test_attacks_stay_in_the_eps_ball_and_the_box(trained, digits, name):
    x, y = digits[0][1500:1700], digits[1][1500:1700]
    x_adv = make_attack(name, EPS, steps=5)(logits_model(trained), tf.constant(x), tf.constant(y)).numpy()
    assert x_adv.shape == x.shape
    assert np.abs(x_adv - x).max() <= EPS + 1e-6
    assert x_adv.min() >= 0.0 and x_adv.max() <= 1.0
    assert np.abs(x_adv - x).max() > EPS / 2     # it moved


def test_in_graph_pgd_matches_the_numpy_reference(trained, digits):
    x, y = digits[0][1500:1600], digits[1][1500:1600]
    ours = pgd_linf(logits_model(trained), tf.constant(x), tf.constant(y), EPS, 0.02, 10, random_init=False)
    reference = attacks.pgd(trained, x, y, eps=EPS, alpha=0.02, steps=10, random_start=False)
    # sign steps: equal up to pixels whose gradient is ~0 (float32 order of operations)
    assert np.mean(np.abs(ours.numpy() - reference) < 1e-5) > 0.99


def test_in_graph_fgsm_matches_the_numpy_reference(trained, digits):
    x, y = digits[0][1500:1600], digits[1][1500:1600]
    ours = fgsm_linf(logits_model(trained), tf.constant(x), tf.constant(y), EPS).numpy()
    assert np.mean(np.abs(ours - attacks.fgsm(trained, x, y, eps=EPS)) < 1e-5) > 0.99


def test_pgd_raises_the_loss_at_least_as_much_as_fgsm(trained, digits):
    x, y = digits[0][1500:1700], digits[1][1500:1700]
    scores = logits_model(trained)
    x_pgd = pgd_linf(scores, tf.constant(x), tf.constant(y), EPS, 0.02, 20).numpy()
    x_fgsm = fgsm_linf(scores, tf.constant(x), tf.constant(y), EPS).numpy()
    assert cross_entropy(trained, x_pgd, y) >= cross_entropy(trained, x_fgsm, y) > cross_entropy(trained, x, y)


def test_fgsm_rs_is_one_step_of_1_25_eps_from_a_random_start(trained, digits):
    x, y = digits[0][1500:1600], digits[1][1500:1600]
    keras.utils.set_random_seed(1)
    x_adv = fgsm_rs_linf(logits_model(trained), tf.constant(x), tf.constant(y), EPS).numpy()
    delta = np.abs(x_adv - x)
    inside = (x > EPS) & (x < 1 - EPS)       # pixels the [0, 1] box does not touch
    # from d0 ~ U(-eps, eps), a step of 1.25 eps along s lands on the surface iff d0 * s > -0.25 eps:
    # for 1.25 / 2 = 62.5 % of the pixels (a step of eps would give 50 %, no random start 100 %)
    assert np.mean(np.isclose(delta[inside], EPS, atol=1e-5)) == pytest.approx(0.625, abs=0.05)
    assert delta.max() <= EPS + 1e-6


def test_projection_clips_to_ball_and_box():
    x0 = tf.constant([[0.0, 0.5, 0.95]])
    out = project_linf(x0, tf.constant([[-0.3, 0.9, 1.3]]), 0.1).numpy()
    np.testing.assert_allclose(out, [[0.0, 0.6, 1.0]], atol=1e-7)


def test_a_training_step_lowers_the_adversarial_loss(digits):
    keras.utils.set_random_seed(0)
    x, y = digits[0][:1500], digits[1][:1500]
    trainer = AdversarialTrainer(small_cnn(), attack="pgd", eps=EPS, alpha=0.025, steps=5)
    trainer.compile(optimizer=keras.optimizers.Adam(1e-2))
    first = trainer.fit(x, y, batch_size=100, epochs=1, verbose=0).history["loss"][0]
    later = trainer.fit(x, y, batch_size=100, epochs=4, verbose=0).history["loss"][-1]
    assert later < 0.8 * first
    scores = logits_model(trainer.network)
    x_adv = pgd_linf(scores, tf.constant(x[:300]), tf.constant(y[:300]), EPS, 0.025, 5, random_init=False)
    accuracy = np.mean(np.argmax(scores(x_adv).numpy(), axis=1) == y[:300])
    assert accuracy > 0.5                    # robust on its own training attack
    result = trainer.evaluate(x[:200], y[:200], verbose=0, return_dict=True)
    assert set(result) == {"loss", "adv_accuracy", "clean_accuracy"}
    assert result["clean_accuracy"] >= result["adv_accuracy"]


def test_the_trainer_updates_the_wrapped_network(digits):
    keras.utils.set_random_seed(0)
    network = small_cnn()
    before = [w.copy() for w in network.get_weights()]
    trainer = AdversarialTrainer(network, attack="fgsm_rs", eps=EPS)
    trainer.compile(optimizer="adam")
    trainer.fit(digits[0][:200], digits[1][:200], batch_size=100, epochs=1, verbose=0)
    assert any(not np.allclose(a, b) for a, b in zip(before, network.get_weights()))


def test_monitor_records_clean_fgsm_and_pgd_per_epoch(digits, trained):
    x, y = digits[0][1500:1700], digits[1][1500:1700]
    monitor = RobustnessMonitor(x, y, eps=EPS, pgd_steps=5)
    trainer = AdversarialTrainer(trained, attack="fgsm", eps=EPS)
    trainer.compile(optimizer=keras.optimizers.Adam(1e-4))
    history = trainer.fit(digits[0][:200], digits[1][:200], batch_size=100, epochs=2, verbose=0,
                          callbacks=[monitor])
    assert all(len(v) == 2 for v in monitor.history.values())
    assert history.history["val_pgd"] == monitor.history["pgd"]
    assert monitor.history["clean"][0] >= monitor.history["fgsm"][0] >= monitor.history["pgd"][0] - 0.02
    plain = RobustnessMonitor(x, y, eps=EPS, pgd_steps=5)   # on a plain classifier too
    plain.set_model(trained)
    measured = plain.measure()
    clean = np.mean(attacks.predicted_labels(trained, x) == y)
    assert measured["clean"] == pytest.approx(clean)
    assert measured["pgd"] < measured["clean"]


def test_margin_loss_is_the_best_other_logit_minus_the_true_one():
    logits = tf.constant([[2.0, 5.0, 1.0], [0.5, -1.0, 3.0]])
    np.testing.assert_allclose(attack_loss(logits, tf.constant([1, 0]), "margin").numpy(), [-3.0, 2.5])
    ce = attack_loss(logits, tf.constant([1, 0]), "ce").numpy()
    z = logits.numpy()
    expected = np.log(np.exp(z).sum(axis=1)) - z[[0, 1], [1, 0]]
    np.testing.assert_allclose(ce, expected, rtol=1e-5)


def test_pgd_accuracy_restarts_and_margin_loss(trained, digits):
    x, y = digits[0][1500:1700], digits[1][1500:1700]
    clean = float(np.mean(attacks.predicted_labels(trained, x) == y))
    one = pgd_accuracy(trained, x, y, eps=EPS, alpha=0.02, steps=10, restarts=1)
    three = pgd_accuracy(trained, x, y, eps=EPS, alpha=0.02, steps=10, restarts=3)
    margin = pgd_accuracy(trained, x, y, eps=EPS, alpha=0.02, steps=10, loss="margin")
    assert three <= one < clean                 # the worst case over restarts can only be lower
    assert margin < clean
    reference = attacks.robust_accuracy(trained, x, y, attacks.pgd, eps=EPS, alpha=0.02, steps=10)
    assert abs(one - reference) < 0.05          # another random start, the same attack


@pytest.mark.parametrize("call, message", [
    (lambda: make_attack("cw", EPS), "attack must be one of"),
    (lambda: make_attack("pgd", -0.1), "eps must be"),
    (lambda: make_attack("pgd", EPS, alpha=0.0), "alpha must be"),
    (lambda: make_attack("pgd", EPS, steps=0), "steps must be"),
    (lambda: AdversarialTrainer(small_cnn(), clean_weight=1.5), "clean_weight must be"),
    (lambda: RobustnessMonitor(np.zeros((3, 8, 8, 1)), np.zeros(2), eps=EPS), "same N"),
    (lambda: attack_loss(tf.zeros((1, 3)), tf.zeros((1,)), "hinge"), "loss must be one of"),
    (lambda: pgd_accuracy(small_cnn(), np.full((2, 8, 8, 1), 2.0), np.zeros(2), EPS, 0.01, 5), "must lie in"),
    (lambda: pgd_accuracy(small_cnn(), np.zeros((2, 8, 8, 1)), np.zeros(2), EPS, 0.01, 5, restarts=0),
     "restarts must be"),
])
def test_bad_arguments_give_one_line_errors(call, message):
    with pytest.raises(ValueError, match=message) as info:
        call()
    assert "\n" not in str(info.value)
