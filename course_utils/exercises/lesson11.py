"""Checkers for lesson 11 (GANs): the discriminator loss and the non-saturating generator loss from
logits, the two steps of the GAN's ``train_step``, and spherical interpolation between two latent vectors.

The NumPy references of the two losses are here (``_discriminator_loss`` and
``_nonsaturating_generator_loss``; their Keras twins, which the GAN trains with, are in
:mod:`course_utils.gan`); slerp's is :func:`course_utils.gan.slerp`. The loss checks fail on NumPy
overflow warnings, and a case with logits of +-1000 proves stability. The two steps are methods the
student writes for a subclass of :class:`course_utils.gan.GAN`; their checks run them and
``GAN.discriminator_step`` / ``GAN.generator_step`` on a tiny GAN from the same initial weights with
the same ``z`` (plain SGD, so each weight moves by ``-lr * gradient``) and compare every weight
of both networks after the step; a fault is named by the weights it would have given. Each validator
recognises the usual mistakes and names them.

Usage::

    from course_utils.exercises.lesson11 import check_discriminator_loss
    discriminator_loss = check_discriminator_loss(discriminator_loss).use
"""

from __future__ import annotations

import dataclasses
import types
from collections.abc import Callable
from typing import Any

import keras
import numpy as np
import tensorflow as tf
from keras import layers, ops

from course_utils import checks
from course_utils.checks import Case, CheckResult, run_check
from course_utils.gan import GAN, discriminator_loss, interpolate_latents, nonsaturating_generator_loss, slerp

STEP_LR = {"d": 0.05, "g": 0.02}        # the checks' SGD learning rates: D's and G's differ on purpose


def _softplus(x: np.ndarray) -> np.ndarray:
    return np.logaddexp(0.0, x)


def _logits(logits: Any, name: str) -> np.ndarray:
    arr = np.asarray(logits, dtype=np.float64)
    if arr.size == 0 or not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must be a non-empty array of finite logits, got shape {arr.shape}")
    return arr


def _discriminator_loss(real_logits: Any, fake_logits: Any) -> float:
    """The reference of lesson 11's first exercise: ``mean logaddexp(0, -real) + mean logaddexp(0, fake)``."""
    real, fake = _logits(real_logits, "real_logits"), _logits(fake_logits, "fake_logits")
    return float(np.mean(_softplus(-real)) + np.mean(_softplus(fake)))


def _nonsaturating_generator_loss(fake_logits: Any) -> float:
    """The reference of lesson 11's second exercise: ``mean logaddexp(0, -fake_logits)``."""
    return float(np.mean(_softplus(-_logits(fake_logits, "fake_logits"))))


def _number_problem(out: Any) -> tuple[str | None, float]:
    problem = checks.array_problem(checks.one_number(out), ())
    if problem is not None:
        return f"{problem}: return one number, the mean loss over the batch", float("nan")
    return None, float(checks.as_float_array(out).reshape(()))


def _d_loss_problem(out: Any, real: np.ndarray, fake: np.ndarray) -> str | None:
    problem, got = _number_problem(out)
    if problem is not None:
        return problem
    expected = _discriminator_loss(real, fake)
    if checks.close(got, expected, 1e-6, 1e-8):
        return None
    sr, sf = _softplus(-real), _softplus(fake)
    faults = [
        (-expected, "wrong sign: the loss is MINUS the log-likelihood, -log D(x) - log(1 - D(G(z)))"),
        (np.mean(_softplus(real)) + np.mean(_softplus(-fake)),
         "labels swapped: real images have label 1 (-log D(x)), generated ones label 0 (-log(1 - D(G(z))))"),
        (sr.sum() + sf.sum(), "summed over the batch: take the mean of each term"),
        (np.mean(np.concatenate([sr, sf])), ("averaged real and fake together: the loss is mean(real term) + "
                                             "mean(fake term), each over its own batch")),
        (float(np.mean(sr)), "only the real term: add -log(1 - D(G(z))) for the generated images"),
        (float(np.mean(sf)), "only the fake term: add -log D(x) for the real images"),
        (np.mean(sr) - np.mean(_softplus(-fake)), "the fake term is -log(1 - D(G(z))) = softplus(fake_logit)"),
    ]
    fault = checks.first_fault(got, faults, 1e-6, 1e-8)
    return fault or f"wrong value {got:.6g}, expected {expected:.6g}: mean softplus(-real) + mean softplus(fake)"


def _g_loss_problem(out: Any, fake: np.ndarray) -> str | None:
    problem, got = _number_problem(out)
    if problem is not None:
        return problem
    expected = _nonsaturating_generator_loss(fake)
    if checks.close(got, expected, 1e-6, 1e-8):
        return None
    faults = [
        (-np.mean(_softplus(fake)), ("that is the minimax loss log(1 - D(G(z))), which saturates: the "
                                     "non-saturating loss is -log D(G(z))")),
        (np.mean(_softplus(fake)), ("that is -log(1 - D(G(z))): the generator wants D(G(z)) near 1, "
                                    "so minimise -log D(G(z)) = softplus(-logit)")),
        (-expected, "wrong sign: -log D(G(z)) is positive, softplus(-logit)"),
        (_softplus(-fake).sum(), "summed over the batch: take the mean"),
    ]
    fault = checks.first_fault(got, faults, 1e-6, 1e-8)
    return fault or f"wrong value {got:.6g}, expected {expected:.6g}: mean softplus(-fake_logits)"


def _slerp_problem(out: Any, z0: np.ndarray, z1: np.ndarray, steps: int) -> str | None:
    expected = slerp(z0, z1, steps)
    problem = checks.array_problem(out, expected.shape)
    if problem is not None:
        return f"{problem}: return one latent vector per step, shape (steps, d)"
    got = checks.as_float_array(out)
    if checks.close(got, expected, 1e-4, 1e-5):
        return None
    t = np.linspace(0, 1, steps)[:, None]
    omega = np.arccos(np.clip(z0 @ z1 / (np.linalg.norm(z0) * np.linalg.norm(z1)), -1, 1))
    faults = [
        (interpolate_latents(z0, z1, steps, "linear"), ("that is the straight line (1 - t) z0 + t z1: follow "
                                                        "the great circle, sin((1 - t) omega) / sin(omega) ...")),
        (expected[::-1], "runs from z1 to z0: the first row must be z0, the last z1"),
        (np.sin((1 - t) * omega) * z0 + np.sin(t * omega) * z1, "forgot to divide by sin(omega)"),
        (np.cos((1 - t) * omega) * z0 + np.cos(t * omega) * z1,
         "used cosines: the weights are sin((1 - t) omega) / sin(omega) and sin(t omega) / sin(omega)"),
    ]
    fault = checks.first_fault(got, faults, 1e-4, 1e-5)
    if fault:
        return fault
    if not np.allclose(got[0], z0, atol=1e-5) or not np.allclose(got[-1], z1, atol=1e-5):
        return "the first row must be z0 and the last z1 (t = linspace(0, 1, steps))"
    return "wrong values: omega = arccos(z0.z1 / (|z0| |z1|)), then the sine-weighted sum"


def check_discriminator_loss(fn: Callable) -> CheckResult:
    """Check ``fn(real_logits, fake_logits) -> float``: D's loss from logits, stable for large logits.

    Usage: ``discriminator_loss = check_discriminator_loss(discriminator_loss).use``.
    """
    rng = np.random.default_rng(110)
    cases = [
        Case("all logits 0 (D undecided): 2 log 2", (np.zeros(4), np.zeros(6)), hint="softplus(0) = log 2"),
        Case("8 real and 5 fake logits, random", (rng.normal(0, 2, 8), rng.normal(0, 2, 5)),
             hint="mean(logaddexp(0, -real)) + mean(logaddexp(0, fake))"),
        Case("confident and wrong: logits +-1000", (np.array([-1000.0, 3.0, 1000.0]), np.array([1000.0, -2.0])),
             hint="log(1 + exp(x)) overflows: use np.logaddexp(0, x)"),
    ]
    return run_check("discriminator_loss", fn, cases, reference=_discriminator_loss,
                     diagnose=_d_loss_problem, fail_on_warnings=True)


def check_nonsaturating_generator_loss(fn: Callable) -> CheckResult:
    """Check ``fn(fake_logits) -> float``: ``-mean log D(G(z))`` from logits, stable for large logits.

    Usage: ``g_loss = check_nonsaturating_generator_loss(g_loss).use``.
    """
    rng = np.random.default_rng(111)
    cases = [
        Case("all logits 0: log 2", (np.zeros(5),), hint="softplus(0) = log 2"),
        Case("7 random logits", (rng.normal(-1, 2, 7),), hint="mean(logaddexp(0, -fake_logits))"),
        Case("D sure the samples are fake: logits -1000", (np.array([-1000.0, -5.0, 1000.0]),),
             hint="log(1 + exp(1000)) overflows: use np.logaddexp(0, -x)"),
    ]
    return run_check("nonsaturating_generator_loss", fn, cases, reference=_nonsaturating_generator_loss,
                     diagnose=_g_loss_problem, fail_on_warnings=True)


def check_slerp(fn: Callable) -> CheckResult:
    """Check ``fn(z0, z1, steps) -> (steps, d)``: spherical interpolation, endpoints included.

    Usage: ``slerp = check_slerp(slerp).use``.
    """
    rng = np.random.default_rng(112)
    cases = []
    for name, d, steps in [("two 2-d vectors, 5 steps", 2, 5), ("two 100-d Gaussian vectors, 8 steps", 100, 8),
                           ("two 16-d vectors, 3 steps", 16, 3)]:
        cases.append(Case(name, (rng.standard_normal(d), rng.standard_normal(d), steps),
                          hint="t = linspace(0, 1, steps); omega = arccos(cos angle)"))
    return run_check("slerp", fn, cases, reference=slerp, diagnose=_slerp_problem)


# --- exercises 4 and 5: the two steps of GAN.train_step ------------------------------------------

def _tiny_gan(weights: list[np.ndarray] | None = None) -> GAN:
    """A GAN small enough to step in milliseconds (z of 4 -> 5x5 images), SGD at STEP_LR, given weights."""
    z = keras.Input((4,))
    g = keras.Model(z, layers.Reshape((5, 5, 1))(layers.Dense(25, activation="tanh")(
        layers.Dense(12, activation="relu")(z))))
    x = keras.Input((5, 5, 1))
    d = keras.Model(x, layers.Dense(1)(layers.LeakyReLU(0.2)(layers.Dense(8)(layers.Flatten()(x)))))
    model = GAN(g, d, seed=0)
    model.compile(keras.optimizers.SGD(STEP_LR["d"]), keras.optimizers.SGD(STEP_LR["g"]))
    if weights is not None:
        for var, value in zip(_variables(model), weights):
            var.assign(value)
    return model


def _variables(model: GAN) -> list:
    return [*model.generator.trainable_weights, *model.discriminator.trainable_weights]


def _moves(step: Callable, weights: list[np.ndarray], *args: Any) -> dict[str, Any]:
    """Run ``step`` as a method of a tiny GAN with these weights; the weights' changes and what it returned."""
    model = _tiny_gan(weights)
    out = types.MethodType(step, model)(*args)
    n_g = len(model.generator.trainable_weights)
    after = [np.asarray(v) for v in _variables(model)]
    delta = [a - w for a, w in zip(after, weights)]
    return {"g": np.concatenate([d.ravel() for d in delta[:n_g]]),
            "d": np.concatenate([d.ravel() for d in delta[n_g:]]), "out": out}


def _predicted(weights: list[np.ndarray], loss: Callable, moved: str, lr: float, *args: Any) -> dict[str, Any]:
    """The changes SGD at ``lr`` makes when the gradients of ``loss(model, *args)`` go to the networks in ``moved``."""
    model = _tiny_gan(weights)
    with tf.GradientTape() as tape:
        value = loss(model, *args)
    grads = tape.gradient(value, _variables(model))
    n_g = len(model.generator.trainable_weights)
    flat = {"g": grads[:n_g], "d": grads[n_g:]}
    return {net: np.concatenate([(np.zeros(v.shape) if g is None or net not in moved else -lr * np.asarray(g)).ravel()
                                 for v, g in zip(model.generator.trainable_weights if net == "g"
                                                 else model.discriminator.trainable_weights, flat[net])])
            for net in ("g", "d")}


def _same(got: dict, expected: dict) -> bool:
    return all(checks.close(got[net], expected[net], 1e-3, 1e-6) for net in ("g", "d"))


def _d_logits(model: GAN, real: Any, z: Any) -> tuple[Any, Any]:
    return model.discriminator(real, training=True), model.discriminator(model.generator(z, training=True),
                                                                          training=True)


def _d_losses() -> dict[str, Callable]:
    def loss(fn: Callable) -> Callable:
        return lambda m, real, z: fn(*_d_logits(m, real, z))
    return {"right": loss(discriminator_loss),
            "swapped": loss(lambda r, f: discriminator_loss(-r, -f)),
            "sign": loss(lambda r, f: -discriminator_loss(r, f)),
            "together": loss(lambda r, f: 0.5 * discriminator_loss(r, f)),
            "real only": loss(lambda r, f: ops.mean(ops.softplus(-r))),
            "fake only": loss(lambda r, f: ops.mean(ops.softplus(f)))}


def _g_losses() -> dict[str, Callable]:
    def loss(fn: Callable) -> Callable:
        return lambda m, z: fn(m.discriminator(m.generator(z, training=True), training=True))
    return {"right": loss(nonsaturating_generator_loss),
            "minimax": loss(lambda f: -ops.mean(ops.softplus(f))),
            "helps D": loss(lambda f: ops.mean(ops.softplus(f))),
            "sign": loss(lambda f: -nonsaturating_generator_loss(f))}


D_FAULTS = [
    ("swapped", "d", "d", "labels swapped: real images are the ones D should call real, -log D(x) - log(1 - D(G(z)))"),
    ("sign", "d", "d", "wrong sign: D minimises MINUS the log-likelihood (gradient descent on the loss)"),
    ("together", "d", "d", ("averaged real and fake over one concatenated batch (half the loss): "
                            "mean(real term) + mean(fake term)")),
    ("real only", "d", "d", "only the real term: add -log(1 - D(G(z))) for the generated images"),
    ("fake only", "d", "d", "only the fake term: add -log D(x) for the real images"),
    ("right", "gd", "d", ("the discriminator step changed the generator's weights (G got the gradients of D's loss): "
                          "apply them to self.discriminator.trainable_weights only")),
    ("right", "g", "d", "applied D's gradients to the generator's weights: use self.discriminator.trainable_weights"),
    ("right", "d", "g", "used the generator's optimizer: D's step uses self.d_optimizer"),
]
G_FAULTS = [
    ("minimax", "g", "g", ("minimised log(1 - D(G(z))), the saturating minimax loss: the non-saturating loss is "
                           "-log D(G(z)) = softplus(-logit)")),
    ("helps D", "g", "g", "minimised -log(1 - D(G(z))): that teaches G to be caught; minimise -log D(G(z))"),
    ("sign", "g", "g", "wrong sign: minimise -log D(G(z)), do not maximise it"),
    ("right", "gd", "g", ("the generator step changed the discriminator's weights: D stays frozen, apply the "
                          "gradients to self.generator.trainable_weights only")),
    ("right", "d", "g", "updated D instead of G: apply the gradients to self.generator.trainable_weights"),
    ("right", "g", "d", "used the discriminator's optimizer: G's step uses self.g_optimizer"),
]


def _step_problem(got: dict, reference: Callable, weights: list, args: tuple, losses: dict, faults: list,
                  mine: str) -> str | None:
    """None when ``got`` moved the weights as ``reference`` does, else the fault whose weights it matches."""
    if _same(got, _moves(reference, weights, *args)):
        return None
    for loss, moved, lr, text in faults:
        if _same(got, _predicted(weights, losses[loss], moved, STEP_LR[lr], *args)):
            return text
    if not np.any(got[mine]):
        return (f"the {'generator' if mine == 'g' else 'discriminator'}'s weights did not move: compute the loss "
                "inside the GradientTape, from fake images made on the tape (no tf.stop_gradient), and apply "
                "its gradients")
    return "the weights after the step differ from those of GAN's reference step"


def _check_step(name: str, fn: Callable, reference: Callable, cases: list[Case], diagnose: Callable) -> CheckResult:
    """run_check on ``fn`` as a method of tiny GANs; ``use`` is ``fn`` itself once it passes."""
    def run(weights: list, *args: Any) -> dict[str, Any]:
        return _moves(fn, weights, *args)
    result = run_check(name, run, cases, reference=reference, diagnose=diagnose)
    return dataclasses.replace(result, use=fn if result.passed else reference)


def _step_cases(with_real: bool) -> list[Case]:
    rng = np.random.default_rng(113 if with_real else 114)
    cases = []
    for name, n in (("a batch of 6 images", 6), ("a batch of 3 images", 3)):
        weights = [np.asarray(v) for v in _variables(_tiny_gan())]
        real = np.tanh(rng.normal(0, 1.5, (n, 5, 5, 1))).astype("float32")
        z = rng.standard_normal((n, 4)).astype("float32")
        cases.append(Case(name, (weights, real, z) if with_real else (weights, z),
                          hint=("loss = gan.discriminator_loss(D(x), D(G(z))) on a tape; gradients of "
                                "self.discriminator.trainable_weights, applied by self.d_optimizer") if with_real else
                          ("loss = gan.nonsaturating_generator_loss(D(G(z))) on a tape; gradients of "
                           "self.generator.trainable_weights, applied by self.g_optimizer")))
    return cases


def _d_step_problem(got: Any, weights: list, real: np.ndarray, z: np.ndarray) -> str | None:
    problem = _step_problem(got, GAN.discriminator_step, weights, (real, z), _d_losses(), D_FAULTS, "d")
    if problem is None:
        out = got["out"]
        if not isinstance(out, (tuple, list)) or len(out) != 3:
            return "return (loss, real_logits, fake_logits): GAN.train_step logs them"
        expected = float(discriminator_loss(*_d_logits(_tiny_gan(weights), real, z)))
        if not checks.close(float(out[0]), expected, 1e-4, 1e-6):
            return f"returned loss {float(out[0]):.5g}, expected {expected:.5g} (the loss before the update)"
    return problem


def _g_step_problem(got: Any, weights: list, z: np.ndarray) -> str | None:
    problem = _step_problem(got, GAN.generator_step, weights, (z,), _g_losses(), G_FAULTS, "g")
    if problem is None:
        expected = float(_g_losses()["right"](_tiny_gan(weights), z))
        out = checks.as_float_array(got["out"])
        if out is None or out.size != 1 or not checks.close(float(out.reshape(())), expected, 1e-4, 1e-6):
            return f"return the loss (one number, {expected:.5g} here, before the update): GAN.train_step logs it"
    return problem


def check_discriminator_step(fn: Callable) -> CheckResult:
    """Check ``fn(self, real, z)``, D's step of ``GAN.train_step``: one update of D only, on D's loss.

    Compared with ``GAN.discriminator_step`` on tiny GANs from the same weights and ``z``.
    Usage: ``discriminator_step = check_discriminator_step(discriminator_step).use``.
    """
    return _check_step("discriminator_step", fn, GAN.discriminator_step, _step_cases(True), _d_step_problem)


def check_generator_step(fn: Callable) -> CheckResult:
    """Check ``fn(self, z)``, G's step of ``GAN.train_step``: one update of G only, non-saturating loss.

    Compared with ``GAN.generator_step`` on tiny GANs from the same weights and ``z``.
    Usage: ``generator_step = check_generator_step(generator_step).use``.
    """
    return _check_step("generator_step", fn, GAN.generator_step, _step_cases(False), _g_step_problem)
