"""Autoencoders and variational autoencoders (VAE) for 28x28 grey images, lesson 12.

Kingma & Welling (2014), "Auto-encoding variational Bayes", and Rezende, Mohamed & Wierstra
(2014), "Stochastic backpropagation and approximate inference in deep generative models". The
encoder gives the parameters of a diagonal Gaussian ``q(z | x) = N(mu, diag(exp(log_var)))``, the
decoder the logits of independent Bernoulli pixels ``p(x | z)``, the prior is ``p(z) = N(0, I)``.
Training maximises the evidence lower bound (ELBO) of each image,

    ELBO(x) = E_q[log p(x | z)] - KL(q(z | x) || p(z)) <= log p(x),

with one sample ``z = mu + sigma * eps``, ``eps ~ N(0, I)`` (the reparameterisation trick), and the
KL term in closed form (Kingma & Welling's appendix B),

    KL = -1/2 sum_j (1 + log sigma_j^2 - mu_j^2 - sigma_j^2).

The reconstruction term is the Bernoulli log-likelihood of the pixels in [0, 1], i.e. minus the
binary cross-entropy summed over the 784 pixels; everything is in nats per image. Fashion-MNIST
pixels are grey levels, not binary, so this "likelihood" is the usual convention (as in the Keras
VAE example), not a normalised density of grey images (Loaiza-Ganem & Cunningham 2019).

Usage::

    from course_utils.vae import build_vae, latent_grid, mean_elbo
    vae = build_vae(latent_dim=2)
    vae.fit(x_train, epochs=10, batch_size=128, verbose=0)
    print(mean_elbo(vae, x_test))        # {"elbo": ..., "reconstruction": ..., "kl": ...}
    mosaic, coords = latent_grid(vae.decoder, n=15)
"""

from __future__ import annotations

from pathlib import Path
from statistics import NormalDist
from typing import Any

import keras
import numpy as np
import tensorflow as tf

from course_utils.gan import interpolate_latents
from course_utils.inference import forward
from course_utils.manifest import read_json, verified_path

IMAGE_SHAPE = (28, 28, 1)
N_PIXELS = 784
HIDDEN = (256, 128)          # the dense layers of the encoder (the decoder mirrors them)
CONV_FILTERS = (16, 32)      # the convolutional VAE's channels (the decoder mirrors them)
ARCHITECTURES = ("dense", "conv")


# --- checks on inputs: one line, never a traceback wall -------------------------------------------

def unit_images(x: Any, name: str = "images") -> np.ndarray:
    """``x`` as float32 ``(N, 28, 28, 1)`` in [0, 1] (``(N, 28, 28)`` gets its channel axis), else one ValueError.

    Lessons 11-12: what the VAE and the lesson 05 CNN read. Usage: ``x = unit_images(preprocess(x_test))``.
    """
    x = np.asarray(x, dtype=np.float32)
    x = x[..., None] if x.ndim == 3 else x
    if x.ndim != 4 or x.shape[1:] != IMAGE_SHAPE or len(x) == 0:
        raise ValueError(f"{name} must have shape (N, 28, 28, 1) or (N, 28, 28) with at least 1 image, "
                         f"got {np.shape(x)}")
    if not np.all(np.isfinite(x)):
        raise ValueError(f"{name} contains NaN or infinite values")
    if float(x.min()) < 0 or float(x.max()) > 1:
        raise ValueError(f"{name} must be in [0, 1], got values in [{x.min():g}, {x.max():g}]; scale uint8 "
                         "images with course_utils.models.preprocess, tanh outputs with (x + 1) / 2")
    return x


def _gaussian(mu: Any, log_var: Any) -> tuple[np.ndarray, np.ndarray]:
    mu, log_var = np.asarray(mu, dtype=np.float64), np.asarray(log_var, dtype=np.float64)
    if mu.shape != log_var.shape or mu.ndim != 2 or not np.all(np.isfinite(mu + log_var)):
        raise ValueError(f"mu and log_var must be finite, of the same shape, and 2-D (images, latent dimensions), "
                         f"got shapes {mu.shape} and {log_var.shape}")
    return mu, log_var


def _positive_int(value: Any, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")
    return int(value)


# --- the maths, in NumPy (the references of lesson 12's exercises) -------------------------------

def reparameterize(mu: Any, log_var: Any, eps: Any) -> np.ndarray:
    """The reparameterisation trick: ``z = mu + exp(log_var / 2) * eps`` (lesson 12).

    ``eps`` holds standard normal draws of ``mu``'s shape; ``z`` is then a draw of
    ``N(mu, diag(exp(log_var)))`` that is a differentiable function of ``mu`` and ``log_var``.
    Usage: ``z = reparameterize(mu, log_var, rng.standard_normal(mu.shape))``.
    """
    mu, log_var = _gaussian(mu, log_var)
    eps = np.asarray(eps, dtype=np.float64)
    if eps.shape != mu.shape:
        raise ValueError(f"eps must have mu's shape {mu.shape}, got {eps.shape}")
    return mu + np.exp(0.5 * log_var) * eps


def gaussian_kl(mu: Any, log_var: Any) -> np.ndarray:
    """``KL(N(mu, diag(exp(log_var))) || N(0, I))`` per row, in nats, in closed form (lesson 12).

    ``-1/2 sum_j (1 + log_var_j - mu_j^2 - exp(log_var_j))``, Kingma & Welling (2014), appendix B.
    Usage: ``kl = gaussian_kl(mu, log_var)``  (shape ``(N,)``).
    """
    mu, log_var = _gaussian(mu, log_var)
    return -0.5 * np.sum(1.0 + log_var - mu**2 - np.exp(log_var), axis=1)


def monte_carlo_kl(mu: Any, log_var: Any, samples: int = 10_000, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """A Monte-Carlo estimate of the same KL per row and its standard error (lesson 12).

    Averages ``log q(z) - log p(z)`` over ``samples`` draws ``z ~ q`` (reparameterised); the
    estimate is unbiased and checks :func:`gaussian_kl`.
    Usage: ``estimate, se = monte_carlo_kl(mu, log_var, samples=10_000)``.
    """
    mu, log_var = _gaussian(mu, log_var)
    if _positive_int(samples, "samples") < 2:
        raise ValueError(f"samples must be at least 2 for a standard error, got {samples}")
    eps = np.random.default_rng(seed).standard_normal((samples, *mu.shape))
    z = mu + np.exp(0.5 * log_var) * eps
    # log q(z) - log p(z); the log(2 pi) terms cancel
    log_ratio = 0.5 * np.sum(z**2 - log_var - eps**2, axis=2)          # (samples, N)
    return log_ratio.mean(axis=0), log_ratio.std(axis=0, ddof=1) / np.sqrt(samples)


def bernoulli_log_likelihood(x: Any, logits: Any) -> np.ndarray:
    """``log p(x | z)`` per image for independent Bernoulli pixels with these logits (lesson 12).

    ``sum_pixels x * l - softplus(l)``, i.e. minus the binary cross-entropy summed over the pixels,
    computed stably from the logits (no ``log(0)`` for saturated pixels). ``x`` in [0, 1].
    Usage: ``log_lik = bernoulli_log_likelihood(x, decoder_logits)``  (shape ``(N,)``).
    """
    x, logits = np.asarray(x, dtype=np.float64), np.asarray(logits, dtype=np.float64)
    if x.shape != logits.shape:
        raise ValueError(f"x and logits must have the same shape, got {x.shape} and {logits.shape}")
    if x.ndim < 2:
        raise ValueError(f"x must hold a batch of images (N, ...), got shape {x.shape}")
    softplus = np.maximum(logits, 0) + np.log1p(np.exp(-np.abs(logits)))
    return np.sum((x * logits - softplus).reshape(len(x), -1), axis=1)


def elbo(x: Any, logits: Any, mu: Any, log_var: Any) -> np.ndarray:
    """The ELBO of each image, in nats: Bernoulli log-likelihood minus the closed-form KL (lesson 12).

    ``logits`` are the decoder's outputs for one reparameterised sample of ``q(z | x)``.
    Usage: ``elbo(x, logits, mu, log_var).mean()``  (the batch's ELBO per image).
    """
    return bernoulli_log_likelihood(x, logits) - gaussian_kl(mu, log_var)


# --- models -----------------------------------------------------------------------------------

class Sampling(keras.layers.Layer):
    """The reparameterisation as a layer: ``[mu, log_var] -> mu + exp(log_var / 2) * eps``, lesson 12.

    ``eps ~ N(0, I)`` is drawn afresh at each call from the layer's own seed generator.
    Usage: ``z = Sampling(seed=0)([z_mean, z_log_var])``.
    """

    def __init__(self, seed: int | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)

    def call(self, inputs):
        z_mean, z_log_var = inputs
        eps = keras.random.normal(keras.ops.shape(z_mean), seed=self.seed_generator)
        return z_mean + keras.ops.exp(0.5 * z_log_var) * eps

    def get_config(self) -> dict[str, Any]:
        return super().get_config() | {"seed": self.seed}


def _dense_stack(x, widths, prefix: str):
    for i, width in enumerate(widths):
        x = keras.layers.Dense(width, activation="relu", name=f"{prefix}_dense{i + 1}")(x)
    return x


def _encoder_heads(inputs, h, latent_dim: int, seed: int | None):
    z_mean = keras.layers.Dense(latent_dim, name="z_mean")(h)
    z_log_var = keras.layers.Dense(latent_dim, name="z_log_var")(h)
    z = Sampling(seed=seed, name="z")([z_mean, z_log_var])
    return keras.Model(inputs, [z_mean, z_log_var, z], name="encoder")


def _pixels(inputs, logits):
    return keras.Model(inputs, keras.layers.Activation("sigmoid", name="pixels")(logits), name="decoder")


def build_encoder(latent_dim: int = 2, hidden: tuple[int, ...] = HIDDEN, seed: int | None = None):
    """The VAE encoder: image -> ``[z_mean, z_log_var, z]`` (dense ReLU layers, lesson 12).

    ``z`` is one reparameterised draw (:class:`Sampling`). Usage: ``encoder = build_encoder(2)``.
    """
    latent_dim = _positive_int(latent_dim, "latent_dim")
    inputs = keras.Input(IMAGE_SHAPE, name="image")
    return _encoder_heads(inputs, _dense_stack(keras.layers.Flatten(name="flatten")(inputs), hidden, "encoder"),
                          latent_dim, seed)


def build_decoder(latent_dim: int = 2, hidden: tuple[int, ...] = HIDDEN):
    """The decoder: ``z`` -> pixel probabilities ``(28, 28, 1)``; its layer ``"logits"`` precedes the sigmoid.

    Mirrors the encoder (lesson 12). Usage: ``decoder = build_decoder(2)``; ``decoder(z)``.
    """
    latent_dim = _positive_int(latent_dim, "latent_dim")
    inputs = keras.Input((latent_dim,), name="z")
    h = _dense_stack(inputs, tuple(reversed(hidden)), "decoder")
    return _pixels(inputs, keras.layers.Reshape(IMAGE_SHAPE, name="logits")(
        keras.layers.Dense(N_PIXELS, name="pixel_logits")(h)))


def build_conv_encoder(latent_dim: int = 16, filters: tuple[int, ...] = CONV_FILTERS, seed: int | None = None):
    """A convolutional encoder (lesson 12): 3x3 stride-2 ReLU convolutions (28 -> 14 -> 7), then the heads.

    As in keras-io's ``vae.py`` and the TensorFlow CVAE tutorial, smaller: ``filters`` channels.
    Usage: ``encoder = build_conv_encoder(16)``.
    """
    latent_dim = _positive_int(latent_dim, "latent_dim")
    inputs = h = keras.Input(IMAGE_SHAPE, name="image")
    for i, width in enumerate(filters):
        h = keras.layers.Conv2D(width, 3, strides=2, padding="same", activation="relu", name=f"encoder_conv{i + 1}")(h)
    return _encoder_heads(inputs, keras.layers.Flatten(name="flatten")(h), latent_dim, seed)


def build_conv_decoder(latent_dim: int = 16, filters: tuple[int, ...] = CONV_FILTERS):
    """The mirror of :func:`build_conv_encoder`: Dense to 7x7, stride-2 transposed convolutions to 28x28 logits.

    Usage: ``decoder = build_conv_decoder(16)``; ``decoder(z)`` gives pixel probabilities.
    """
    latent_dim = _positive_int(latent_dim, "latent_dim")
    if len(filters) != 2:
        raise ValueError(f"filters must hold 2 widths (28 -> 14 -> 7), got {filters!r}")
    inputs = keras.Input((latent_dim,), name="z")
    h = keras.layers.Dense(7 * 7 * filters[1], activation="relu", name="decoder_dense")(inputs)
    h = keras.layers.Reshape((7, 7, filters[1]), name="reshape")(h)
    h = keras.layers.Conv2DTranspose(filters[0], 3, strides=2, padding="same", activation="relu",
                                     name="decoder_up1")(h)
    return _pixels(inputs, keras.layers.Conv2DTranspose(1, 3, strides=2, padding="same", name="logits")(h))


def build_autoencoder(latent_dim: int = 2, hidden: tuple[int, ...] = HIDDEN):
    """A plain (deterministic) autoencoder with the VAE's layers: ``(autoencoder, encoder, decoder)``.

    The encoder maps an image to one code ``z`` (no distribution); train the autoencoder with
    ``loss="binary_crossentropy"`` (the mean over pixels: times 784 for nats per image). Lesson 12.
    Usage: ``ae, enc, dec = build_autoencoder(2)``; ``ae.compile("adam", "binary_crossentropy")``.
    """
    latent_dim = _positive_int(latent_dim, "latent_dim")
    inputs = keras.Input(IMAGE_SHAPE, name="image")
    h = _dense_stack(keras.layers.Flatten(name="flatten")(inputs), hidden, "encoder")
    encoder = keras.Model(inputs, keras.layers.Dense(latent_dim, name="z")(h), name="ae_encoder")
    decoder = build_decoder(latent_dim, hidden)
    autoencoder = keras.Model(inputs, decoder(encoder(inputs)), name="autoencoder")
    return autoencoder, encoder, decoder


def _kl_ops(z_mean, z_log_var):
    """Closed-form KL per image, in Keras ops (for the training graph)."""
    return -0.5 * keras.ops.sum(1.0 + z_log_var - keras.ops.square(z_mean) - keras.ops.exp(z_log_var), axis=1)


def _log_likelihood_ops(x, logits):
    """Bernoulli log-likelihood per image from logits, in Keras ops (stable)."""
    softplus = keras.ops.relu(logits) + keras.ops.log1p(keras.ops.exp(-keras.ops.abs(logits)))
    return keras.ops.sum(keras.ops.reshape(x * logits - softplus, (keras.ops.shape(x)[0], -1)), axis=1)


class VAE(keras.Model):
    """A variational autoencoder whose ``train_step`` maximises the ELBO (lesson 12).

    The loss is the negative ELBO per image, ``reconstruction + beta * kl`` in nats: the binary
    cross-entropy summed over the pixels (one reparameterised sample) plus the closed-form KL.
    ``fit`` and ``evaluate`` take images only (no labels) and log ``loss``, ``reconstruction``
    and ``kl``. Calling the model reconstructs from the posterior mean (``decoder(z_mean)``).
    Usage: ``vae = VAE(build_encoder(2), build_decoder(2))``; ``vae.compile(keras.optimizers.Adam(1e-3))``.
    """

    def __init__(self, encoder, decoder, beta: float = 1.0, seed: int | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if not np.isfinite(beta) or beta < 0:
            raise ValueError(f"beta must be a finite number >= 0, got {beta}")
        self.encoder, self.decoder, self.beta = encoder, decoder, float(beta)
        self.latent_dim = int(encoder.outputs[0].shape[-1])
        self.seed_generator = keras.random.SeedGenerator(seed)
        self.decoder_logits = keras.Model(decoder.inputs[0], decoder.get_layer("logits").output,
                                          name="decoder_logits")
        self.loss_tracker = keras.metrics.Mean(name="loss")
        self.reconstruction_tracker = keras.metrics.Mean(name="reconstruction")
        self.kl_tracker = keras.metrics.Mean(name="kl")

    @property
    def metrics(self):
        return [self.loss_tracker, self.reconstruction_tracker, self.kl_tracker]

    def call(self, x, training: bool = False):
        z_mean, _, _ = self.encoder(x, training=training)
        return self.decoder(z_mean, training=training)

    def losses_of(self, x, training: bool = False, eps=None) -> dict[str, Any]:
        """The batch's mean ``reconstruction``, ``kl`` and ``loss`` (negative ELBO), nats per image.

        ``z = mu + exp(log_var / 2) * eps``; ``eps`` is drawn by the encoder's :class:`Sampling`
        layer unless given. Usage: ``vae.losses_of(x)["loss"]``.
        """
        z_mean, z_log_var, z = self.encoder(x, training=training)
        if eps is not None:
            z = z_mean + keras.ops.exp(0.5 * z_log_var) * eps
        logits = self.decoder_logits(z, training=training)
        reconstruction = -keras.ops.mean(_log_likelihood_ops(x, logits))
        kl = keras.ops.mean(_kl_ops(z_mean, z_log_var))
        return {"loss": reconstruction + self.beta * kl, "reconstruction": reconstruction, "kl": kl}

    def elbo_step(self, x, eps) -> dict[str, Any]:
        """One optimizer step on the batch's negative ELBO, the noise ``eps`` given (lesson 12's exercise).

        Usage: ``vae.elbo_step(x, eps)`` with ``eps`` of shape ``(N, latent_dim)``; returns the loss terms.
        """
        with tf.GradientTape() as tape:
            values = self.losses_of(x, training=True, eps=eps)
        grads = tape.gradient(values["loss"], self.trainable_weights)
        self.optimizer.apply_gradients(zip(grads, self.trainable_weights))
        return values

    def _update(self, values: dict[str, Any]) -> dict[str, Any]:
        self.loss_tracker.update_state(values["loss"])
        self.reconstruction_tracker.update_state(values["reconstruction"])
        self.kl_tracker.update_state(values["kl"])
        return {m.name: m.result() for m in self.metrics}

    def train_step(self, data):
        x = data[0] if isinstance(data, tuple) else data
        eps = keras.random.normal((keras.ops.shape(x)[0], self.latent_dim), seed=self.seed_generator)
        return self._update(self.elbo_step(x, eps))

    def test_step(self, data):
        x = data[0] if isinstance(data, tuple) else data
        return self._update(self.losses_of(x, training=False))


def build_vae(latent_dim: int = 2, learning_rate: float = 1e-3, seed: int | None = None,
              hidden: tuple[int, ...] = HIDDEN, run_eagerly: bool = False, architecture: str = "dense",
              model_class: type[VAE] = VAE) -> VAE:
    """A compiled :class:`VAE` (Adam at ``learning_rate``), built so it can load weights (lesson 12).

    ``architecture``: "dense" (``hidden`` widths) or "conv" (:func:`build_conv_encoder`);
    ``model_class``: a subclass of :class:`VAE` (lesson 12's own ``elbo_step``).
    Usage: ``vae = build_vae(2)``; ``vae.fit(x_train, epochs=10, batch_size=128)``.
    """
    if architecture not in ARCHITECTURES:
        raise ValueError(f"architecture must be one of {ARCHITECTURES}, got {architecture!r}")
    parts = ((build_encoder(latent_dim, hidden, seed=seed), build_decoder(latent_dim, hidden)) if architecture == "dense"
             else (build_conv_encoder(latent_dim, seed=seed), build_conv_decoder(latent_dim)))
    vae = model_class(*parts, seed=seed, name=f"vae{latent_dim}" if architecture == "dense" else f"conv_vae{latent_dim}")
    vae.compile(optimizer=keras.optimizers.Adam(learning_rate), run_eagerly=run_eagerly)
    vae(np.zeros((1, *IMAGE_SHAPE), np.float32))     # creates the weights
    return vae


def _weights_model(vae: VAE):
    """The encoder and decoder in one functional model: its weight file has no optimizer state."""
    inputs = keras.Input(IMAGE_SHAPE, name="image")
    z_mean, z_log_var, _ = vae.encoder(inputs)           # the encoder and decoder nested as layers
    return keras.Model(inputs, [vae.decoder(z_mean), z_log_var], name=f"{vae.name}_weights")


def save_vae_weights(vae: VAE, path: str) -> None:
    """Save the encoder's and decoder's weights (not the optimizer's) to ``path`` (``.weights.h5``).

    Usage: ``save_vae_weights(vae, "vae_latent2.weights.h5")``.
    """
    _weights_model(vae).save_weights(str(path))


def load_vae_weights(vae: VAE, path: str) -> VAE:
    """Load weights written by :func:`save_vae_weights` into a VAE of the same shape; returns it.

    Usage: ``vae = load_vae_weights(build_vae(2), path)``.
    """
    _weights_model(vae).load_weights(str(path))
    return vae


# --- using a trained VAE ------------------------------------------------------------------------

def encode(encoder, x: Any, batch_size: int = 1000) -> tuple[np.ndarray, np.ndarray]:
    """The posterior parameters ``(mu, log_var)`` of images in [0, 1], float64 ``(N, latent)`` each.

    Usage: ``mu, log_var = encode(vae.encoder, x_test)``.
    """
    x = unit_images(x, "x")
    z_mean, z_log_var, _ = forward(encoder, x, "outputs", compiled=False, batch_size=batch_size)
    return np.asarray(z_mean, np.float64), np.asarray(z_log_var, np.float64)


def _latent(decoder, z: Any) -> np.ndarray:
    z = np.asarray(z, dtype=np.float32)
    z, dim = (z[None] if z.ndim == 1 else z), int(decoder.inputs[0].shape[-1])
    if z.ndim != 2 or z.shape[1] != dim or not np.all(np.isfinite(z)):
        raise ValueError(f"z must have shape (N, {dim}) for this decoder, without NaN or infinite values, "
                         f"got shape {z.shape}")
    return z


def decode(decoder, z: Any, batch_size: int = 1000) -> np.ndarray:
    """Pixel probabilities (the Bernoulli means) decoded from latent points ``(N, latent)``: ``(N, 28, 28, 1)``.

    Usage: ``images = decode(vae.decoder, np.zeros((1, 2)))``.
    """
    z = _latent(decoder, z)
    return forward(decoder, z, "outputs", compiled=False, batch_size=batch_size)


def sample_prior(decoder, n: int, seed: int = 0) -> np.ndarray:
    """``n`` images generated from the prior: ``z ~ N(0, I)``, decoded to pixel probabilities.

    The images are the Bernoulli means (grey levels), as usual when showing VAE samples.
    Usage: ``samples = sample_prior(vae.decoder, 10_000)``.
    """
    n = _positive_int(n, "n")
    dim = int(decoder.inputs[0].shape[-1])
    return decode(decoder, np.random.default_rng(seed).standard_normal((n, dim)))


def mean_elbo(vae: VAE, x: Any, samples: int = 1, seed: int = 0, batch_size: int = 1000) -> dict[str, float]:
    """Mean ``elbo``, ``reconstruction`` (``-E_q log p(x|z)``) and ``kl`` of images ``x``, nats per image.

    ``elbo_std`` is the spread of the per-image ELBOs (for a standard error). Each image's
    expectation is estimated with ``samples`` reparameterised draws (seeded, so the
    number repeats); the KL is exact. Usage: ``mean_elbo(vae, preprocess(x_test))["elbo"]``.
    """
    x = unit_images(x, "x")
    samples = _positive_int(samples, "samples")
    mu, log_var = encode(vae.encoder, x, batch_size)
    rng = np.random.default_rng(seed)
    log_lik = np.zeros(len(x))
    for _ in range(samples):
        z = reparameterize(mu, log_var, rng.standard_normal(mu.shape))
        logits = forward(vae.decoder_logits, z, "outputs", compiled=False, batch_size=batch_size)
        log_lik += bernoulli_log_likelihood(x, logits) / samples
    kl = gaussian_kl(mu, log_var)
    per_image = log_lik - kl
    return {"elbo": float(np.mean(per_image)), "reconstruction": float(-np.mean(log_lik)),
            "kl": float(np.mean(kl)), "elbo_std": float(np.std(per_image, ddof=1)) if len(x) > 1 else 0.0}


def latent_grid(decoder, n: int = 15, low: float = 0.05, high: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """Decode an ``n x n`` grid of Gaussian quantiles of a 2-D latent plane into one mosaic.

    The quantiles are ``n`` equally spaced probabilities in [low, high] through the inverse normal
    CDF (Kingma & Welling 2014, Fig. 4), so the grid covers the prior evenly in probability.
    Returns ``(mosaic, coords)``: ``mosaic`` is ``(28 n, 28 n)`` with z1 growing to the right and
    z2 growing upwards; ``coords`` the ``n`` values of each axis. Lesson 12.
    Usage: ``mosaic, coords = latent_grid(vae.decoder, 15)``; ``plt.imshow(mosaic, cmap="gray")``.
    """
    if int(decoder.inputs[0].shape[-1]) != 2 or not 0 < low < high < 1:
        raise ValueError(f"latent_grid needs a 2-D latent space and 0 < low < high < 1, got a decoder taking "
                         f"{decoder.inputs[0].shape[-1]} and low={low}, high={high}")
    n = _positive_int(n, "n")
    coords = np.array([NormalDist().inv_cdf(p) for p in np.linspace(low, high, n)])
    z1, z2 = np.meshgrid(coords, coords[::-1])          # first row: the largest z2 (top of the plot)
    images = decode(decoder, np.stack([z1.ravel(), z2.ravel()], axis=1))[..., 0]
    mosaic = images.reshape(n, n, 28, 28).transpose(0, 2, 1, 3).reshape(28 * n, 28 * n)
    return mosaic, coords


def interpolate(decoder, z_start: Any, z_end: Any, steps: int = 8) -> np.ndarray:
    """Images decoded along the straight line from ``z_start`` to ``z_end`` (both ends included), lesson 12.

    The line is lesson 11's :func:`course_utils.gan.interpolate_latents`. Returns ``(steps, 28, 28, 1)``.
    Usage: ``frames = interpolate(vae.decoder, mu[0], mu[1], steps=8)``.
    """
    a, b = _latent(decoder, z_start), _latent(decoder, z_end)
    if _positive_int(steps, "steps") < 2 or len(a) != 1 or len(b) != 1:
        raise ValueError(f"need steps at least 2 (both ends) and one latent point at each end, got steps={steps} "
                         f"and {len(a)} and {len(b)} points")
    return decode(decoder, interpolate_latents(a[0], b[0], steps))


# Lesson 12's shipped VAEs: the dense encoder and decoder above, Bernoulli pixels, N(0, I) prior,
# made by tools/train_vae.py: a 2-D latent for the map, a larger one for the quality numbers.
VAE_LATENT_DIMS = (2, 16)
CONV_VAE_LATENT_DIMS = (16,)       # the convolutional VAE (CONV_FILTERS), compared with the dense 16-D one
VAE_RECIPE = {"epochs": 20, "batch_size": 128, "learning_rate": 1e-3, "hidden": (256, 128),
              "n_train": 55_000, "n_samples": 10_000, "elbo_samples": 10}


def vae_file(latent_dim: int, kind: str = "weights.h5", architecture: str = "dense") -> str:
    """The shipped file name of lesson 12's VAE with this latent size (``kind``: "weights.h5" or "history.json").

    Usage: ``manifest.entry(vae_file(16))["spread"]["test_elbo"]``; ``vae_file(16, architecture="conv")``.
    """
    dims = VAE_LATENT_DIMS if architecture == "dense" else CONV_VAE_LATENT_DIMS
    if architecture not in ARCHITECTURES or latent_dim not in dims:
        raise ValueError(f"shipped VAEs: dense with latent sizes {VAE_LATENT_DIMS}, conv with "
                         f"{CONV_VAE_LATENT_DIMS}; got {architecture!r} with {latent_dim!r}")
    return f"{'conv_' if architecture == 'conv' else ''}vae_latent{latent_dim}.{kind}"


def binarize(x: Any, seed: int = 0) -> np.ndarray:
    """Stochastic binarisation: each pixel is 1 with probability its grey level (fixed ``seed``), lesson 12.

    On binary images the Bernoulli decoder is a normalised distribution, so the ELBO bounds a
    log-probability. Usage: ``mean_elbo(vae, binarize(x_test))``.
    """
    x = unit_images(x, "x")
    return (np.random.default_rng(seed).uniform(size=x.shape) < x).astype(np.float32)


def fashion_vae(latent_dim: int = 2, weights: str | Path | None = "shipped", architecture: str = "dense") -> VAE:
    """Lesson 12's Fashion-MNIST VAE (the :class:`VAE` above, compiled), shipped weights SHA-256 checked.

    ``weights=None`` gives it untrained; a path loads other weights saved by :func:`save_vae_weights`;
    ``architecture="conv"`` gives the convolutional one (latent 16).
    Usage: ``vae = fashion_vae(2)``; ``vae.decoder(z)``; ``vae.encoder(x)`` gives ``[mu, log_var, z]``.
    """
    name = vae_file(latent_dim, architecture=architecture)
    vae = build_vae(latent_dim, VAE_RECIPE["learning_rate"], hidden=tuple(VAE_RECIPE["hidden"]),
                    architecture=architecture)
    if weights == "shipped":
        load_vae_weights(vae, verified_path(name))
    elif weights is not None:
        load_vae_weights(vae, weights)
    return vae


def fashion_vae_history(latent_dim: int = 2, architecture: str = "dense") -> dict:
    """The shipped VAE's training record (verified by SHA-256), written by ``tools/train_vae.py``.

    Keys: ``history`` (per epoch ``loss``, ``reconstruction``, ``kl`` and their ``val_`` twins),
    ``seed``, ``recipe``, ``test`` and ``seeds`` (every seed's test numbers).
    Usage: ``plt.plot(fashion_vae_history(2)["history"]["val_loss"])``.
    """
    return read_json(vae_file(latent_dim, "history.json", architecture))
