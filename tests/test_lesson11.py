"""Lesson 11 (GANs): the WRONG table of faults each checker must name (run by
tests/test_checker_contract.py, which also passes the references and keeps the contract)."""

from __future__ import annotations

import numpy as np
import tensorflow as tf

from course_utils import gan
from course_utils.exercises import lesson11 as l11


def _sp(x):
    return np.logaddexp(0.0, x)


def _slerp_weights(z0, z1, steps, trig):
    """``trig((1 - t) omega) z0 + trig(t omega) z1``, without the division by sin(omega)."""
    t = np.linspace(0, 1, steps)[:, None]
    omega = np.arccos(z0 @ z1 / (np.linalg.norm(z0) * np.linalg.norm(z1)))
    return trig((1 - t) * omega) * z0 + trig(t * omega) * z1


def _d_step(loss, weights_of=lambda m: m.discriminator.trainable_weights, optimizer=lambda m: m.d_optimizer):
    """A discriminator step written with ``loss(real_logits, fake_logits)``, variables and optimizer chosen."""
    def step(self, real, z):
        with tf.GradientTape() as tape:
            real_logits = self.discriminator(real, training=True)
            fake_logits = self.discriminator(self.generator(z, training=True), training=True)
            value = loss(real_logits, fake_logits)
        weights = weights_of(self)
        optimizer(self).apply_gradients(zip(tape.gradient(value, weights), weights))
        return value, real_logits, fake_logits
    return step


def _g_step(loss, weights_of=lambda m: m.generator.trainable_weights, optimizer=lambda m: m.g_optimizer,
            detach=False):
    """A generator step written with ``loss(fake_logits)``, variables and optimizer chosen."""
    def step(self, z):
        with tf.GradientTape() as tape:
            fake = self.generator(z, training=True)
            fake = tf.stop_gradient(fake) if detach else fake
            value = loss(self.discriminator(fake, training=True))
        weights = weights_of(self)
        grads = [tf.zeros_like(w) if g is None else g for g, w in zip(tape.gradient(value, weights), weights)]
        optimizer(self).apply_gradients(zip(grads, weights))
        return value
    return step


def _bce(labels_real, labels_fake):
    """D's loss as Keras' binary cross-entropy with these labels, one concatenated batch."""
    bce = tf.keras.losses.BinaryCrossentropy(from_logits=True)
    return lambda r, f: bce(tf.concat([tf.fill(tf.shape(r), labels_real), tf.fill(tf.shape(f), labels_fake)], 0),
                            tf.concat([r, f], 0))


def _all_weights(m):
    return m.generator.trainable_weights + m.discriminator.trainable_weights


WRONG = {
    "discriminator_step": (l11.check_discriminator_step, [
        (_d_step(lambda r, f: gan.discriminator_loss(f, r)), "labels swapped"),
        (_d_step(gan.discriminator_loss, weights_of=_all_weights), "changed the generator's weights"),
        (_d_step(_bce(1.0, 0.0)), "averaged real and fake over one concatenated batch"),
        (_d_step(gan.discriminator_loss, optimizer=lambda m: m.g_optimizer), "used the generator's optimizer"),
        (_d_step(lambda r, f: -gan.discriminator_loss(r, f)), "wrong sign"),
        (_d_step(gan.discriminator_loss, weights_of=lambda m: m.generator.trainable_weights),
         "applied D's gradients to the generator's weights"),
    ]),
    "generator_step": (l11.check_generator_step, [
        (_g_step(lambda f: -tf.reduce_mean(tf.nn.softplus(f))), "the saturating minimax loss"),
        (_g_step(lambda f: tf.reduce_mean(tf.nn.softplus(f))), "teaches G to be caught"),
        (_g_step(gan.nonsaturating_generator_loss, weights_of=_all_weights), "changed the discriminator's weights"),
        (_g_step(gan.nonsaturating_generator_loss, detach=True), "weights did not move"),
        (_g_step(gan.nonsaturating_generator_loss, optimizer=lambda m: m.d_optimizer),
         "used the discriminator's optimizer"),
        (_g_step(gan.nonsaturating_generator_loss, weights_of=lambda m: m.discriminator.trainable_weights),
         "updated D instead of G"),
    ]),
    "discriminator_loss": (l11.check_discriminator_loss, [
        (lambda r, f: -(np.mean(_sp(-r)) + np.mean(_sp(f))), "wrong sign"),
        (lambda r, f: np.mean(_sp(r)) + np.mean(_sp(-f)), "labels swapped"),
        (lambda r, f: _sp(-r).sum() + _sp(f).sum(), "summed over the batch"),
        (lambda r, f: np.mean(_sp(-r)), "only the real term"),
        (lambda r, f: np.mean(np.log(1 + np.exp(-r))) + np.mean(np.log(1 + np.exp(f))), "numerically unstable"),
        (lambda r, f: np.mean(np.concatenate([_sp(-r), _sp(f)])), "averaged real and fake together"),
        (lambda r, f: np.array([1.0, 2.0]), "return one number"),
    ]),
    "nonsaturating_generator_loss": (l11.check_nonsaturating_generator_loss, [
        (lambda f: -np.mean(_sp(f)), "that is the minimax loss"),
        (lambda f: np.mean(_sp(f)), "the generator wants D(G(z)) near 1"),
        (lambda f: -np.mean(_sp(-f)), "wrong sign"),
        (lambda f: _sp(-f).sum(), "summed over the batch"),
        (lambda f: np.mean(-np.log(1 / (1 + np.exp(-f)))), "numerically unstable"),
    ]),
    "slerp": (l11.check_slerp, [
        (lambda a, b, n: gan.interpolate_latents(a, b, n, "linear"), "straight line"),
        (lambda a, b, n: gan.slerp(b, a, n), "runs from z1 to z0"),
        (lambda a, b, n: _slerp_weights(a, b, n, np.sin), "forgot to divide by sin(omega)"),
        (lambda a, b, n: _slerp_weights(a, b, n, np.cos), "used cosines"),
        (lambda a, b, n: gan.slerp(a, b, n)[1:], "wrong shape"),
    ]),
}
