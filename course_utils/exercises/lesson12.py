"""Checkers for lesson 12 (variational autoencoders): the reparameterisation, the closed-form KL
term, the ELBO of a batch, and the VAE's training step (``elbo_step``).

The references are in :mod:`course_utils.vae`: ``reparameterize``, ``gaussian_kl`` and ``elbo``
(NumPy), and ``VAE.elbo_step`` (one optimizer step on the negative ELBO with the noise ``eps``
given). The step's check runs the student's method and the reference on a tiny VAE from the same
weights with the same ``eps`` (plain SGD: each weight moves by ``-lr * gradient``), compares every
weight after the step, and names a fault by the weights it would have given. Each validator
recognises the usual mistakes and names them.

Usage::

    from course_utils.exercises.lesson12 import check_reparameterize
    reparameterize = check_reparameterize(reparameterize).use
"""

from __future__ import annotations

import dataclasses
import types
from collections.abc import Callable
from typing import Any

import keras
import numpy as np
import tensorflow as tf
from keras import ops

from course_utils import checks
from course_utils.checks import Case, CheckResult, run_check
from course_utils.vae import (
    VAE,
    bernoulli_log_likelihood,
    build_decoder,
    build_encoder,
    elbo,
    gaussian_kl,
    reparameterize,
)

STEP_LR = 0.01           # the step check's SGD learning rate

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


# --- exercise 4: the VAE's training step ----------------------------------------------------------

def _tiny_vae(weights: list[np.ndarray] | None = None) -> VAE:
    """A VAE with one hidden layer of 8 units and a 2-D latent, SGD at STEP_LR, given weights."""
    model = VAE(build_encoder(2, (8,)), build_decoder(2, (8,)), name="tiny_vae")
    model.compile(optimizer=keras.optimizers.SGD(STEP_LR))
    if weights is not None:
        for var, value in zip(model.trainable_weights, weights):
            var.assign(value)
    return model


def _log_lik(x: Any, logits: Any) -> Any:
    return ops.sum(ops.reshape(x * logits - ops.softplus(logits), (ops.shape(x)[0], -1)), axis=1)


def _kl(mu: Any, log_var: Any) -> Any:
    return -0.5 * ops.sum(1.0 + log_var - ops.square(mu) - ops.exp(log_var), axis=1)


def _variant_loss(model: VAE, x: Any, eps: Any, kind: str) -> Any:
    """The negative ELBO of the batch, right or written with one of the usual faults (``kind``)."""
    mu, log_var, _ = model.encoder(x, training=True)
    sigma = ops.exp(log_var) if kind == "variance" else ops.exp(0.5 * log_var)
    z = mu + sigma * eps
    z = ops.stop_gradient(z) if kind == "detached" else z
    log_lik = _log_lik(x, model.decoder_logits(z, training=True))
    kl = _kl(mu, log_var)
    terms = {"right": -log_lik + kl, "variance": -log_lik + kl, "detached": -log_lik + kl,
             "kl sign": -log_lik - kl, "kl half": -log_lik + 2 * kl, "pixel mean": -log_lik / 784 + kl,
             "no kl": -log_lik, "elbo": log_lik - kl, "batch sum": -log_lik + kl}[kind]
    return ops.sum(terms) if kind == "batch sum" else ops.mean(terms)


VAE_FAULTS = [
    ("variance", "scaled eps by the variance exp(log_var): z = mu + exp(log_var / 2) * eps (the standard deviation)"),
    ("kl sign", "subtracted the KL: the loss is reconstruction + KL (the negative ELBO), KL >= 0"),
    ("kl half", "the KL lacks its factor 1/2: -0.5 * sum(1 + log_var - mu^2 - exp(log_var))"),
    ("pixel mean", "averaged the reconstruction over the pixels: sum the cross-entropy over the 784 pixels"),
    ("detached", ("the sample z is not on the tape (no reparameterisation): compute z = mu + sigma * eps inside "
                  "the GradientTape, without tf.stop_gradient, so the encoder learns from the reconstruction")),
    ("no kl", "forgot the KL term: loss = reconstruction + KL"),
    ("elbo", "minimised the ELBO itself: minimise its negative, reconstruction + KL"),
    ("batch sum", "summed over the batch: average the per-image negative ELBO over the batch"),
]


def _vae_moves(step: Callable, weights: list, x: np.ndarray, eps: np.ndarray) -> dict[str, Any]:
    model = _tiny_vae(weights)
    out = types.MethodType(step, model)(x, eps)
    delta = np.concatenate([(np.asarray(v) - w).ravel() for v, w in zip(model.trainable_weights, weights)])
    return {"delta": delta, "out": out}


def _vae_predicted(weights: list, x: np.ndarray, eps: np.ndarray, kind: str) -> np.ndarray:
    model = _tiny_vae(weights)
    with tf.GradientTape() as tape:
        loss = _variant_loss(model, x, eps, kind)
    grads = tape.gradient(loss, model.trainable_weights)
    return np.concatenate([(np.zeros(w.shape) if g is None else -STEP_LR * np.asarray(g)).ravel()
                           for w, g in zip(weights, grads)])


def _elbo_step_problem(got: Any, weights: list, x: np.ndarray, eps: np.ndarray) -> str | None:
    expected = _vae_moves(VAE.elbo_step, weights, x, eps)
    if not checks.close(got["delta"], expected["delta"], 1e-3, 1e-6):
        for kind, text in VAE_FAULTS:
            if checks.close(got["delta"], _vae_predicted(weights, x, eps, kind), 1e-3, 1e-6):
                return text
        if not np.any(got["delta"]):
            return "no weight moved: apply the gradients of the loss with self.optimizer"
        return "the weights after the step differ from VAE.elbo_step's (use the eps given, not a new draw)"
    out = got["out"]
    if not isinstance(out, dict) or not {"loss", "reconstruction", "kl"} <= set(out):
        return 'return {"loss": ..., "reconstruction": ..., "kl": ...}: train_step logs them'
    for key in ("loss", "reconstruction", "kl"):
        if not checks.close(float(out[key]), float(expected["out"][key]), 1e-4, 1e-4):
            return (f"returned {key} {float(out[key]):.5g}, expected {float(expected['out'][key]):.5g} "
                    "(batch means, nats per image, before the update)")
    return None


def check_elbo_step(fn: Callable) -> CheckResult:
    """Check ``fn(self, x, eps)``, the VAE's training step: reparameterise with ``eps``, one step on the negative ELBO.

    Compared with ``VAE.elbo_step`` on a tiny VAE from the same weights and ``eps``.
    Usage: ``elbo_step = check_elbo_step(elbo_step).use``.
    """
    rng = np.random.default_rng(15)
    cases = []
    for name, n in (("a batch of 5 images", 5), ("a batch of 2 images", 2)):
        weights = [np.asarray(v) for v in _tiny_vae().trainable_weights]
        x = rng.uniform(size=(n, 28, 28, 1)).astype("float32")
        x[rng.uniform(size=x.shape) < 0.5] = 0.0                    # a black background
        cases.append(Case(name, (weights, x, rng.standard_normal((n, 2)).astype("float32")),
                          hint="on the tape: z = mu + exp(0.5 * log_var) * eps; loss = mean over the batch of "
                               "(cross-entropy summed over pixels + KL); self.optimizer on self.trainable_weights"))

    def run(weights: list, x: np.ndarray, eps: np.ndarray) -> dict[str, Any]:
        return _vae_moves(fn, weights, x, eps)
    result = run_check("elbo_step", run, cases, reference=VAE.elbo_step, diagnose=_elbo_step_problem)
    return dataclasses.replace(result, use=fn if result.passed else VAE.elbo_step)
