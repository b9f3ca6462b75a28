"""Checkers for lesson 09 (adversarial attacks): FGSM written with a ``GradientTape``, the PGD loop,
and Carlini and Wagner's objective in tanh space.

Each exercise is checked against the one implementation in :mod:`course_utils.attacks`
(``fgsm``, ``pgd_graph`` and ``cw_objective``) on a small network the checker builds with fixed
weights; each validator recognises the usual mistakes and names them. ``fgsm_step`` (the FGSM step
from a gradient already computed) stays here for lesson 09's eps slider.

Usage::

    from course_utils.exercises.lesson09 import check_fgsm_tape
    fgsm_tape = check_fgsm_tape(fgsm_tape).use
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import keras
import numpy as np
import tensorflow as tf

from course_utils import attacks, checks
from course_utils.checks import Case, CheckResult, run_check
from course_utils.models import scores_model

ATOL = 1e-5   # float32 graph against float32 eager: the validators' tolerance


def fgsm_step(x: np.ndarray, grad: np.ndarray, eps: float, targeted: bool = False) -> np.ndarray:
    """One FGSM step from a gradient already computed: ``clip(x + eps * sign(grad), 0, 1)`` (lesson 09's slider).

    Goodfellow et al. (2015), eq. 3; ``targeted=True`` steps against the gradient.
    Usage: ``x_adv = fgsm_step(x, grad, eps=0.1)``.
    """
    direction = -np.sign(grad) if targeted else np.sign(grad)
    return np.clip(np.asarray(x, dtype=np.float64) + eps * direction, 0.0, 1.0)


def tiny_classifier(seed: int = 0, shape: tuple[int, ...] = (6, 6, 1)) -> keras.Model:
    """A small ReLU network with a ``logits`` layer and fixed random weights: what lessons 09-10's checkers attack.

    Usage: ``scores = scores_model(tiny_classifier())``.
    """
    rng = np.random.default_rng(seed)
    inputs = keras.Input(shape)
    hidden = keras.layers.Dense(24, activation="relu")(keras.layers.Flatten()(inputs))
    logits = keras.layers.Dense(10, name="logits")(hidden)
    model = keras.Model(inputs, keras.layers.Activation("softmax")(logits))
    model.set_weights([rng.normal(0, 1.0 / np.sqrt(w.shape[0]) if w.ndim == 2 else 0.1, size=w.shape)
                       .astype("float32") for w in model.get_weights()])
    return model


def _images(rng: np.random.Generator, n: int, shape: tuple[int, ...] = (6, 6, 1)) -> np.ndarray:
    """Images in [0, 1] with exact 0s and 1s (a Fashion-MNIST background is 0), so the box matters."""
    x = rng.uniform(0, 1, size=(n, *shape))
    x[rng.uniform(size=x.shape) < 0.3] = 0.0
    x[rng.uniform(size=x.shape) < 0.1] = 1.0
    return x.astype("float32")


def _answer(out: Any, shape: tuple[int, ...], what: str) -> tuple[np.ndarray | None, str | None]:
    """``out`` as a float array, or the problem with it (None, a tensor of another shape, ...)."""
    problem = checks.array_problem(out, shape)
    return (None, f"{problem}: return {what}") if problem else (checks.as_float_array(out), None)


def _tape_gradient(scores: keras.Model, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    return attacks.input_gradient(scores, tf.constant(x), tf.constant(y)).numpy()


def _fgsm_problem(out: Any, scores: keras.Model, x: tf.Tensor, y: tf.Tensor, eps: float) -> str | None:
    x, y = x.numpy(), y.numpy()
    got, problem = _answer(out, x.shape, "the attacked images, the shape of x")
    if problem:
        return problem
    expected = attacks.fgsm(scores, x, y, eps)
    if checks.close(got, expected, atol=ATOL):
        return None
    grad, predicted = _tape_gradient(scores, x, y), np.argmax(scores(x).numpy(), axis=1)
    return checks.first_fault(got, [
        (x + eps * np.sign(grad), "pixels outside [0, 1]: clip the result to the box, tf.clip_by_value(., 0, 1)"),
        (np.clip(x - eps * np.sign(grad), 0, 1), "stepped down the loss: FGSM ascends the true label's loss"),
        (np.clip(x + eps * grad, 0, 1), "used the gradient itself: FGSM steps by eps times its sign"),
        (attacks.fgsm(scores, x, predicted, eps), "attacked the predicted label: use the true label y"),
        (np.clip(x + eps * np.sign(_tape_gradient(scores, x, (y + 1) % 10)), 0, 1),
         "took the loss of another class: the cross-entropy of the true label y"),
        (eps * np.sign(grad), "returned the perturbation: return the image x + eps * sign(grad)"),
    ], atol=ATOL) or "wrong values: clip(x + eps * sign(d loss(y) / d x), 0, 1), the loss on the logits"


def check_fgsm_tape(fn: Callable) -> CheckResult:
    """Check ``fn(scores, x, y, eps)``: FGSM with a ``tf.GradientTape`` on a model giving logits.

    Compared with :func:`course_utils.attacks.fgsm` on a small network with fixed weights.
    Usage: ``fgsm_tape = check_fgsm_tape(fgsm_tape).use``.
    """
    rng, scores = np.random.default_rng(90), scores_model(tiny_classifier(90))
    hint = "watch x on a tape, the cross-entropy of y on the logits, then clip(x + eps * sign(g), 0, 1)"
    cases = [Case(f"{n} images 6x6x1, eps {eps}", (scores, tf.constant(_images(rng, n)),
                                                  tf.constant(rng.integers(0, 10, n), tf.int32), eps), hint=hint)
             for n, eps in ((8, 0.1), (16, 0.25), (4, 0.03))]
    return run_check("fgsm_tape", fn, cases, reference=attacks_fgsm_tape, diagnose=_fgsm_problem)


def attacks_fgsm_tape(scores: keras.Model, x: tf.Tensor, y: tf.Tensor, eps: float) -> tf.Tensor:
    """Lesson 09's FGSM exercise answered by the library: one step of :func:`course_utils.attacks.pgd_graph`.

    Usage: ``x_adv = attacks_fgsm_tape(scores_model(cnn), tf.constant(x), tf.constant(y), 0.1)``.
    """
    return attacks.pgd_graph(scores, x, y, eps, eps, 1)[0]


def attacks_pgd_loop(scores: keras.Model, x: tf.Tensor, y: tf.Tensor, eps: float, alpha: float, steps: int,
                     start: tf.Tensor) -> tf.Tensor:
    """Lesson 09's PGD exercise answered by the library: :func:`course_utils.attacks.pgd_graph` from ``start``.

    Usage: ``x_adv = attacks_pgd_loop(scores, x, y, 0.1, 0.02, 10, x + noise)``.
    """
    return attacks.pgd_graph(scores, x, y, eps, alpha, steps, start)[0]


def _pgd_variant(scores, x, y, eps, alpha, steps, start, *, box=True, ball=True, sign=1.0,
                 signed=True, every_step=True, use_start=True) -> np.ndarray:
    """A PGD loop with one thing changed (what the validator compares a wrong answer with)."""
    def proj(x_adv, around):
        x_adv = np.clip(x_adv, around - eps, around + eps) if ball else x_adv
        return np.clip(x_adv, 0, 1) if box else x_adv
    x_adv = proj(start, x) if use_start else x.copy()
    for _ in range(steps):
        g = _tape_gradient(scores, x_adv.astype("float32"), y) * sign
        moved = x_adv + alpha * (np.sign(g) if signed else g)
        x_adv = proj(moved, x) if every_step else moved
    return x_adv if every_step else proj(x_adv, x)


def _pgd_problem(out: Any, scores, x, y, eps: float, alpha: float, steps: int, start) -> str | None:
    x, y, start = x.numpy(), y.numpy(), start.numpy()
    got, problem = _answer(out, x.shape, "the attacked images, the shape of x")
    if problem:
        return problem
    if checks.close(got, attacks_pgd_loop(scores, x, y, eps, alpha, steps, start).numpy(), atol=ATOL):
        return None
    run = lambda **changed: _pgd_variant(scores, x, y, eps, alpha, steps, start, **changed)
    return checks.first_fault(got, [
        (run(box=False), "pixels outside [0, 1]: clip to the box [0, 1] at every step as well"),
        (run(ball=False), ("left the eps-ball: clip to [x - eps, x + eps] around the CLEAN x at every step "
                           "(not around the current x_adv)")),
        (run(use_start=False), "ignored the random start: begin at start (projected), not at x"),
        (run(sign=-1.0), "descended the loss: PGD ascends the true label's loss"),
        (run(signed=False), "stepped along the gradient: step alpha * sign(gradient)"),
        (run(every_step=False), "projected once at the end: project after every step"),
    ], atol=ATOL) or "wrong values: start projected, then steps x + alpha * sign(g), each followed by the projection"


def check_pgd_loop(fn: Callable) -> CheckResult:
    """Check ``fn(scores, x, y, eps, alpha, steps, start)``: PGD from the given (random) start.

    The checker injects the random start ``start = x + U(-eps, eps)`` so that the result can be
    compared with :func:`course_utils.attacks.pgd_graph` from the same start.
    Usage: ``pgd_loop = check_pgd_loop(pgd_loop).use``.
    """
    rng, scores = np.random.default_rng(91), scores_model(tiny_classifier(91))
    hint = "x_adv = project(start); then steps of x_adv + alpha * sign(g), each projected onto the ball and [0, 1]"
    cases = []
    for n, eps, alpha, steps in ((8, 0.1, 0.03, 5), (6, 0.3, 0.1, 4), (4, 0.05, 0.02, 8)):
        x = _images(rng, n)
        start = (x + rng.uniform(-eps, eps, size=x.shape)).astype("float32")
        cases.append(Case(f"{n} images 6x6x1, eps {eps}, alpha {alpha}, {steps} steps",
                          (scores, tf.constant(x), tf.constant(rng.integers(0, 10, n), tf.int32), eps, alpha, steps,
                           tf.constant(start)), hint=hint))
    return run_check("pgd_loop", fn, cases, reference=attacks_pgd_loop, diagnose=_pgd_problem)


def attacks_cw_objective(scores: keras.Model, w: tf.Tensor, x0: tf.Tensor, y: tf.Tensor, c: float,
                         kappa: float) -> tf.Tensor:
    """Lesson 09's C&W exercise answered by the library: :func:`course_utils.attacks.cw_objective`, per example.

    Usage: ``objective = attacks_cw_objective(scores, w, x0, y, c=1.0, kappa=0.0)``.
    """
    return attacks.cw_objective(scores, w, x0, y, c, kappa)[0]


def _cw_problem(fn: Callable, out: Any, scores, w, x0, y, c: float, kappa: float) -> str | None:
    got, problem = _answer(out, (len(x0),), "one objective value per image, shape (N,)")
    if problem:
        return problem
    with tf.GradientTape() as tape:
        tape.watch(w)
        again = fn(scores, w, x0, y, c, kappa)
        total = tf.reduce_sum(again) if tf.is_tensor(again) else None
    if not checks.close(got, attacks_cw_objective(scores, w, x0, y, c, kappa).numpy(), atol=ATOL):
        x = (np.tanh(w.numpy()) + 1) / 2
        z, yy = scores(x).numpy(), y.numpy()
        zy = z[np.arange(len(z)), yy]
        other = np.where(np.eye(10, dtype=bool)[yy], -np.inf, z).max(axis=1)
        dist = np.sum((x - x0.numpy()) ** 2, axis=(1, 2, 3))
        p = tf.nn.softmax(z).numpy()
        p_other = np.where(np.eye(10, dtype=bool)[yy], -np.inf, p).max(axis=1)
        return checks.first_fault(got, [
            (dist + c * (zy - other), "no confidence: clip the margin below at -kappa, max(margin, -kappa)"),
            (dist + c * np.maximum(other - zy, -kappa), "margin the wrong way round: Z_y - max_{i != y} Z_i"),
            (np.sqrt(dist) + c * np.maximum(zy - other, -kappa), "||x - x0|| not squared: the squared L2 norm"),
            (dist + c * np.maximum(zy - z.max(axis=1), -kappa), "max over all classes: exclude the true class y"),
            (np.sum((w.numpy() - np.arctanh(np.clip(2 * x0.numpy() - 1, -1 + 1e-6, 1 - 1e-6))) ** 2, axis=(1, 2, 3))
             + c * np.maximum(zy - other, -kappa), "distance in w: measure ||x - x0||^2 on the image x"),
            (np.sum((np.tanh(w.numpy()) - x0.numpy()) ** 2, axis=(1, 2, 3)) + c * np.maximum(
                scores(np.tanh(w.numpy())).numpy()[np.arange(len(z)), yy] - np.where(
                    np.eye(10, dtype=bool)[yy], -np.inf, scores(np.tanh(w.numpy())).numpy()).max(axis=1), -kappa),
             "x = tanh(w) lies in [-1, 1]: x = (tanh(w) + 1) / 2"),
            (c * dist + np.maximum(zy - other, -kappa), "c weighs the distance: c multiplies f, ||x - x0||^2 + c f"),
            (dist + c * np.maximum(p[np.arange(len(p)), yy] - p_other, -kappa),
             "margin on probabilities: use the logits Z (scores), not the softmax"),
        ], atol=ATOL) or "wrong values: ||x - x0||^2 + c * max(Z_y - max_{i != y} Z_i, -kappa), x = (tanh(w) + 1) / 2"
    if total is None or tape.gradient(total, w) is None:
        return "right values, but no gradient reaches w: compute with TensorFlow ops on w (not NumPy)"
    return None


def check_cw_objective(fn: Callable) -> CheckResult:
    """Check ``fn(scores, w, x0, y, c, kappa)``: C&W's objective per image in tanh space, differentiable in w.

    Compared with :func:`course_utils.attacks.cw_objective` (which :func:`carlini_wagner_l2` minimises).
    Usage: ``cw_objective = check_cw_objective(cw_objective).use``.
    """
    rng, scores = np.random.default_rng(92), scores_model(tiny_classifier(92))
    hint = "x = (tanh(w) + 1) / 2; sum((x - x0)**2) per image + c * max(Z_y - max_{i != y} Z_i, -kappa)"
    cases = []
    for n, c, kappa in ((6, 1.0, 0.0), (5, 10.0, 0.5), (4, 0.3, 2.0)):
        x0 = _images(rng, n)
        w = tf.constant(attacks.to_tanh_space(np.clip(x0 + rng.normal(0, 0.2, x0.shape), 0, 1)).astype("float32"))
        cases.append(Case(f"{n} images 6x6x1, c {c}, kappa {kappa}",
                          (scores, w, tf.constant(x0), tf.constant(rng.integers(0, 10, n), tf.int32), c, kappa),
                          hint=hint))
    return run_check("cw_objective", fn, cases, reference=attacks_cw_objective,
                     diagnose=lambda out, *args: _cw_problem(fn, out, *args))
