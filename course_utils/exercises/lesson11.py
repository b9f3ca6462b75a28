"""Checkers for lesson 11 (GANs): the discriminator loss and the non-saturating generator loss from
logits, and spherical interpolation between two latent vectors.

The NumPy references of the two losses are here (``_discriminator_loss`` and
``_nonsaturating_generator_loss``; their Keras twins, which the GAN trains with, are in
:mod:`course_utils.gan`); slerp's is :func:`course_utils.gan.slerp`. The loss checks fail on NumPy
overflow warnings, and a case with logits of +-1000 proves stability. Each validator recognises the
usual mistakes and names them.

Usage::

    from course_utils.exercises.lesson11 import check_discriminator_loss
    discriminator_loss = check_discriminator_loss(discriminator_loss).use
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from course_utils import checks
from course_utils.checks import Case, CheckResult, run_check
from course_utils.gan import interpolate_latents, slerp


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
