"""Checkers for lesson 12 (variational autoencoders): the reparameterisation, the closed-form KL
term, and the ELBO of a batch.

The references are in :mod:`course_utils.vae`: ``reparameterize``, ``gaussian_kl`` and ``elbo``
(NumPy). Each validator recognises the usual mistakes and names them.

Usage::

    from course_utils.exercises.lesson12 import check_reparameterize
    reparameterize = check_reparameterize(reparameterize).use
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from course_utils import checks
from course_utils.checks import Case, CheckResult, run_check
from course_utils.vae import bernoulli_log_likelihood, elbo, gaussian_kl, reparameterize

RTOL, ATOL = 1e-6, 1e-8       # a correct float64 answer is this close to the reference


def _gaussian(rng: np.random.Generator, n: int, d: int, scale: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
    """Posterior parameters with unequal variances, some above and some below 1."""
    return rng.normal(0, scale, size=(n, d)), rng.uniform(-2.5, 1.5, size=(n, d))


def _reparameterize_problem(out: Any, mu: np.ndarray, log_var: np.ndarray, eps: np.ndarray) -> str | None:
    problem = checks.array_problem(out, mu.shape)
    if problem is not None:
        return f"{problem}: return z with mu's shape"
    got = checks.as_float_array(out)
    if checks.close(got, reparameterize(mu, log_var, eps), RTOL, ATOL):
        return None
    sigma = np.exp(0.5 * log_var)
    fault = checks.first_fault(got, [
        (mu + np.exp(log_var) * eps,
         "scaled eps by the variance exp(log_var): scale by the standard deviation exp(log_var / 2)"),
        (mu + log_var * eps, "scaled eps by log_var itself: sigma = exp(log_var / 2)"),
        (mu + 0.5 * log_var * eps, "scaled eps by log_var / 2: take its exponential, sigma = exp(log_var / 2)"),
        (mu + np.sqrt(np.abs(log_var)) * eps, "took the square root of log_var: sigma = exp(log_var / 2)"),
        (sigma * eps, "forgot to add the mean mu"),
        (mu + eps, "ignored the variance: multiply eps by sigma = exp(log_var / 2)"),
        (mu * eps + sigma, "swapped the roles: z = mu + sigma * eps (eps multiplies sigma, not mu)"),
        (mu - sigma * eps, "subtracted sigma * eps: any sign is a valid sample, but the check fixes z = mu + sigma * eps"),
    ], RTOL, ATOL)
    return fault or "wrong values: z = mu + exp(log_var / 2) * eps"


def _kl_problem(out: Any, mu: np.ndarray, log_var: np.ndarray) -> str | None:
    expected = gaussian_kl(mu, log_var)
    got = checks.as_float_array(out)
    if got is not None and got.shape == mu.shape:
        return "returned one value per latent dimension: sum over the dimensions (axis=1), one KL per image"
    if got is not None and got.size == 1 and len(mu) > 1:
        return "returned one number: keep one KL per image (sum over axis=1 only, no mean over the batch)"
    problem = checks.array_problem(out, expected.shape)
    if problem is not None:
        return f"{problem}: one KL per image"
    if checks.close(got, expected, RTOL, ATOL):
        return None
    d = mu.shape[1]
    fault = checks.first_fault(got, [
        (-expected, "wrong sign: KL >= 0, it is -1/2 sum(1 + log_var - mu^2 - exp(log_var))"),
        (2 * expected, "missing the factor 1/2"),
        (expected / d, "averaged over the latent dimensions: sum over them"),
        (-0.5 * np.sum(log_var - mu**2 - np.exp(log_var), axis=1), "forgot the 1 in (1 + log_var - mu^2 - exp(log_var))"),
        (-0.5 * np.sum(1 + log_var - np.exp(log_var), axis=1), "forgot the mu^2 term: the KL grows with the mean too"),
        (-0.5 * np.sum(1 + log_var - mu**2 - log_var, axis=1),
         "used log_var where the variance goes: the last term is exp(log_var) = sigma^2"),
        (-0.5 * np.sum(1 + 2 * log_var - mu**2 - np.exp(2 * log_var), axis=1),
         "treated log_var as log sigma: it is log sigma^2, so sigma^2 = exp(log_var)"),
        (-0.5 * np.sum(1 + np.log(np.abs(log_var) + 1e-300) - mu**2 - log_var, axis=1),
         "treated log_var as the variance: it is its logarithm"),
    ], RTOL, ATOL)
    if fault is None and np.any(got < -1e-9):
        return "some values are negative: a KL divergence is never below 0"
    return fault or "wrong values: -0.5 * np.sum(1 + log_var - mu**2 - np.exp(log_var), axis=1)"


def _elbo_problem(out: Any, x: np.ndarray, logits: np.ndarray, mu: np.ndarray, log_var: np.ndarray) -> str | None:
    expected = elbo(x, logits, mu, log_var)
    got = checks.as_float_array(out)
    if got is not None and got.size == 1 and len(x) > 1:
        return "returned one number: return the ELBO of each image (no mean over the batch)"
    problem = checks.array_problem(out, expected.shape)
    if problem is not None:
        return f"{problem}: one ELBO per image"
    if checks.close(got, expected, 1e-6, 1e-6):
        return None
    log_lik, kl = bernoulli_log_likelihood(x, logits), gaussian_kl(mu, log_var)
    n_pixels = x[0].size
    fault = checks.first_fault(got, [
        (-expected, "returned the negative ELBO (the loss): the ELBO is log-likelihood minus KL, below 0 here"),
        (log_lik + kl, "added the KL: the ELBO subtracts it"),
        (log_lik, "forgot the KL term"),
        (-kl, "forgot the reconstruction term"),
        (log_lik / n_pixels - kl, "averaged the log-likelihood over the pixels: sum it over all of them"),
        (bernoulli_log_likelihood(x, -logits) - kl, "swapped the pixel classes: log p(x=1) = log sigmoid(logit)"),
        (bernoulli_log_likelihood(x, 1 / (1 + np.exp(-logits))) - kl,
         "treated the sigmoid probabilities as logits: the decoder's outputs here are logits"),
    ], RTOL, ATOL)
    return fault or "wrong values: sum over pixels of x * l - softplus(l), minus the closed-form KL"


def check_reparameterize(fn: Callable) -> CheckResult:
    """Check ``fn(mu, log_var, eps)``: ``z = mu + exp(log_var / 2) * eps``.

    Usage: ``reparameterize = check_reparameterize(reparameterize).use``.
    """
    rng = np.random.default_rng(12)
    cases = []
    for name, n, d in [("4 images, 2-D latent", 4, 2), ("3 images, 16-D latent", 3, 16), ("1 image, 5-D latent", 1, 5)]:
        mu, log_var = _gaussian(rng, n, d)
        cases.append(Case(name, (mu, log_var, rng.standard_normal((n, d))),
                          hint="sigma = np.exp(0.5 * log_var), then mu + sigma * eps"))
    return run_check("reparameterize", fn, cases, reference=reparameterize, diagnose=_reparameterize_problem)


def check_gaussian_kl(fn: Callable) -> CheckResult:
    """Check ``fn(mu, log_var)``: ``KL(N(mu, exp(log_var)) || N(0, I))`` per image, shape ``(N,)``.

    Usage: ``gaussian_kl = check_gaussian_kl(gaussian_kl).use``.
    """
    rng = np.random.default_rng(13)
    cases = []
    for name, n, d, scale in [("4 images, 2-D latent", 4, 2, 1.0), ("3 images, 16-D latent", 3, 16, 0.5),
                              ("5 images, 3-D latent, means far from 0", 5, 3, 4.0)]:
        mu, log_var = _gaussian(rng, n, d, scale)
        cases.append(Case(name, (mu, log_var), hint="-0.5 * np.sum(1 + log_var - mu**2 - np.exp(log_var), axis=1)"))
    return run_check("gaussian_kl", fn, cases, reference=gaussian_kl, diagnose=_kl_problem)


def check_elbo(fn: Callable) -> CheckResult:
    """Check ``fn(x, logits, mu, log_var)``: the ELBO of each image, Bernoulli log-likelihood minus KL.

    The last case has saturated logits (+-60): computing ``log(sigmoid(l))`` naively gives
    ``log(0)``, which fails the check; use ``x * l - softplus(l)`` with a stable softplus.
    Usage: ``elbo = check_elbo(elbo).use``.
    """
    rng = np.random.default_rng(14)
    cases = []
    for name, n, shape, big in [("4 images 28x28x1, 2-D latent", 4, (28, 28, 1), False),
                                ("3 images 5x5x1, 3-D latent", 3, (5, 5, 1), False),
                                ("2 images 6x6x1, saturated logits +-60", 2, (6, 6, 1), True)]:
        x = rng.uniform(size=(n, *shape))
        x[rng.uniform(size=x.shape) < 0.4] = 0.0                    # a black background, as in Fashion-MNIST
        logits = rng.normal(0, 60 if big else 2, size=x.shape)
        if big:
            logits = np.sign(logits) * 60.0
        mu, log_var = _gaussian(rng, n, 3 if n != 4 else 2)
        cases.append(Case(name, (x, logits, mu, log_var),
                          hint="np.sum over pixels of x * l - softplus(l) (stable: max(l, 0) + log1p(exp(-|l|))), "
                               "minus the KL"))
    return run_check("elbo", fn, cases, reference=elbo, diagnose=_elbo_problem, fail_on_warnings=True)
