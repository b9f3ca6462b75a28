"""Generative adversarial networks: the DCGAN builders, the GAN losses, a ``train_step`` model, lesson 11.

Goodfellow et al. (2014), "Generative adversarial nets", set a discriminator ``D`` against a
generator ``G``. With logits ``l`` (``D = sigmoid(l)``) the losses here are written stably with
``softplus(l) = log(1 + e^l)``, since ``-log sigmoid(l) = softplus(-l)`` and
``-log(1 - sigmoid(l)) = softplus(l)``:

- :func:`discriminator_loss`: ``-E[log D(x)] - E[log(1 - D(G(z)))]`` (the negative
  log-likelihood of the correct source; D maximises that likelihood);
- :func:`nonsaturating_generator_loss`: ``-E[log D(G(z))]``, the heuristic of Goodfellow et al.
  used in practice: same fixed point as the minimax loss ``E[log(1 - D(G(z)))]`` (which lesson 11
  plots in NumPy), but strong gradients early, when D rejects the samples.

The networks follow Radford et al. (2016), "Unsupervised representation learning with deep
convolutional generative adversarial networks" (DCGAN): strided (transposed) convolutions
instead of pooling, batch norm in both networks (not on G's output nor D's input), ReLU in G
with tanh at its output, LeakyReLU (slope 0.2) in D, Adam with learning rate 2e-4 and
beta1 = 0.5. The TensorFlow DCGAN tutorial's networks, the baseline of lesson 11's comparison,
live in ``tools/compare_dcgan.py``.

:class:`GAN` is a ``keras.Model`` whose ``train_step`` makes one discriminator step and one
generator step per batch, as in F. Chollet's Keras example "DCGAN to generate face images"
(``dcgan_overriding_train_step.py``); images are in [-1, 1] (tanh).

Usage::

    from course_utils.gan import make_gan, to_tanh_range
    gan = make_gan(seed=0)
    gan.fit(to_tanh_range(x_train), batch_size=128, epochs=5, verbose=2)
    samples = gan.generator(z)            # (N, 28, 28, 1) in [-1, 1]
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import keras
import matplotlib.pyplot as plt
import numpy as np
import tensorflow as tf
from keras import layers, ops

from course_utils.inference import forward
from course_utils.manifest import load_weights, read_json

LATENT_DIM = 100
IMAGE_SHAPE = (28, 28, 1)

# Radford et al.'s guidelines, sized for a CPU (tools/train_dcgan.py ships it).
DCGAN_RECIPE: dict[str, Any] = {"latent_dim": LATENT_DIM, "g_base": 64, "d_base": 32, "kernel": 4,
                                "batch_size": 128, "learning_rate": 2e-4, "beta_1": 0.5,
                                "generator_loss": "non_saturating", "epochs": 6}


def _positive_int(value: Any, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or int(value) < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")
    return int(value)


def build_generator(latent_dim: int = LATENT_DIM, base: int = 64, kernel: int = 4,
                    name: str = "dcgan_generator") -> keras.Model:
    """DCGAN generator for 28x28x1 (lesson 11): z -> Dense 7x7x``base`` -> ConvT ``base/2`` -> ConvT 1.

    Dense and the first transposed convolution are followed by batch norm and ReLU; the last
    transposed convolution (stride 2) outputs tanh values in [-1, 1]. No bias before a batch norm.
    Usage: ``g = build_generator(); g(np.zeros((2, 100))).shape  # (2, 28, 28, 1)``.
    """
    latent_dim, base, kernel = (_positive_int(v, n) for v, n in ((latent_dim, "latent_dim"), (base, "base"),
                                                                   (kernel, "kernel")))
    z = keras.Input((latent_dim,), name="z")
    x = layers.Dense(7 * 7 * base, use_bias=False, name="project")(z)
    x = layers.BatchNormalization(name="project_bn")(x)
    x = layers.ReLU(name="project_relu")(x)
    x = layers.Reshape((7, 7, base), name="reshape")(x)
    x = layers.Conv2DTranspose(max(1, base // 2), kernel, strides=2, padding="same", use_bias=False,
                               name="up1")(x)                                     # 14x14
    x = layers.BatchNormalization(name="up1_bn")(x)
    x = layers.ReLU(name="up1_relu")(x)
    x = layers.Conv2DTranspose(1, kernel, strides=2, padding="same", activation="tanh", name="image")(x)   # 28x28
    return keras.Model(z, x, name=name)


def build_discriminator(base: int = 32, kernel: int = 4, name: str = "dcgan_discriminator") -> keras.Model:
    """DCGAN discriminator for 28x28x1 (lesson 11): Conv ``base`` s2 -> Conv ``2 base`` s2 + BN -> logit.

    LeakyReLU (slope 0.2) after each convolution, no batch norm on the first layer (Radford et
    al.), one output logit (``D(x) = sigmoid(logit)``), no sigmoid inside: the losses take logits.
    Usage: ``d = build_discriminator(); d(np.zeros((2, 28, 28, 1))).shape  # (2, 1)``.
    """
    base, kernel = _positive_int(base, "base"), _positive_int(kernel, "kernel")
    x_in = keras.Input(IMAGE_SHAPE, name="image")
    x = layers.Conv2D(base, kernel, strides=2, padding="same", name="down1")(x_in)            # 14x14
    x = layers.LeakyReLU(0.2, name="down1_lrelu")(x)
    x = layers.Conv2D(2 * base, kernel, strides=2, padding="same", use_bias=False, name="down2")(x)   # 7x7
    x = layers.BatchNormalization(name="down2_bn")(x)
    x = layers.LeakyReLU(0.2, name="down2_lrelu")(x)
    x = layers.Flatten(name="flatten")(x)
    logit = layers.Dense(1, name="logit")(x)
    return keras.Model(x_in, logit, name=name)


def _logits(logits: Any, name: str) -> Any:
    """NumPy logits as a float32 tensor, refused in one line if empty or not finite; tensors as they are."""
    if not isinstance(logits, (np.ndarray, list, tuple, float, int)):
        return logits
    arr = np.asarray(logits, dtype=np.float32)
    if arr.size == 0 or not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must be a non-empty array of finite logits, got shape {arr.shape}")
    return ops.convert_to_tensor(arr)


def discriminator_loss(real_logits: Any, fake_logits: Any) -> Any:
    """D's loss (lesson 11): ``-mean log D(x) - mean log(1 - D(G(z)))`` from logits, stably.

    ``= mean softplus(-real_logits) + mean softplus(fake_logits)``: the binary cross-entropy with
    label 1 for real and 0 for fake images. Minimising it maximises the log-likelihood of the
    correct source. Accepts NumPy arrays or tensors; returns a scalar tensor.
    Usage: ``float(discriminator_loss(d(x), d(g(z))))``; ``2 log 2 = 1.386`` when all logits are 0.
    """
    real, fake = _logits(real_logits, "real_logits"), _logits(fake_logits, "fake_logits")
    return ops.mean(ops.softplus(-real)) + ops.mean(ops.softplus(fake))


def nonsaturating_generator_loss(fake_logits: Any) -> Any:
    """The non-saturating generator loss (Goodfellow et al. 2014, lesson 11): ``-mean log D(G(z))``.

    ``= mean softplus(-logits)``; its gradient per logit is ``-(1 - D(G(z)))``, near -1 exactly
    when the minimax loss ``log(1 - D(G(z)))`` saturates (gradient ``-D(G(z))``, near 0).
    Usage: ``nonsaturating_generator_loss(d(g(z)))``.
    """
    return ops.mean(ops.softplus(-_logits(fake_logits, "fake_logits")))


def to_tanh_range(images: np.ndarray) -> np.ndarray:
    """uint8 images ``(N, 28, 28)`` (0-255) to float32 ``(N, 28, 28, 1)`` in [-1, 1], the GAN's range.

    Usage: ``x = to_tanh_range(x_train)`` (lesson 11).
    """
    x = np.asarray(images)
    x = x[..., None] if x.ndim == 3 else x
    if x.ndim != 4 or x.shape[1:] != IMAGE_SHAPE or x.dtype != np.uint8:
        raise ValueError(f"images must be uint8 (N, 28, 28) or (N, 28, 28, 1) (the raw Fashion-MNIST arrays), "
                         f"got {x.dtype} {np.shape(images)}")
    return x.astype(np.float32) / 127.5 - 1.0


def to_unit_range(images: Any) -> np.ndarray:
    """Generator outputs in [-1, 1] to [0, 1] (float32), the input of the lesson 05 CNN and of plots.

    Usage: ``cnn_features(to_unit_range(samples), cnn)`` (lesson 11).
    """
    x = np.asarray(images, dtype=np.float32)
    if x.size and not (np.all(np.isfinite(x)) and x.min() >= -1.0001 and x.max() <= 1.0001):
        raise ValueError(f"images must be finite and in [-1, 1] (a tanh output), got values in "
                         f"[{np.nanmin(x):g}, {np.nanmax(x):g}]")
    return np.clip((x + 1.0) / 2.0, 0.0, 1.0)


def latent_vectors(n: int, latent_dim: int = LATENT_DIM, seed: int = 0) -> np.ndarray:
    """``n`` standard normal latent vectors (float32), reproducible from ``seed``.

    Usage: ``z = latent_vectors(16, seed=0)`` (lesson 11's fixed sample grid).
    """
    n, latent_dim = _positive_int(n, "n"), _positive_int(latent_dim, "latent_dim")
    return np.random.default_rng(seed).standard_normal((n, latent_dim)).astype(np.float32)


def generate(generator: keras.Model, n: int, seed: int = 0, batch_size: int = 500) -> np.ndarray:
    """``n`` samples of ``generator`` (inference mode) as a float32 array in [-1, 1], lesson 11.

    Usage: ``samples = generate(g, 10_000)``; ``class_coverage(to_unit_range(samples), cnn)``.
    """
    z = latent_vectors(n, int(generator.input_shape[-1]), seed)
    return forward(generator, z, "outputs", batch_size=batch_size)


def interpolate_latents(z0: Any, z1: Any, steps: int, method: str = "linear") -> np.ndarray:
    """``steps`` latent vectors from ``z0`` to ``z1`` inclusive, lesson 11, shape ``(steps, d)``.

    ``"linear"``: ``(1 - t) z0 + t z1``. ``"slerp"``: along the great circle, as White (2016),
    "Sampling generative networks", advises for Gaussian latents (a straight line passes close to
    the origin, where the norm of a 100-d Gaussian vector almost never is). ``t`` runs over
    ``linspace(0, 1, steps)``. Usage: ``g(interpolate_latents(z[0], z[1], 8))``.
    """
    a, b = np.asarray(z0, dtype=np.float64), np.asarray(z1, dtype=np.float64)
    if a.ndim != 1 or a.shape != b.shape:
        raise ValueError(f"z0 and z1 must be 1-D vectors of the same length, got shapes {a.shape} and {b.shape}")
    if method not in ("linear", "slerp"):
        raise ValueError(f"method must be 'linear' or 'slerp', got {method!r}")
    steps = _positive_int(steps, "steps")
    t = np.linspace(0.0, 1.0, steps)[:, None] if steps > 1 else np.zeros((1, 1))
    na, nb = np.linalg.norm(a), np.linalg.norm(b)
    if method == "slerp" and (na == 0 or nb == 0):
        raise ValueError("slerp needs two non-zero vectors")
    omega = np.arccos(np.clip(a @ b / (na * nb), -1.0, 1.0)) if method == "slerp" else 0.0
    if np.sin(omega) < 1e-8:      # linear, or (anti)parallel vectors: the great circle is undefined
        return ((1 - t) * a + t * b).astype(np.float32)
    return ((np.sin((1 - t) * omega) * a + np.sin(t * omega) * b) / np.sin(omega)).astype(np.float32)


def slerp(z0: Any, z1: Any, steps: int) -> np.ndarray:
    """Spherical interpolation from ``z0`` to ``z1`` in ``steps`` points (lesson 11's exercise).

    ``sin((1 - t) omega) / sin(omega) z0 + sin(t omega) / sin(omega) z1`` with ``omega`` the
    angle between them: :func:`interpolate_latents` with ``method="slerp"``.
    Usage: ``z = slerp(z[0], z[1], 8)``.
    """
    return interpolate_latents(z0, z1, steps, method="slerp")


class GAN(keras.Model):
    """A generator and a discriminator trained together; ``train_step`` does one step of each (lesson 11).

    Per batch of real images ``x`` (in [-1, 1]): draw ``z``, update D on
    :func:`discriminator_loss` of ``D(x)`` and ``D(G(z))``; draw a fresh ``z``, update G on
    :func:`nonsaturating_generator_loss` of ``D(G(z))`` (D frozen). Metrics: ``d_loss``, ``g_loss``,
    ``d_real`` (mean ``D(x)``), ``d_fake`` (mean ``D(G(z))`` at the D step).
    Usage: ``gan = GAN(build_generator(), build_discriminator(), seed=0); gan.compile(); gan.fit(x)``.
    """

    def __init__(self, generator: keras.Model, discriminator: keras.Model, seed: int | None = None,
                 **kwargs: Any) -> None:
        super().__init__(**kwargs)
        out, inp = tuple(generator.output_shape[1:]), tuple(discriminator.input_shape[1:])
        if out != inp or tuple(discriminator.output_shape[1:]) != (1,):
            raise ValueError(f"the generator makes images of shape {out}; the discriminator must read them "
                             f"and output one logit each, but it reads {inp} and outputs {discriminator.output_shape}")
        self.generator, self.discriminator = generator, discriminator
        self.latent_dim = int(generator.input_shape[-1])
        self.seed_generator = keras.random.SeedGenerator(seed)
        self.trackers = {name: keras.metrics.Mean(name=name) for name in ("d_loss", "g_loss", "d_real", "d_fake")}

    def compile(self, d_optimizer: keras.optimizers.Optimizer | None = None,
                g_optimizer: keras.optimizers.Optimizer | None = None, **kwargs: Any) -> None:
        """Two optimizers (Radford et al.'s Adam 2e-4, beta1 0.5 for each when left out)."""
        super().compile(**kwargs)
        self.d_optimizer = d_optimizer or keras.optimizers.Adam(2e-4, beta_1=0.5)
        self.g_optimizer = g_optimizer or keras.optimizers.Adam(2e-4, beta_1=0.5)

    @property
    def metrics(self) -> list[keras.metrics.Metric]:
        return list(self.trackers.values())

    def call(self, z: Any, training: bool = False) -> Any:
        return self.generator(z, training=training)

    def discriminator_step(self, real: Any, z: Any) -> tuple[Any, Any, Any]:
        """One update of D on ``real`` images and ``G(z)``; returns (loss, real logits, fake logits)."""
        with tf.GradientTape() as tape:
            fake = self.generator(z, training=True)
            real_logits = self.discriminator(real, training=True)
            fake_logits = self.discriminator(fake, training=True)
            loss = discriminator_loss(real_logits, fake_logits)
        grads = tape.gradient(loss, self.discriminator.trainable_weights)
        self.d_optimizer.apply_gradients(zip(grads, self.discriminator.trainable_weights))
        return loss, real_logits, fake_logits

    def generator_step(self, z: Any) -> Any:
        """One update of G on the loss of ``D(G(z))`` (D's weights untouched); returns the loss."""
        with tf.GradientTape() as tape:
            loss = nonsaturating_generator_loss(self.discriminator(self.generator(z, training=True), training=True))
        grads = tape.gradient(loss, self.generator.trainable_weights)
        self.g_optimizer.apply_gradients(zip(grads, self.generator.trainable_weights))
        return loss

    def train_step(self, data: Any) -> dict[str, Any]:
        real = data[0] if isinstance(data, (tuple, list)) else data
        batch = ops.shape(real)[0]
        z = keras.random.normal((batch, self.latent_dim), seed=self.seed_generator)
        d_loss, real_logits, fake_logits = self.discriminator_step(real, z)
        z = keras.random.normal((batch, self.latent_dim), seed=self.seed_generator)
        g_loss = self.generator_step(z)
        values = {"d_loss": d_loss, "g_loss": g_loss, "d_real": ops.mean(ops.sigmoid(real_logits)),
                  "d_fake": ops.mean(ops.sigmoid(fake_logits))}
        for name, value in values.items():
            self.trackers[name].update_state(value)
        return {name: tracker.result() for name, tracker in self.trackers.items()}

    def fit(self, x: Any = None, *args: Any, **kwargs: Any) -> keras.callbacks.History:
        """Keras' ``fit`` on images in [-1, 1] of shape ``(N, 28, 28, 1)``; one-line error otherwise."""
        if isinstance(x, np.ndarray) and not (x.ndim == 4 and x.shape[1:] == IMAGE_SHAPE and len(x)
                                              and x.dtype.kind == "f" and -1.0001 <= x.min() <= x.max() <= 1.0001):
            raise ValueError(f"GAN training images must be floats (N, 28, 28, 1) in [-1, 1], got {x.dtype} "
                             f"{x.shape}; use to_tanh_range(x_train)")
        return super().fit(x, *args, **kwargs)


def make_gan(seed: int = 0, run_eagerly: bool = False, model_class: type[GAN] = GAN) -> GAN:
    """A compiled :class:`GAN` of ``DCGAN_RECIPE`` (lesson 11), its initial weights drawn from ``seed``.

    ``model_class``: a subclass of :class:`GAN` (lesson 11's, with the steps the student wrote).
    Usage: ``gan = make_gan(seed=0); gan.fit(x, batch_size=DCGAN_RECIPE["batch_size"])``.
    """
    recipe = DCGAN_RECIPE
    keras.utils.set_random_seed(seed)
    g = build_generator(recipe["latent_dim"], recipe["g_base"], recipe["kernel"])
    gan = model_class(g, build_discriminator(recipe["d_base"], recipe["kernel"]), seed=seed, name="gan_ours")
    gan.compile(keras.optimizers.Adam(recipe["learning_rate"], beta_1=recipe["beta_1"]),
                keras.optimizers.Adam(recipe["learning_rate"], beta_1=recipe["beta_1"]), run_eagerly=run_eagerly)
    return gan


class SampleGrid(keras.callbacks.Callback):
    """A Keras callback that draws ``generator(z)`` for a fixed ``z`` at the end of every ``every`` epochs.

    The images (in [-1, 1]) are kept in ``grids`` (one ``(n, 28, 28, 1)`` array per drawing,
    ``epochs`` says which epoch); :func:`plot_sample_grids` shows them. A fixed ``z`` makes the
    epochs comparable: the same latent points, a generator that changes. ``monitor(generator)``,
    if given, is called at the same epochs and its results kept in ``monitored`` (lesson 11
    follows the class coverage of the samples with it).
    Usage: ``cb = SampleGrid(latent_vectors(16)); gan.fit(x, callbacks=[cb])``.
    """

    def __init__(self, z: Any, every: int = 1, monitor: Any = None) -> None:
        super().__init__()
        self.z = np.asarray(z, dtype=np.float32)
        if self.z.ndim != 2 or len(self.z) == 0:
            raise ValueError(f"z must be a 2-D array (samples, latent_dim), got shape {self.z.shape}")
        self.every, self.monitor = _positive_int(every, "every"), monitor
        self.grids: list[np.ndarray] = []
        self.epochs: list[int] = []
        self.monitored: list[Any] = []

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        if (epoch + 1) % self.every:
            return
        generator = self.model.generator
        if int(generator.input_shape[-1]) != self.z.shape[1]:
            raise ValueError(f"z has {self.z.shape[1]} dimensions but the generator takes {generator.input_shape[-1]}")
        self.grids.append(np.asarray(generator(self.z, training=False)))
        self.epochs.append(epoch + 1)
        if self.monitor is not None:
            self.monitored.append(self.monitor(generator))


def plot_sample_grids(grids: list[np.ndarray], labels: list[str], columns: int = 8, title: str = "Fixed-z samples",
                      figsize: tuple[float, float] | None = None) -> plt.Figure:
    """One row of ``columns`` samples per grid (images in [-1, 1]), each row labelled; returns the figure.

    Usage: ``plot_sample_grids(cb.grids, [f"epoch {e}" for e in cb.epochs])`` (lesson 11).
    """
    if len(grids) == 0 or len(grids) != len(labels):
        raise ValueError(f"need as many labels as grids (at least one), got {len(grids)} grids, {len(labels)} labels")
    columns = min(_positive_int(columns, "columns"), min(len(g) for g in grids))
    fig, axes = plt.subplots(len(grids), columns, squeeze=False,
                             figsize=figsize or (1.1 * columns + 1.2, 1.1 * len(grids) + 0.5))
    for r, (grid, label) in enumerate(zip(grids, labels)):
        images = to_unit_range(grid)
        for c in range(columns):
            axes[r, c].imshow(images[c, ..., 0], cmap="gray", vmin=0, vmax=1)
            axes[r, c].set(xticks=[], yticks=[])
        axes[r, 0].set_ylabel(label, rotation=0, ha="right", va="center")
    fig.suptitle(title)
    fig.tight_layout()
    return fig


# Lesson 11's shipped DCGAN generator (build_generator with DCGAN_RECIPE), trained on
# the 60,000 Fashion-MNIST training images in [-1, 1] by tools/train_dcgan.py.
DCGAN_GENERATOR_FILE = "dcgan_generator.weights.h5"          # hash, Fréchet distance, coverage in the manifest
DCGAN_HISTORY_FILE = "dcgan_generator.history.json"          # per-epoch losses, coverage and fixed-z samples
DCGAN_COMPARISON_FILE = "dcgan_comparison.json"              # tools/compare_dcgan.py: ours vs the TF tutorial
DCGAN_COMPARISON_LONG_FILE = "dcgan_comparison_long.json"    # the same, about 3x the training, in CPU seconds


def dcgan_generator(weights: str | Path | None = "shipped") -> keras.Model:
    """Lesson 11's DCGAN generator: ``z`` (N, 100) -> images (N, 28, 28, 1) in [-1, 1] (tanh).

    ``weights="shipped"`` loads ``shipped/dcgan_generator.weights.h5`` after checking its SHA-256;
    ``None`` gives the untrained network; a path loads other weights (not verified).
    Usage: ``g = dcgan_generator()``; ``images = (g.predict(z, verbose=0) + 1) / 2``.
    """
    recipe = DCGAN_RECIPE
    model = build_generator(recipe["latent_dim"], recipe["g_base"], recipe["kernel"])
    return load_weights(model, DCGAN_GENERATOR_FILE, weights)


def dcgan_history() -> dict:
    """The shipped DCGAN's training record (verified by SHA-256), written by ``tools/train_dcgan.py``.

    Keys: ``history`` (per epoch ``d_loss``, ``g_loss``, ``d_real``, ``d_fake``), ``epochs``,
    ``coverage`` (per epoch, class shares of 2,000 samples), ``grids`` (per epoch, fixed-z samples
    as uint8 0-255), ``seed``, ``recipe``, ``seeds`` (every seed's numbers), ``floor``.
    Usage: ``plt.plot(dcgan_history()["history"]["d_loss"])``.
    """
    return read_json(DCGAN_HISTORY_FILE)
