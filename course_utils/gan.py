"""Generative adversarial networks: DCGAN builders, the GAN losses, a ``train_step`` model, lesson 11.

Goodfellow et al. (2014), "Generative adversarial nets", set a discriminator ``D`` against a
generator ``G``. With logits ``l`` (``D = sigmoid(l)``) the losses here are written stably with
``softplus(l) = log(1 + e^l)``, since ``-log sigmoid(l) = softplus(-l)`` and
``-log(1 - sigmoid(l)) = softplus(l)``:

- :func:`discriminator_loss`: ``-E[log D(x)] - E[log(1 - D(G(z)))]`` (the negative
  log-likelihood of the correct source; D maximises that likelihood);
- :func:`minimax_generator_loss`: ``E[log(1 - D(G(z)))]``, which G minimises in the minimax game
  (it saturates when D rejects the samples, early in training);
- :func:`nonsaturating_generator_loss`: ``-E[log D(G(z))]``, the heuristic of Goodfellow et al.
  used in practice (same fixed point, strong gradients early).

The networks follow Radford et al. (2016), "Unsupervised representation learning with deep
convolutional generative adversarial networks" (DCGAN): strided (transposed) convolutions
instead of pooling, batch norm in both networks (not on G's output nor D's input), ReLU in G
with tanh at its output, LeakyReLU (slope 0.2) in D, Adam with learning rate 2e-4 and
beta1 = 0.5. :func:`build_tf_tutorial_generator` and :func:`build_tf_tutorial_discriminator`
are the architecture of the TensorFlow DCGAN tutorial (tensorflow.org/tutorials/generative/dcgan),
written from its published settings, the baseline of ``tools/compare_dcgan.py``.

:class:`GAN` is a ``keras.Model`` whose ``train_step`` makes one discriminator step and one
generator step per batch, as in F. Chollet's Keras example "DCGAN to generate face images"
(``dcgan_overriding_train_step.py``); images are in [-1, 1] (tanh).

Usage::

    from course_utils.gan import make_gan, to_tanh_range
    gan = make_gan("ours", seed=0)
    gan.fit(to_tanh_range(x_train), batch_size=128, epochs=5, verbose=2)
    samples = gan.generator(z)            # (N, 28, 28, 1) in [-1, 1]
"""

from __future__ import annotations

from typing import Any

import numpy as np

LATENT_DIM = 100
IMAGE_SHAPE = (28, 28, 1)
GENERATOR_LOSSES = ("non_saturating", "minimax")

# Ours: Radford et al.'s guidelines, sized for a CPU (tools/train_dcgan.py ships it).
DCGAN_RECIPE: dict[str, Any] = {"latent_dim": LATENT_DIM, "g_base": 64, "d_base": 32, "kernel": 4,
                                "batch_size": 128, "learning_rate": 2e-4, "beta_1": 0.5,
                                "generator_loss": "non_saturating", "epochs": 6}
# The TensorFlow DCGAN tutorial's published settings (noise 100, batch 256, Adam 1e-4 for both).
TF_TUTORIAL_RECIPE: dict[str, Any] = {"latent_dim": 100, "batch_size": 256, "learning_rate": 1e-4,
                                      "beta_1": 0.9, "generator_loss": "non_saturating"}


def _positive_int(value: Any, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or int(value) < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")
    return int(value)


def build_generator(latent_dim: int = LATENT_DIM, base: int = 64, kernel: int = 4,
                    name: str = "dcgan_generator"):
    """DCGAN generator for 28x28x1 (lesson 11): z -> Dense 7x7x``base`` -> ConvT ``base/2`` -> ConvT 1.

    Dense and the first transposed convolution are followed by batch norm and ReLU; the last
    transposed convolution (stride 2) outputs tanh values in [-1, 1]. No bias before a batch norm.
    Usage: ``g = build_generator(); g(np.zeros((2, 100))).shape  # (2, 28, 28, 1)``.
    """
    import keras
    from keras import layers

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


def build_discriminator(base: int = 32, kernel: int = 4, name: str = "dcgan_discriminator"):
    """DCGAN discriminator for 28x28x1 (lesson 11): Conv ``base`` s2 -> Conv ``2 base`` s2 + BN -> logit.

    LeakyReLU (slope 0.2) after each convolution, no batch norm on the first layer (Radford et
    al.), one output logit (``D(x) = sigmoid(logit)``), no sigmoid inside: the losses take logits.
    Usage: ``d = build_discriminator(); d(np.zeros((2, 28, 28, 1))).shape  # (2, 1)``.
    """
    import keras
    from keras import layers

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


def build_tf_tutorial_generator(latent_dim: int = 100, name: str = "tf_tutorial_generator"):
    """The TensorFlow DCGAN tutorial's generator: Dense 7x7x256 -> ConvT 128 (s1) -> 64 (s2) -> 1 (s2).

    5x5 kernels, no biases, batch norm and LeakyReLU after each layer but the last (tanh).
    The baseline of ``tools/compare_dcgan.py`` (lesson 11).
    Usage: ``build_tf_tutorial_generator().output_shape  # (None, 28, 28, 1)``.
    """
    import keras
    from keras import layers

    latent_dim = _positive_int(latent_dim, "latent_dim")
    z = keras.Input((latent_dim,), name="z")
    x = layers.Dense(7 * 7 * 256, use_bias=False)(z)
    x = layers.LeakyReLU()(layers.BatchNormalization()(x))
    x = layers.Reshape((7, 7, 256))(x)
    for filters, stride in ((128, 1), (64, 2)):
        x = layers.Conv2DTranspose(filters, 5, strides=stride, padding="same", use_bias=False)(x)
        x = layers.LeakyReLU()(layers.BatchNormalization()(x))
    x = layers.Conv2DTranspose(1, 5, strides=2, padding="same", use_bias=False, activation="tanh")(x)
    return keras.Model(z, x, name=name)


def build_tf_tutorial_discriminator(name: str = "tf_tutorial_discriminator"):
    """The TensorFlow DCGAN tutorial's discriminator: Conv 64 s2 -> Conv 128 s2 (5x5), each
    LeakyReLU + Dropout 0.3, then Dense 1 (a logit). Lesson 11's baseline.
    Usage: ``build_tf_tutorial_discriminator().output_shape  # (None, 1)``.
    """
    import keras
    from keras import layers

    x_in = keras.Input(IMAGE_SHAPE, name="image")
    x = x_in
    for filters in (64, 128):
        x = layers.Conv2D(filters, 5, strides=2, padding="same")(x)
        x = layers.Dropout(0.3)(layers.LeakyReLU()(x))
    x = layers.Dense(1)(layers.Flatten()(x))
    return keras.Model(x_in, x, name=name)


def _logits(logits, name: str):
    from keras import ops

    if isinstance(logits, np.ndarray) or np.isscalar(logits) or isinstance(logits, (list, tuple)):
        arr = np.asarray(logits, dtype=np.float32)
        if arr.size == 0:
            raise ValueError(f"{name} is empty")
        if not np.all(np.isfinite(arr)):
            raise ValueError(f"{name} contains NaN or infinite values")
        return ops.convert_to_tensor(arr)
    return logits


def discriminator_loss(real_logits, fake_logits):
    """D's loss (lesson 11): ``-mean log D(x) - mean log(1 - D(G(z)))`` from logits, stably.

    ``= mean softplus(-real_logits) + mean softplus(fake_logits)``: the binary cross-entropy with
    label 1 for real and 0 for fake images. Minimising it maximises the log-likelihood of the
    correct source. Accepts NumPy arrays or tensors; returns a scalar tensor.
    Usage: ``float(discriminator_loss(d(x), d(g(z))))``; ``2 log 2 = 1.386`` when all logits are 0.
    """
    from keras import ops

    real = _logits(real_logits, "real_logits")
    fake = _logits(fake_logits, "fake_logits")
    return ops.mean(ops.softplus(-real)) + ops.mean(ops.softplus(fake))


def minimax_generator_loss(fake_logits):
    """G's loss in the minimax game (lesson 11): ``mean log(1 - D(G(z))) = -mean softplus(logits)``.

    It goes to 0 with a vanishing gradient ``-D(G(z))`` per logit when D confidently rejects the
    samples (D(G(z)) near 0): the saturation of early training. Usage: ``minimax_generator_loss(d(g(z)))``.
    """
    from keras import ops

    return -ops.mean(ops.softplus(_logits(fake_logits, "fake_logits")))


def nonsaturating_generator_loss(fake_logits):
    """The non-saturating generator loss (Goodfellow et al. 2014, lesson 11): ``-mean log D(G(z))``.

    ``= mean softplus(-logits)``; its gradient per logit is ``-(1 - D(G(z)))``, near -1 exactly
    when the minimax loss saturates. Usage: ``nonsaturating_generator_loss(d(g(z)))``.
    """
    from keras import ops

    return ops.mean(ops.softplus(-_logits(fake_logits, "fake_logits")))


def generator_loss(fake_logits, kind: str = "non_saturating"):
    """:func:`nonsaturating_generator_loss` or :func:`minimax_generator_loss` by name (lesson 11).

    Usage: ``generator_loss(logits, "minimax")``.
    """
    if kind == "non_saturating":
        return nonsaturating_generator_loss(fake_logits)
    if kind == "minimax":
        return minimax_generator_loss(fake_logits)
    raise ValueError(f"generator loss must be one of {GENERATOR_LOSSES}, got {kind!r}")


def _np_logits(logits, name: str) -> np.ndarray:
    arr = np.asarray(logits, dtype=np.float64)
    if arr.size == 0 or not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must be a non-empty array of finite logits, got shape {arr.shape}")
    return arr


def discriminator_loss_numpy(real_logits, fake_logits) -> float:
    """NumPy twin of :func:`discriminator_loss` (lesson 11's exercise): a float, stable for any logit.

    ``mean(logaddexp(0, -real_logits)) + mean(logaddexp(0, fake_logits))``.
    Usage: ``discriminator_loss_numpy(np.zeros(4), np.zeros(4))  # 2 log 2``.
    """
    real, fake = _np_logits(real_logits, "real_logits"), _np_logits(fake_logits, "fake_logits")
    return float(np.mean(np.logaddexp(0.0, -real)) + np.mean(np.logaddexp(0.0, fake)))


def nonsaturating_generator_loss_numpy(fake_logits) -> float:
    """NumPy twin of :func:`nonsaturating_generator_loss` (lesson 11's exercise): ``mean logaddexp(0, -l)``.

    Usage: ``nonsaturating_generator_loss_numpy(np.zeros(4))  # log 2``.
    """
    return float(np.mean(np.logaddexp(0.0, -_np_logits(fake_logits, "fake_logits"))))


def minimax_generator_loss_numpy(fake_logits) -> float:
    """NumPy twin of :func:`minimax_generator_loss` (lesson 11): ``-mean logaddexp(0, l)``.

    Usage: ``minimax_generator_loss_numpy(np.zeros(4))  # -log 2``.
    """
    return float(-np.mean(np.logaddexp(0.0, _np_logits(fake_logits, "fake_logits"))))


def to_tanh_range(images) -> np.ndarray:
    """uint8 images ``(N, 28, 28)`` (0-255) to float32 ``(N, 28, 28, 1)`` in [-1, 1], the GAN's range.

    Usage: ``x = to_tanh_range(x_train)``.
    """
    x = np.asarray(images)
    if x.ndim == 3:
        x = x[..., None]
    if x.ndim != 4 or x.shape[1:] != IMAGE_SHAPE:
        raise ValueError(f"images must have shape (N, 28, 28) or (N, 28, 28, 1), got {np.shape(images)}")
    if x.dtype != np.uint8:
        raise ValueError(f"images must be uint8 in 0-255 (the raw Fashion-MNIST arrays), got {x.dtype}")
    return x.astype(np.float32) / 127.5 - 1.0


def to_unit_range(images) -> np.ndarray:
    """Generator outputs in [-1, 1] to [0, 1] (float32), the input of the lesson 05 CNN and of plots.

    Usage: ``cnn_features(to_unit_range(samples))``.
    """
    x = np.asarray(images, dtype=np.float32)
    if x.size and (not np.all(np.isfinite(x)) or x.min() < -1.0001 or x.max() > 1.0001):
        raise ValueError("images must be finite and in [-1, 1] (a tanh output)"
                         + (f", got values in [{x.min():g}, {x.max():g}]" if np.all(np.isfinite(x)) else ""))
    return np.clip((x + 1.0) / 2.0, 0.0, 1.0)


def latent_vectors(n: int, latent_dim: int = LATENT_DIM, seed: int = 0) -> np.ndarray:
    """``n`` standard normal latent vectors (float32), reproducible from ``seed``.

    Usage: ``z = latent_vectors(16, seed=0)`` (lesson 11's fixed sample grid).
    """
    n, latent_dim = _positive_int(n, "n"), _positive_int(latent_dim, "latent_dim")
    return np.random.default_rng(seed).standard_normal((n, latent_dim)).astype(np.float32)


def generate(generator, n: int, seed: int = 0, batch_size: int = 500) -> np.ndarray:
    """``n`` samples of ``generator`` (inference mode) as a float32 array in [-1, 1], lesson 11.

    Usage: ``samples = generate(g, 10_000)``; ``class_coverage(to_unit_range(samples))``.
    """
    z = latent_vectors(n, int(generator.input_shape[-1]), seed)
    return np.asarray(generator.predict(z, batch_size=_positive_int(batch_size, "batch_size"), verbose=0),
                      dtype=np.float32)


def interpolate_latents(z0, z1, steps: int, method: str = "linear") -> np.ndarray:
    """``steps`` latent vectors from ``z0`` to ``z1`` inclusive, lesson 11, shape ``(steps, d)``.

    ``"linear"``: ``(1 - t) z0 + t z1``. ``"slerp"``: along the great circle, as White (2016),
    "Sampling generative networks", advises for Gaussian latents (a straight line passes close to
    the origin, where the norm of a 100-d Gaussian vector almost never is). ``t`` runs over
    ``linspace(0, 1, steps)``. Usage: ``g(interpolate_latents(z[0], z[1], 8))``.
    """
    a = np.asarray(z0, dtype=np.float64)
    b = np.asarray(z1, dtype=np.float64)
    if a.ndim != 1 or a.shape != b.shape:
        raise ValueError(f"z0 and z1 must be 1-D vectors of the same length, got shapes {a.shape} and {b.shape}")
    steps = _positive_int(steps, "steps")
    t = np.linspace(0.0, 1.0, steps)[:, None] if steps > 1 else np.zeros((1, 1))
    if method == "linear":
        return ((1 - t) * a + t * b).astype(np.float32)
    if method != "slerp":
        raise ValueError(f"method must be 'linear' or 'slerp', got {method!r}")
    na, nb = np.linalg.norm(a), np.linalg.norm(b)
    if na == 0 or nb == 0:
        raise ValueError("slerp needs two non-zero vectors")
    omega = np.arccos(np.clip(a @ b / (na * nb), -1.0, 1.0))
    if np.sin(omega) < 1e-8:      # (anti)parallel: the great circle is undefined, fall back to a line
        return ((1 - t) * a + t * b).astype(np.float32)
    return ((np.sin((1 - t) * omega) * a + np.sin(t * omega) * b) / np.sin(omega)).astype(np.float32)


def slerp(z0, z1, steps: int) -> np.ndarray:
    """Spherical interpolation from ``z0`` to ``z1`` in ``steps`` points (lesson 11's exercise).

    ``sin((1 - t) omega) / sin(omega) z0 + sin(t omega) / sin(omega) z1`` with ``omega`` the
    angle between them: :func:`interpolate_latents` with ``method="slerp"``.
    Usage: ``z = slerp(z[0], z[1], 8)``.
    """
    return interpolate_latents(z0, z1, steps, method="slerp")


def _gan_model_class():
    """The :class:`GAN` class, built on first use so that importing this module does not import Keras."""
    global _GAN_CLASS
    if _GAN_CLASS is not None:
        return _GAN_CLASS
    import keras
    import tensorflow as tf

    class GAN(keras.Model):
        """A generator and a discriminator trained together; ``train_step`` does one step of each.

        Per batch of real images ``x`` (in [-1, 1]): draw ``z``, update D on
        :func:`discriminator_loss` of ``D(x)`` and ``D(G(z))``; draw a fresh ``z``, update G on
        the chosen generator loss of ``D(G(z))`` (D frozen). Metrics: ``d_loss``, ``g_loss``,
        ``d_real`` (mean ``D(x)``), ``d_fake`` (mean ``D(G(z))`` at the D step).
        Usage: ``gan = GAN(g, d); gan.compile(d_opt, g_opt); gan.fit(x, batch_size=128)``.
        """

        def __init__(self, generator, discriminator, generator_loss: str = "non_saturating",
                     seed: int | None = None, **kwargs):
            super().__init__(**kwargs)
            if generator_loss not in GENERATOR_LOSSES:
                raise ValueError(f"generator_loss must be one of {GENERATOR_LOSSES}, got {generator_loss!r}")
            out, inp = tuple(generator.output_shape[1:]), tuple(discriminator.input_shape[1:])
            if out != inp:
                raise ValueError(f"the generator makes images of shape {out} but the discriminator "
                                 f"reads {inp}")
            if tuple(discriminator.output_shape[1:]) != (1,):
                raise ValueError("the discriminator must output one logit per image, shape (N, 1), got "
                                 f"{discriminator.output_shape}")
            self.generator = generator
            self.discriminator = discriminator
            self.latent_dim = int(generator.input_shape[-1])
            self.generator_loss_name = generator_loss
            self.seed_generator = keras.random.SeedGenerator(seed)
            self.trackers = {name: keras.metrics.Mean(name=name) for name in ("d_loss", "g_loss", "d_real",
                                                                               "d_fake")}

        def compile(self, d_optimizer=None, g_optimizer=None, **kwargs):
            """Two optimizers (Radford et al.'s Adam 2e-4, beta1 0.5 for each when left out)."""
            super().compile(**kwargs)
            self.d_optimizer = d_optimizer or keras.optimizers.Adam(2e-4, beta_1=0.5)
            self.g_optimizer = g_optimizer or keras.optimizers.Adam(2e-4, beta_1=0.5)

        @property
        def metrics(self):
            return list(self.trackers.values())

        def call(self, z, training=False):
            return self.generator(z, training=training)

        def discriminator_step(self, real, z):
            """One update of D on ``real`` images and ``G(z)``; returns (loss, real logits, fake logits)."""
            with tf.GradientTape() as tape:
                fake = self.generator(z, training=True)
                real_logits = self.discriminator(real, training=True)
                fake_logits = self.discriminator(fake, training=True)
                loss = discriminator_loss(real_logits, fake_logits)
            grads = tape.gradient(loss, self.discriminator.trainable_weights)
            self.d_optimizer.apply_gradients(zip(grads, self.discriminator.trainable_weights))
            return loss, real_logits, fake_logits

        def generator_step(self, z):
            """One update of G on the generator loss of ``D(G(z))`` (D's weights untouched); returns the loss."""
            with tf.GradientTape() as tape:
                logits = self.discriminator(self.generator(z, training=True), training=True)
                loss = generator_loss(logits, self.generator_loss_name)
            grads = tape.gradient(loss, self.generator.trainable_weights)
            self.g_optimizer.apply_gradients(zip(grads, self.generator.trainable_weights))
            return loss

        def train_step(self, data):
            real = data[0] if isinstance(data, (tuple, list)) else data
            batch = tf.shape(real)[0]
            z = keras.random.normal((batch, self.latent_dim), seed=self.seed_generator)
            d_loss, real_logits, fake_logits = self.discriminator_step(real, z)
            z = keras.random.normal((batch, self.latent_dim), seed=self.seed_generator)
            g_loss = self.generator_step(z)
            values = {"d_loss": d_loss, "g_loss": g_loss, "d_real": tf.reduce_mean(tf.sigmoid(real_logits)),
                      "d_fake": tf.reduce_mean(tf.sigmoid(fake_logits))}
            for name, value in values.items():
                self.trackers[name].update_state(value)
            return {name: tracker.result() for name, tracker in self.trackers.items()}

        def fit(self, x=None, *args, **kwargs):
            """Keras' ``fit`` on images in [-1, 1] of shape ``(N, 28, 28, 1)``; one-line error otherwise."""
            if isinstance(x, np.ndarray):
                check_gan_images(x)
            return super().fit(x, *args, **kwargs)

    _GAN_CLASS = GAN
    return GAN


_GAN_CLASS = None


def check_gan_images(x) -> None:
    """Raise a one-line ValueError unless ``x`` is float ``(N, 28, 28, 1)`` in [-1, 1] (lesson 11).

    Usage: ``check_gan_images(to_tanh_range(x_train))``.
    """
    x = np.asarray(x)
    if x.ndim != 4 or x.shape[1:] != IMAGE_SHAPE or len(x) == 0:
        raise ValueError(f"GAN training images must have shape (N, 28, 28, 1), got {x.shape}; "
                         "use to_tanh_range(x_train)")
    if not np.issubdtype(x.dtype, np.floating):
        raise ValueError(f"GAN training images must be floats in [-1, 1], got dtype {x.dtype}; "
                         "use to_tanh_range(x_train)")
    low, high = float(x.min()), float(x.max())
    if not (np.isfinite(low) and np.isfinite(high)) or low < -1.0001 or high > 1.0001:
        raise ValueError(f"GAN training images must be in [-1, 1] (tanh range), got [{low:g}, {high:g}]; "
                         "use to_tanh_range(x_train)")


def GAN(generator, discriminator, generator_loss: str = "non_saturating", seed: int | None = None, **kwargs):
    """A :class:`keras.Model` training ``generator`` against ``discriminator`` (lesson 11).

    Usage: ``gan = GAN(build_generator(), build_discriminator()); gan.compile()``.
    """
    return _gan_model_class()(generator, discriminator, generator_loss=generator_loss, seed=seed, **kwargs)


def make_gan(kind: str = "ours", seed: int = 0, generator_loss: str | None = None, run_eagerly: bool = False):
    """A compiled :class:`GAN`: ``"ours"`` (``DCGAN_RECIPE``) or ``"tf_tutorial"`` (``TF_TUTORIAL_RECIPE``).

    Seeds Keras with ``seed`` before building, so the initial weights are reproducible.
    Usage: ``gan = make_gan("ours", seed=0); gan.fit(x, batch_size=DCGAN_RECIPE["batch_size"])``.
    """
    import keras

    keras.utils.set_random_seed(seed)
    if kind == "ours":
        recipe = DCGAN_RECIPE
        g = build_generator(recipe["latent_dim"], recipe["g_base"], recipe["kernel"])
        d = build_discriminator(recipe["d_base"], recipe["kernel"])
    elif kind == "tf_tutorial":
        recipe = TF_TUTORIAL_RECIPE
        g, d = build_tf_tutorial_generator(recipe["latent_dim"]), build_tf_tutorial_discriminator()
    else:
        raise ValueError(f"kind must be 'ours' or 'tf_tutorial', got {kind!r}")
    gan = GAN(g, d, generator_loss=generator_loss or recipe["generator_loss"], seed=seed, name=f"gan_{kind}")

    def adam():
        return keras.optimizers.Adam(recipe["learning_rate"], beta_1=recipe["beta_1"])

    gan.compile(d_optimizer=adam(), g_optimizer=adam(), run_eagerly=run_eagerly)
    return gan


def sample_grid_callback(z, every: int = 1, monitor=None):
    """A Keras callback that draws ``generator(z)`` for a fixed ``z`` at the end of every ``every`` epochs.

    The images (in [-1, 1]) are kept in ``callback.grids`` (one ``(n, 28, 28, 1)`` array per
    drawing, ``callback.epochs`` says which epoch); :func:`plot_sample_grids` shows them.
    A fixed ``z`` makes the epochs comparable: the same latent points, a generator that changes.
    ``monitor(generator) -> dict``, if given, is called at the same epochs and its results kept
    in ``callback.monitored`` (lesson 11 follows the class coverage of the samples with it).
    Usage: ``cb = sample_grid_callback(latent_vectors(16)); gan.fit(x, callbacks=[cb])``.
    """
    import keras

    z = np.asarray(z, dtype=np.float32)
    if z.ndim != 2 or len(z) == 0:
        raise ValueError(f"z must be a 2-D array (samples, latent_dim), got shape {z.shape}")
    every = _positive_int(every, "every")

    class SampleGrid(keras.callbacks.Callback):
        def __init__(self):
            super().__init__()
            self.z, self.every, self.grids, self.epochs, self.monitored = z, every, [], [], []

        def on_epoch_end(self, epoch, logs=None):
            if (epoch + 1) % self.every == 0:
                generator = self.model.generator
                if int(generator.input_shape[-1]) != self.z.shape[1]:
                    raise ValueError(f"z has {self.z.shape[1]} dimensions but the generator takes "
                                     f"{generator.input_shape[-1]}")
                self.grids.append(np.asarray(generator(self.z, training=False)))
                self.epochs.append(epoch + 1)
                if monitor is not None:
                    self.monitored.append(monitor(generator))

    return SampleGrid()


def plot_sample_grids(grids, labels, columns: int = 8, title: str = "Fixed-z samples", figsize=None):
    """One row of ``columns`` samples per grid (images in [-1, 1]), each row labelled; returns the figure.

    Usage: ``plot_sample_grids(cb.grids, [f"epoch {e}" for e in cb.epochs])`` (lesson 11).
    """
    import matplotlib.pyplot as plt

    if len(grids) == 0 or len(grids) != len(labels):
        raise ValueError(f"need as many labels as grids (at least one), got {len(grids)} grids, {len(labels)} labels")
    columns = min(_positive_int(columns, "columns"), min(len(g) for g in grids))
    rows = len(grids)
    fig, axes = plt.subplots(rows, columns, figsize=figsize or (1.1 * columns + 1.2, 1.1 * rows + 0.5),
                             squeeze=False)
    for r, (grid, label) in enumerate(zip(grids, labels)):
        images = to_unit_range(grid)
        for c in range(columns):
            ax = axes[r, c]
            ax.imshow(images[c, ..., 0], cmap="gray", vmin=0, vmax=1)
            ax.set_xticks([])
            ax.set_yticks([])
        axes[r, 0].set_ylabel(label, rotation=0, ha="right", va="center")
    fig.suptitle(title)
    fig.tight_layout()
    return fig
