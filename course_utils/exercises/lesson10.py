"""Checkers for lesson 10 (adversarial training): the PGD projection, one step of the inner
maximisation, and the FGSM step with a random start of Wong et al. (2020).

The references are in :mod:`course_utils.adversarial_training`: ``linf_projection``,
``pgd_ascent_step`` and ``fgsm_rs_step`` (NumPy). Each validator recognises the usual mistakes
and names them.

Usage::

    from course_utils.exercises.lesson10 import check_linf_projection
    linf_projection = check_linf_projection(linf_projection).use
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from course_utils.adversarial_training import fgsm_rs_step, linf_projection, pgd_ascent_step
from course_utils.checks import Case, CheckResult, array_problem, as_float_array, run_check


def _close(a: np.ndarray, b: np.ndarray) -> bool:
    return a.shape == b.shape and np.allclose(a, b, rtol=1e-5, atol=1e-6)


def _first_fault(got: np.ndarray, faults: list[tuple[np.ndarray, str]]) -> str | None:
    """The message of the first known mistake whose output ``got`` reproduces, else ``None``."""
    return next((message for wrong, message in faults if _close(got, np.asarray(wrong, float))), None)


def _images(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    """Images in [0, 1] with exact 0s and 1s (a Fashion-MNIST background is 0), so the box matters."""
    x = rng.uniform(0, 1, size=shape)
    x[rng.uniform(size=shape) < 0.25] = 0.0
    x[rng.uniform(size=shape) < 0.1] = 1.0
    return x


def _box_and_ball(got: np.ndarray, x0: np.ndarray, eps: float) -> str | None:
    if got.min() < -1e-6 or got.max() > 1 + 1e-6:
        return f"values in [{got.min():.3f}, {got.max():.3f}]: clip to the image box [0, 1] as well"
    if np.abs(got - x0).max() > eps + 1e-6:
        return (f"|x_adv - x0| reaches {np.abs(got - x0).max():.3f} > eps = {eps}: clip to "
                "[x0 - eps, x0 + eps], the ball around the CLEAN image")
    return None


def _projection_problem(out: Any, x0: np.ndarray, x_adv: np.ndarray, eps: float) -> str | None:
    expected = linf_projection(x0, x_adv, eps)
    problem = array_problem(out, x0.shape)
    if problem is not None:
        return f"{problem}: return an image of x0's shape"
    got = as_float_array(out)
    if _close(got, expected):
        return None
    fault = _first_fault(got, [
        (np.clip(x_adv, x0 - eps, x0 + eps), "left [0, 1]: clip to the image box after the eps-ball"),
        (np.clip(x_adv, 0, 1), "only clipped to [0, 1]: clip to the eps-ball [x0 - eps, x0 + eps] too"),
        (np.clip(x_adv, -eps, eps), "clipped the image to [-eps, eps]: clip x_adv - x0 (or x_adv to x0 +- eps)"),
        (np.clip(x0 + np.sign(x_adv - x0) * eps, 0, 1), ("moved every pixel to the ball's surface: "
                                                         "a pixel already inside must stay where it is")),
        (np.clip(np.clip(x_adv, x_adv - eps, x_adv + eps), 0, 1), "the ball must be centred on x0, not on x_adv"),
    ])
    return fault or _box_and_ball(got, x0, eps) or "wrong values: np.clip(np.clip(x_adv, x0 - eps, x0 + eps), 0, 1)"


def _step_problem(out: Any, x0: np.ndarray, x_adv: np.ndarray, grad: np.ndarray, eps: float,
                  alpha: float) -> str | None:
    expected = pgd_ascent_step(x0, x_adv, grad, eps, alpha)
    problem = array_problem(out, x0.shape)
    if problem is not None:
        return f"{problem}: return the new x_adv, of x0's shape"
    got = as_float_array(out)
    if _close(got, expected):
        return None
    fault = _first_fault(got, [
        (linf_projection(x0, x_adv - alpha * np.sign(grad), eps),
         "descended the loss: the attack ASCENDS it, x_adv + alpha * sign(grad)"),
        (linf_projection(x0, x_adv + alpha * grad, eps), "stepped along grad: step along sign(grad) (L-inf)"),
        (x_adv + alpha * np.sign(grad), "no projection: project onto the eps-ball around x0 and onto [0, 1]"),
        (np.clip(x_adv + alpha * np.sign(grad), 0, 1),
         ("projected onto [0, 1] only, or around x_adv: clip to the ball around the CLEAN x0, "
          "[x0 - eps, x0 + eps], too")),
        (linf_projection(x0, x_adv + eps * np.sign(grad), eps), "stepped by eps: the step size is alpha"),
        (linf_projection(x0, x0 + alpha * np.sign(grad), eps),
         "stepped from x0: each step starts from the current x_adv"),
    ])
    return fault or _box_and_ball(got, x0, eps) or "wrong values: project(x0, x_adv + alpha * sign(grad), eps)"


def _fgsm_rs_problem(out: Any, x0: np.ndarray, delta0: np.ndarray, grad: np.ndarray, eps: float) -> str | None:
    expected = fgsm_rs_step(x0, delta0, grad, eps)
    problem = array_problem(out, x0.shape)
    if problem is not None:
        return f"{problem}: return the adversarial image, of x0's shape"
    got = as_float_array(out)
    if _close(got, expected):
        return None
    step = np.sign(grad)
    fault = _first_fault(got, [
        (fgsm_rs_step(x0, delta0, grad, eps, alpha=eps), "stepped by eps: Wong et al. step by alpha = 1.25 eps"),
        (fgsm_rs_step(x0, np.zeros_like(x0), grad, eps),
         ("every pixel on the ball's surface, x0 + eps sign(grad): forgot the random start (step from "
          "x0 + delta0), or stepped by 2 eps or more (alpha = 1.25 eps)")),
        (x0 + delta0 + 1.25 * eps * step, "no projection: clip to x0 +- eps and to [0, 1]"),
        (np.clip(x0 + delta0 + 1.25 * eps * step, 0, 1), "projected onto [0, 1] only: clip to x0 +- eps too"),
        (fgsm_rs_step(x0, delta0, -grad, eps), "descended the loss: step along +sign(grad)"),
    ])
    return fault or _box_and_ball(got, x0, eps) or "wrong values: project(x0, x0 + delta0 + 1.25 eps sign(grad), eps)"


def check_linf_projection(fn: Callable) -> CheckResult:
    """Check ``fn(x0, x_adv, eps)``: the projection onto the L-inf eps-ball around ``x0`` and onto [0, 1].

    Usage: ``linf_projection = check_linf_projection(linf_projection).use``.
    """
    rng = np.random.default_rng(10)
    cases = []
    for name, shape, eps, spread in [("4 images 6x6x1, eps 0.1, far outside", (4, 6, 6, 1), 0.1, 0.5),
                                     ("2 images 5x5x3, eps 0.3", (2, 5, 5, 3), 0.3, 0.6),
                                     ("3 images 8x8x1, eps 0.05, some pixels inside", (3, 8, 8, 1), 0.05, 0.06)]:
        x0 = _images(rng, shape)
        cases.append(Case(name, (x0, x0 + rng.uniform(-spread, spread, size=shape), eps),
                          hint="np.clip to [x0 - eps, x0 + eps], then np.clip to [0, 1]"))
    return run_check("linf_projection", fn, cases, reference=linf_projection, diagnose=_projection_problem)


def check_pgd_ascent_step(fn: Callable) -> CheckResult:
    """Check ``fn(x0, x_adv, grad, eps, alpha)``: one PGD step, ascend along sign(grad) then project.

    Usage: ``pgd_ascent_step = check_pgd_ascent_step(pgd_ascent_step).use``.
    """
    rng = np.random.default_rng(11)
    cases = []
    for name, shape, eps, alpha in [("4 images 6x6x1, eps 0.1, alpha 0.02", (4, 6, 6, 1), 0.1, 0.02),
                                    ("2 images 5x5x3, eps 0.3, alpha 0.1", (2, 5, 5, 3), 0.3, 0.1),
                                    ("3 images 7x7x1, eps 0.1, alpha 0.06 (hits the ball)", (3, 7, 7, 1), 0.1, 0.06)]:
        x0 = _images(rng, shape)
        x_adv = linf_projection(x0, x0 + rng.uniform(-eps, eps, size=shape), eps)   # a current iterate
        grad = rng.normal(size=shape) * rng.uniform(0.01, 5, size=shape)            # unequal magnitudes
        cases.append(Case(name, (x0, x_adv, grad, eps, alpha),
                          hint="x_adv + alpha * np.sign(grad), then your projection around x0"))
    return run_check("pgd_ascent_step", fn, cases, reference=pgd_ascent_step, diagnose=_step_problem)


def check_fgsm_rs_step(fn: Callable) -> CheckResult:
    """Check ``fn(x0, delta0, grad, eps)``: FGSM with random start ``delta0`` and step 1.25 eps, projected.

    Usage: ``fgsm_rs_step = check_fgsm_rs_step(fgsm_rs_step).use``.
    """
    rng = np.random.default_rng(12)
    cases = []
    for name, shape, eps in [("4 images 6x6x1, eps 0.1", (4, 6, 6, 1), 0.1),
                             ("2 images 5x5x3, eps 0.3", (2, 5, 5, 3), 0.3),
                             ("3 images 8x8x1, eps 0.05", (3, 8, 8, 1), 0.05)]:
        x0 = _images(rng, shape)
        delta0 = np.clip(x0 + rng.uniform(-eps, eps, size=shape), 0, 1) - x0     # the start stays in [0, 1]
        cases.append(Case(name, (x0, delta0, rng.normal(size=shape), eps),
                          hint="x0 + delta0 + 1.25 * eps * np.sign(grad), then project onto x0 +- eps and [0, 1]"))
    return run_check("fgsm_rs_step", fn, cases, reference=fgsm_rs_step, diagnose=_fgsm_rs_problem)
