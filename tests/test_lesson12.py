"""Lesson 12 (variational autoencoders): the WRONG table of faults each checker must name (run by
tests/test_checker_contract.py, which also passes the references), and a stable ELBO written another
way passes where the naive one fails."""

from __future__ import annotations

import numpy as np
import tensorflow as tf

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


def _step(scale=lambda lv: tf.exp(0.5 * lv), kl_factor=-0.5, pixels="sum", sample_on_tape=True):
    """A VAE step written with a choice of the standard deviation, the KL's factor, the pixel reduction,
    and whether the sample z is made on the tape."""
    def step(self, x, eps):
        with tf.GradientTape() as tape:
            mu, log_var, _ = self.encoder(x, training=True)
            z = mu + scale(log_var) * eps
            z = z if sample_on_tape else tf.stop_gradient(z)
            bce = tf.nn.sigmoid_cross_entropy_with_logits(labels=x, logits=self.decoder_logits(z, training=True))
            per_pixel = tf.reshape(bce, (tf.shape(x)[0], -1))
            rec = tf.reduce_mean(tf.reduce_sum(per_pixel, 1) if pixels == "sum" else tf.reduce_mean(per_pixel, 1))
            kl = tf.reduce_mean(kl_factor * tf.reduce_sum(1 + log_var - mu**2 - tf.exp(log_var), axis=1))
            loss = rec + kl
        grads = tape.gradient(loss, self.trainable_weights)
        self.optimizer.apply_gradients(zip(grads, self.trainable_weights))
        return {"loss": loss, "reconstruction": rec, "kl": kl}
    return step


WRONG = {
    "elbo_step": (l12.check_elbo_step, [
        (_step(scale=tf.exp), "scaled eps by the variance"),
        (_step(kl_factor=0.5), "subtracted the KL"),
        (_step(kl_factor=-1.0), "the KL lacks its factor 1/2"),
        (_step(pixels="mean"), "averaged the reconstruction over the pixels"),
        (_step(sample_on_tape=False), "the sample z is not on the tape"),
        (_step(kl_factor=0.0), "forgot the KL term"),
    ]),
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
