"""Checkers for lesson 10 (adversarial training): the PGD projection, one step of the inner
maximisation, and the FGSM step with a random start of Wong et al. (2020).

The NumPy references are here: ``linf_projection`` (lesson 09's ``project`` with the L-inf
norm), ``pgd_ascent_step`` and ``fgsm_rs_step``; the in-graph attack training uses is
``course_utils.attacks.pgd_graph``. Each validator recognises the usual mistakes and names them.

Usage::

    from course_utils.exercises.lesson10 import check_linf_projection
    linf_projection = check_linf_projection(linf_projection).use
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from course_utils import checks
from course_utils.adversarial_training import FGSM_RS_ALPHA
from course_utils.checks import Case, CheckResult, run_check
from course_utils.exercises.lesson09 import project

ATOL = 1e-6   # the validators' tolerance (with rtol 1e-5)


def linf_projection(x0: np.ndarray, x_adv: np.ndarray, eps: float) -> np.ndarray:
    """Lesson 10's reference of the PGD projection: onto the L-inf eps-ball around ``x0`` and onto [0, 1].

    Lesson 09's ``project`` with ``norm="linf"`` (clipping to the box first or to the ball first gives
    the same point, as x0 is in the box). Usage: ``x_adv = linf_projection(x, x + delta, eps=0.1)``.
    """
    return project(x0, x_adv, eps, "linf")


def pgd_ascent_step(x0: np.ndarray, x_adv: np.ndarray, grad: np.ndarray, eps: float, alpha: float) -> np.ndarray:
    """Lesson 10's reference of one step of PGD's inner maximisation (Madry et al. 2018).

    ``x_adv + alpha * sign(grad)`` (``grad`` is the loss gradient at ``x_adv``, ascended), then the
    projection onto the eps-ball around the clean ``x0`` and onto [0, 1].
    Usage: ``x_adv = pgd_ascent_step(x, x_adv, grad, eps=0.1, alpha=0.01)``.
    """
    return linf_projection(x0, np.asarray(x_adv, dtype=np.float64) + alpha * np.sign(grad), eps)


def fgsm_rs_step(x0: np.ndarray, delta0: np.ndarray, grad: np.ndarray, eps: float,
                 alpha: float | None = None) -> np.ndarray:
    """Lesson 10's reference of FGSM with a random start (Wong et al. 2020).

    ``delta0`` is the random start, uniform in [-eps, eps]; ``grad`` the loss gradient at
    ``x0 + delta0``. Returns the projection of ``x0 + delta0 + alpha * sign(grad)`` onto the
    eps-ball around ``x0`` and onto [0, 1], with ``alpha = 1.25 eps`` by default.
    Usage: ``x_adv = fgsm_rs_step(x, rng.uniform(-eps, eps, x.shape), grad, eps=0.1)``.
    """
    alpha = FGSM_RS_ALPHA * eps if alpha is None else alpha
    return linf_projection(x0, np.asarray(x0, dtype=np.float64) + delta0 + alpha * np.sign(grad), eps)


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
    problem = checks.array_problem(out, x0.shape)
    if problem is not None:
        return f"{problem}: return an image of x0's shape"
    got = checks.as_float_array(out)
    if checks.close(got, expected, atol=ATOL):
        return None
    fault = checks.first_fault(got, [
        (np.clip(x_adv, x0 - eps, x0 + eps), "left [0, 1]: clip to the image box after the eps-ball"),
        (np.clip(x_adv, 0, 1), "only clipped to [0, 1]: clip to the eps-ball [x0 - eps, x0 + eps] too"),
        (np.clip(x_adv, -eps, eps), "clipped the image to [-eps, eps]: clip x_adv - x0 (or x_adv to x0 +- eps)"),
        (np.clip(x0 + np.sign(x_adv - x0) * eps, 0, 1), ("moved every pixel to the ball's surface: "
                                                         "a pixel already inside must stay where it is")),
        (np.clip(np.clip(x_adv, x_adv - eps, x_adv + eps), 0, 1), "the ball must be centred on x0, not on x_adv"),
    ], atol=ATOL)
    return fault or _box_and_ball(got, x0, eps) or "wrong values: np.clip(np.clip(x_adv, x0 - eps, x0 + eps), 0, 1)"


def _step_problem(out: Any, x0: np.ndarray, x_adv: np.ndarray, grad: np.ndarray, eps: float,
                  alpha: float) -> str | None:
    expected = pgd_ascent_step(x0, x_adv, grad, eps, alpha)
    problem = checks.array_problem(out, x0.shape)
    if problem is not None:
        return f"{problem}: return the new x_adv, of x0's shape"
    got = checks.as_float_array(out)
    if checks.close(got, expected, atol=ATOL):
        return None
    fault = checks.first_fault(got, [
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
    ], atol=ATOL)
    return fault or _box_and_ball(got, x0, eps) or "wrong values: project(x0, x_adv + alpha * sign(grad), eps)"


def _fgsm_rs_problem(out: Any, x0: np.ndarray, delta0: np.ndarray, grad: np.ndarray, eps: float) -> str | None:
    expected = fgsm_rs_step(x0, delta0, grad, eps)
    problem = checks.array_problem(out, x0.shape)
    if problem is not None:
        return f"{problem}: return the adversarial image, of x0's shape"
    got = checks.as_float_array(out)
    if checks.close(got, expected, atol=ATOL):
        return None
    step = np.sign(grad)
    fault = checks.first_fault(got, [
        (fgsm_rs_step(x0, delta0, grad, eps, alpha=eps), "stepped by eps: Wong et al. step by alpha = 1.25 eps"),
        (fgsm_rs_step(x0, np.zeros_like(x0), grad, eps),
         ("every pixel on the ball's surface, x0 + eps sign(grad): forgot the random start (step from "
          "x0 + delta0), or stepped by 2 eps or more (alpha = 1.25 eps)")),
        (x0 + delta0 + 1.25 * eps * step, "no projection: clip to x0 +- eps and to [0, 1]"),
        (np.clip(x0 + delta0 + 1.25 * eps * step, 0, 1), "projected onto [0, 1] only: clip to x0 +- eps too"),
        (fgsm_rs_step(x0, delta0, -grad, eps), "descended the loss: step along +sign(grad)"),
    ], atol=ATOL)
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
