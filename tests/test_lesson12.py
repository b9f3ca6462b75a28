"""Lesson 12 (variational autoencoders): the WRONG table of faults each checker must name (run by
tests/test_checker_contract.py, which also passes the references), and a stable ELBO written another
way passes where the naive one fails."""

from __future__ import annotations

import numpy as np

from course_utils.exercises import lesson12 as l12


def _softplus(v):
    return np.maximum(v, 0) + np.log1p(np.exp(-np.abs(v)))


def _kl(mu, lv):
    return -0.5 * np.sum(1 + lv - mu**2 - np.exp(lv), axis=1)


def _log_lik(x, lg):
    return np.sum((x * lg - _softplus(lg)).reshape(len(x), -1), axis=1)


def _naive_elbo(x, lg, mu, lv):
    p = 1 / (1 + np.exp(-lg))
    return np.sum((x * np.log(p) + (1 - x) * np.log(1 - p)).reshape(len(x), -1), axis=1) - _kl(mu, lv)


WRONG = {
    "reparameterize": (l12.check_reparameterize, [
        (lambda mu, lv, e: mu + np.exp(lv) * e, "scale by the standard deviation"),
        (lambda mu, lv, e: mu + lv * e, "scaled eps by log_var itself"),
        (lambda mu, lv, e: np.exp(0.5 * lv) * e, "forgot to add the mean"),
        (lambda mu, lv, e: mu + e, "ignored the variance"),
        (lambda mu, lv, e: mu * e + np.exp(0.5 * lv), "swapped the roles"),
        (lambda mu, lv, e: (mu + np.exp(0.5 * lv) * e)[:, :1], "wrong shape"),
    ]),
    "gaussian_kl": (l12.check_gaussian_kl, [
        (lambda mu, lv: -_kl(mu, lv), "wrong sign"),
        (lambda mu, lv: 2 * _kl(mu, lv), "missing the factor 1/2"),
        (lambda mu, lv: _kl(mu, lv) / mu.shape[1], "averaged over the latent dimensions"),
        (lambda mu, lv: -0.5 * np.sum(lv - mu**2 - np.exp(lv), axis=1), "forgot the 1"),
        (lambda mu, lv: -0.5 * np.sum(1 + lv - np.exp(lv), axis=1), "forgot the mu^2 term"),
        (lambda mu, lv: -0.5 * np.sum(1 + 2 * lv - mu**2 - np.exp(2 * lv), axis=1), "treated log_var as log sigma"),
        (lambda mu, lv: -0.5 * (1 + lv - mu**2 - np.exp(lv)), "one value per latent dimension"),
        (lambda mu, lv: np.mean(_kl(mu, lv)), "returned one number"),
    ]),
    "elbo": (l12.check_elbo, [
        (lambda x, lg, mu, lv: -(_log_lik(x, lg) - _kl(mu, lv)), "returned the negative ELBO"),
        (lambda x, lg, mu, lv: _log_lik(x, lg) + _kl(mu, lv), "added the KL"),
        (lambda x, lg, mu, lv: _log_lik(x, lg), "forgot the KL term"),
        (lambda x, lg, mu, lv: _log_lik(x, lg) / x[0].size - _kl(mu, lv), "averaged the log-likelihood over the pixels"),
        (lambda x, lg, mu, lv: _log_lik(x, -lg) - _kl(mu, lv), "swapped the pixel classes"),
        (_naive_elbo, "numerically unstable"),
        (lambda x, lg, mu, lv: np.mean(_log_lik(x, lg) - _kl(mu, lv)), "returned one number"),
    ]),
}


def test_stable_elbo_passes_where_the_naive_one_fails(capsys):
    """The same ELBO written stably in another way (log-sigmoid via logaddexp) passes."""
    def other(x, lg, mu, lv):
        log_p, log_1mp = -np.logaddexp(0, -lg), -np.logaddexp(0, lg)
        return np.sum((x * log_p + (1 - x) * log_1mp).reshape(len(x), -1), axis=1) - _kl(mu, lv)

    assert l12.check_elbo(other).passed
    assert not l12.check_elbo(_naive_elbo).passed
