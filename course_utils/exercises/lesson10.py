"""Checker for lesson 10 (adversarial training): the student's ``train_step`` of a ``keras.Model`` subclass.

The student writes the class's ``train_step``: the inner maximisation with the library's PGD
(``course_utils.attacks.pgd_graph``) on the current weights and the true labels, from the random
start ``self.start(x, self.eps)``; then the outer minimisation, one optimizer step on the
cross-entropy of the adversarial batch, applied to the network's trainable weights. The checker
fixes the random start, takes one step with SGD on a small network with batch normalisation, and
compares every weight (batch-norm statistics included) with the one step of
:class:`course_utils.adversarial_training.AdversarialTrainer`, the course's reference; a wrong
answer is compared with the usual mistakes, each made the same way, and the closest one is named.

Usage::

    from course_utils.exercises.lesson10 import check_adversarial_train_step
    Trainer = check_adversarial_train_step(PGDTrainer).use     # Trainer(network, eps, alpha, steps)
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import keras
import numpy as np
import tensorflow as tf

from course_utils import attacks, checks
from course_utils.adversarial_training import AdversarialTrainer
from course_utils.checks import Case, CheckResult, run_check
from course_utils.models import scores_model

ATOL = 1e-5
LR = 0.5          # plain SGD, large enough for every mistake to move the weights visibly


def pgd_trainer(network: keras.Model, eps: float, alpha: float, steps: int) -> AdversarialTrainer:
    """Lesson 10's reference: :class:`AdversarialTrainer` with PGD, called as the student's class is.

    Usage: ``trainer = pgd_trainer(build_fashion_cnn(), 0.1, 0.025, 5)``.
    """
    return AdversarialTrainer(network, "pgd", eps=eps, alpha=alpha, steps=steps)


def _network(weights: list[np.ndarray] | None = None, seed: int = 0) -> keras.Model:
    """A small network with batch normalisation and a ``logits`` layer; fixed weights."""
    inputs = keras.Input((6, 6, 1))
    x = keras.layers.Dense(16, use_bias=False)(keras.layers.Flatten()(inputs))
    x = keras.layers.ReLU()(keras.layers.BatchNormalization()(x))
    model = keras.Model(inputs, keras.layers.Activation("softmax")(keras.layers.Dense(10, name="logits")(x)))
    if weights is None:
        rng = np.random.default_rng(seed)
        weights = [rng.normal(0, 0.4, w.shape).astype("float32") if w.ndim == 2 else w for w in model.get_weights()]
    model.set_weights(weights)
    return model


def _flat(model: keras.Model) -> np.ndarray:
    return np.concatenate([w.ravel() for w in model.get_weights()])


def _student_step(cls: Callable, weights, x, y, eps: float, alpha: float, steps: int, noise) -> np.ndarray:
    """Every weight of the network after one ``train_step`` of ``cls(network, eps, alpha, steps)``."""
    network = _network(weights)
    trainer = cls(network, eps, alpha, steps)
    trainer.start = lambda images, _eps: images + noise        # the injected random start
    trainer.compile(optimizer=keras.optimizers.SGD(LR))
    trainer.train_step((tf.constant(x), tf.constant(y)))
    return _flat(network)


def _variant_step(weights, x, y, eps, alpha, steps, noise, *, inputs="adversarial", labels="true", start=True,
                  reduce="mean", training=True, apply=True, fgsm=False) -> np.ndarray:
    """One step made with one thing changed: what the validator compares a wrong answer with."""
    network = _network(weights)
    scores, x, y = scores_model(network), tf.constant(x), tf.constant(y)
    attacked = tf.argmax(scores(x), axis=1, output_type=tf.int32) if labels == "predicted" else y
    alpha, steps = (eps, 1) if fgsm else (alpha, steps)
    x_adv = attacks.pgd_graph(scores, x, attacked, eps, alpha, steps, x + noise if start else None)[0]
    with tf.GradientTape() as tape:
        seen = {"adversarial": x_adv, "clean": x}[inputs]
        per_example = attacks.attack_loss(scores(seen, training=training), y)
        loss = tf.reduce_mean(per_example) if reduce == "mean" else tf.reduce_sum(per_example)
    if apply:
        variables = network.trainable_variables
        keras.optimizers.SGD(LR).apply_gradients(zip(tape.gradient(loss, variables), variables))
    return _flat(network)


def _problem(out: Any, weights, x, y, eps, alpha, steps, noise) -> str | None:
    expected = _flat(_network(weights))
    got, problem = checks.as_float_array(out), checks.array_problem(out, expected.shape)
    if problem:
        return f"{problem}: the network's weights after the step"
    reference = _student_step(pgd_trainer, weights, x, y, eps, alpha, steps, noise)
    if checks.close(got, reference, atol=ATOL):
        return None
    run = lambda **changed: _variant_step(weights, x, y, eps, alpha, steps, noise, **changed)
    return checks.first_fault(got, [
        (expected, "nothing changed, not even the batch-norm statistics: train on the attacked batch"),
        (run(apply=False), "the weights did not move: apply the gradients with self.optimizer.apply_gradients"),
        (run(inputs="clean"), "trained on the clean batch: the loss is on x_adv, the attacked images"),
        (run(labels="predicted"), "attacked the predicted labels: the inner maximisation uses the true y"),
        (run(start=False), "no random start: pass start=self.start(x, self.eps) to attacks.pgd_graph"),
        (run(reduce="sum"), "summed the loss over the batch: take the mean (tf.reduce_mean)"),
        (run(training=False), "the outer loss ran in inference mode: call the network with training=True"),
        (run(fgsm=True), "one FGSM step: run PGD with self.steps steps of self.alpha"),
    ], atol=ATOL) or ("wrong weights: x_adv = pgd_graph(self.scores, x, y, eps, alpha, steps, self.start(x, eps))[0]; "
                      "then the mean cross-entropy of scores(x_adv, training=True), one optimizer step")


def check_adversarial_train_step(fn: Callable) -> CheckResult:
    """Check the class ``fn`` (built as ``fn(network, eps, alpha, steps)``): one adversarial ``train_step``.

    ``.use`` is the student's class when it passes, else :func:`pgd_trainer`.
    Usage: ``Trainer = check_adversarial_train_step(PGDTrainer).use``.
    """
    rng = np.random.default_rng(10)
    weights = _network(seed=10).get_weights()
    hint = "pgd_graph from self.start(x, self.eps), stop_gradient, mean cross-entropy with training=True, one step"
    cases = []
    for n, eps, alpha, steps in ((16, 0.1, 0.04, 3), (12, 0.3, 0.1, 5)):
        x = rng.uniform(0, 1, (n, 6, 6, 1)).astype("float32")
        x[rng.uniform(size=x.shape) < 0.3] = 0.0
        noise = tf.constant(rng.uniform(-eps, eps, x.shape).astype("float32"))
        cases.append(Case(f"a batch of {n} images 6x6x1, eps {eps}, {steps} PGD steps of {alpha}",
                          (weights, x, rng.integers(0, 10, n).astype("int32"), eps, alpha, steps, noise), hint=hint))
    result = run_check("adversarial_train_step", lambda *args: _student_step(fn, *args), cases,
                       reference=pgd_trainer, diagnose=_problem)
    result.use = fn if result.passed else pgd_trainer
    return result
