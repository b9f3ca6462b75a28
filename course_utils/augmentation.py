"""Data augmentation with Keras 3 preprocessing layers, checked against a written-out affine matrix.

Lesson 07 derives what is here:

- the deck's ``ImageDataGenerator`` settings (O. Randavel and H. Mayard, *Computer Vision*; they
  come from F. Chollet's 2016 Keras blog post *Building powerful image classification models
  using very little data*) translated to a Keras 3 ``Sequential`` of preprocessing layers
  (:func:`deck_augmentation`; the lesson's table gives each argument's layer and what changed);
- the affine matrices the geometric layers apply, written out (:func:`rotation_matrix`,
  :func:`translation_matrix`, :func:`shear_matrix`, :func:`zoom_matrix`), and the same warp done
  by ``scipy.ndimage.affine_transform`` (:func:`scipy_warp`), the independent reference;
- the layers driven with fixed parameters instead of random ones (:func:`fixed_transform`);
- the angle-unit conversion (:func:`rotation_factor`; the whole-pixel shift of exercise 2 is
  :func:`course_utils.exercises.lesson07.shift_image`);
- augmentation throughput inside the model and in a ``tf.data`` pipeline
  (:func:`training_throughput`), and the small-data experiment (:func:`build_small_cnn`,
  :func:`train_small_data`).

Conventions. A matrix ``M`` here is 3x3 and maps an OUTPUT pixel ``(x, y, 1)`` (``x`` the column,
``y`` the row, pixel centres at integers) to the INPUT point it samples, as Keras 3's
``ops.image.affine_transform`` does: ``out[y, x] = image(M @ (x, y, 1))``. Keras 3's rotation and
zoom act about the centre ``((W - 1) / 2, (H - 1) / 2)``; its ``RandomShear`` acts about the
top-left pixel ``(0, 0)``; its ``RandomTranslation`` moves the content by ``(dx, dy)`` pixels.

Usage::

    from course_utils.augmentation import deck_augmentation, rotation_matrix, scipy_warp
    augment = deck_augmentation()                   # Rescaling + 5 random layers, fill "nearest"
    batch = augment(images_uint8, training=True)
    same = scipy_warp(photo, rotation_matrix(30, *photo.shape[:2]), "reflect")
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import keras
import numpy as np
import tensorflow as tf
from keras import layers
from scipy import ndimage

from course_utils.data import load_fashion_mnist, subset
from course_utils.inference import forward
from course_utils.progress import EpochTimer

FILL_MODES = ("nearest", "reflect", "wrap", "constant")

# The deck's ImageDataGenerator call, as written on its slide. Its shear_range is an angle in radians in
# Keras 1 (2016, the blog post); Keras 2.2+ read it in degrees. Lesson 07 tabulates each argument's layer.
DECK_SETTINGS: dict[str, Any] = {
    "rotation_range": 40, "width_shift_range": 0.2, "height_shift_range": 0.2, "rescale": 1.0 / 255,
    "shear_range": 0.2, "zoom_range": 0.2, "horizontal_flip": True, "fill_mode": "nearest",
}


def _check_fill_mode(fill_mode: str) -> None:
    if fill_mode not in FILL_MODES:
        raise ValueError(f"fill_mode must be one of {', '.join(FILL_MODES)}, got {fill_mode!r}")


def rotation_factor(degrees: float) -> float:
    """Keras 3's ``RandomRotation`` factor for an ``ImageDataGenerator`` ``rotation_range`` in degrees.

    ``RandomRotation`` takes a fraction of a full turn (2 pi): 40 degrees is 40 / 360.
    Usage: ``keras.layers.RandomRotation(rotation_factor(40))`` (lesson 07).
    """
    return float(degrees) / 360.0


def shear_slope(shear_range: float, unit: str = "radians") -> float:
    """The largest shear slope (pixels moved per pixel) of an ``ImageDataGenerator`` ``shear_range``.

    Keras 1's matrix moves rows by ``-sin(angle)`` per column; ``unit`` is how the number is read:
    ``"radians"`` (Keras 1, 2016) or ``"degrees"`` (Keras 2.2 and later).
    Usage: ``shear_slope(0.2) * 28`` pixels at the far edge of a 28-pixel image (lesson 07).
    """
    if unit not in ("radians", "degrees"):
        raise ValueError(f"unit must be 'radians' or 'degrees', got {unit!r}")
    angle = float(shear_range) if unit == "radians" else math.radians(float(shear_range))
    return math.sin(angle)


def deck_augmentation(fill_mode: str = "nearest", rescale: bool = True, seed: int | None = None):
    """The deck's ``ImageDataGenerator`` as a Keras 3 ``Sequential`` of preprocessing layers.

    Rescaling(1/255) (if ``rescale``), RandomRotation(40/360), RandomTranslation(0.2, 0.2),
    RandomShear(y_factor=sin(0.2)), RandomZoom(0.2, 0.2), RandomFlip("horizontal"), each
    geometric layer with ``fill_mode``. The order gives the matrix product of Keras 1's
    ``rotation @ shift @ shear @ zoom``. Active only with ``training=True``.
    Usage: ``augment = deck_augmentation(); batch = augment(images, training=True)`` (lesson 07).
    """
    _check_fill_mode(fill_mode)
    geometry = {"fill_mode": fill_mode, "seed": seed}
    stack = [layers.Rescaling(DECK_SETTINGS["rescale"], name="rescale")] if rescale else []
    stack += [
        layers.RandomRotation(rotation_factor(DECK_SETTINGS["rotation_range"]), name="rotation", **geometry),
        layers.RandomTranslation(DECK_SETTINGS["height_shift_range"], DECK_SETTINGS["width_shift_range"],
                                 name="shift", **geometry),
        layers.RandomShear(x_factor=0.0, y_factor=shear_slope(DECK_SETTINGS["shear_range"]), name="shear", **geometry),
        layers.RandomZoom(DECK_SETTINGS["zoom_range"], DECK_SETTINGS["zoom_range"], name="zoom", **geometry),
        layers.RandomFlip("horizontal", name="flip", seed=seed),
    ]
    return keras.Sequential(stack, name="deck_augmentation")


def task_augmentation(shift: float = 0.1, zoom: float = 0.1, seed: int | None = None):
    """Augmentation that respects upright, centred garments: small shifts and zoom, a horizontal flip.

    No rotation; fill with black (``constant`` 0), Fashion-MNIST's background.
    Usage: ``augment = task_augmentation()`` (lesson 07).
    """
    if not (0 <= shift < 1 and 0 <= zoom < 1):
        raise ValueError(f"shift and zoom are fractions in [0, 1), got {shift} and {zoom}")
    fill = {"fill_mode": "constant", "fill_value": 0.0, "seed": seed}
    return keras.Sequential([layers.RandomTranslation(shift, shift, name="shift", **fill),
                             layers.RandomZoom(zoom, zoom, name="zoom", **fill),
                             layers.RandomFlip("horizontal", name="flip", seed=seed)], name="task_augmentation")


# ----------------------------------------------------------------------------- affine matrices
def translation_matrix(dx: float, dy: float) -> np.ndarray:
    """The matrix that moves the content by ``dx`` pixels right and ``dy`` down (samples at ``p - d``).

    Usage: ``scipy_warp(image, translation_matrix(3, -2), "constant")`` (lesson 07).
    """
    return np.array([[1.0, 0.0, -dx], [0.0, 1.0, -dy], [0.0, 0.0, 1.0]])


def _about(matrix: np.ndarray, cx: float, cy: float) -> np.ndarray:
    """``matrix`` applied about the point ``(cx, cy)`` instead of the origin: T(c) M T(-c)."""
    return translation_matrix(-cx, -cy) @ matrix @ translation_matrix(cx, cy)


def rotation_matrix(degrees: float, height: int, width: int) -> np.ndarray:
    """Keras 3's rotation by ``degrees`` about the image centre ``((W - 1) / 2, (H - 1) / 2)``.

    ``[[cos, -sin], [sin, cos]]`` maps output to input points, about the centre.
    Usage: ``rotation_matrix(30, 300, 451)`` (lesson 07).
    """
    t = math.radians(degrees)
    core = np.array([[math.cos(t), -math.sin(t), 0.0], [math.sin(t), math.cos(t), 0.0], [0.0, 0.0, 1.0]])
    return _about(core, (width - 1) / 2, (height - 1) / 2)


def zoom_matrix(zoom_x: float, zoom_y: float, height: int, width: int) -> np.ndarray:
    """Keras 3's zoom about the centre: output ``(x, y)`` samples the input at ``zoom * (p - c) + c``.

    A zoom factor above 1 samples a larger area: the content looks smaller (zoomed out).
    Usage: ``zoom_matrix(1.2, 1.2, 28, 28)`` (lesson 07).
    """
    if zoom_x <= 0 or zoom_y <= 0:
        raise ValueError(f"zoom factors must be positive, got {zoom_x} and {zoom_y}")
    core = np.diag([float(zoom_x), float(zoom_y), 1.0])
    return _about(core, (width - 1) / 2, (height - 1) / 2)


def shear_matrix(shear_x: float, shear_y: float) -> np.ndarray:
    """Keras 3's ``RandomShear`` matrix ``[[1, sx], [sy, 1]]``, about the top-left pixel (0, 0).

    Output ``(x, y)`` samples the input at ``(x + sx y, y + sy x)``: ``sy`` moves columns up or
    down in proportion to ``x``, as Keras 1's shear did (about the centre there).
    Usage: ``shear_matrix(0.0, 0.2)`` (lesson 07).
    """
    return np.array([[1.0, float(shear_x), 0.0], [float(shear_y), 1.0, 0.0], [0.0, 0.0, 1.0]])


def _keras_transform(matrix: np.ndarray) -> np.ndarray:
    """A 3x3 matrix as the batch of one ``[[a0, a1, a2, b0, b1, b2, c0, c1]]`` of ``ops.image.affine_transform``."""
    m = np.asarray(matrix, dtype=np.float64)
    if m.shape != (3, 3):
        raise ValueError(f"expected a 3x3 matrix, got shape {m.shape}")
    return (m / m[2, 2]).ravel()[None, :8].astype(np.float32)


SCIPY_MODES = {"nearest": "nearest", "reflect": "reflect", "wrap": "grid-wrap", "constant": "grid-constant"}


def scipy_warp(image: np.ndarray, matrix: np.ndarray, fill_mode: str = "nearest", fill_value: float = 0.0,
               order: int = 1) -> np.ndarray:
    """Warp ``image`` (H, W) or (H, W, C) with ``matrix`` (output (x, y) -> input) by ``scipy.ndimage``.

    SciPy indexes (row, column) = (y, x), so the 2x2 part is flipped on both axes and the offset
    swapped. Keras' fill modes map to SciPy's ``nearest``, ``reflect`` (half-sample symmetric),
    ``grid-wrap`` and ``grid-constant``. ``order=1`` is bilinear, as the Keras layers.
    Usage: ``scipy_warp(photo, rotation_matrix(30, *photo.shape[:2]), "reflect")`` (lesson 07).
    """
    _check_fill_mode(fill_mode)
    image = np.asarray(image, dtype=np.float64)
    if image.ndim not in (2, 3):
        raise ValueError(f"expected an image (H, W) or (H, W, C), got shape {image.shape}")
    m = np.asarray(matrix, dtype=np.float64)
    rowcol = np.array([[m[1, 1], m[1, 0]], [m[0, 1], m[0, 0]]])
    offset = np.array([m[1, 2], m[0, 2]])
    channels = image[..., None] if image.ndim == 2 else image
    out = np.stack([ndimage.affine_transform(channels[..., c], rowcol, offset, order=order, cval=fill_value,
                                             mode=SCIPY_MODES[fill_mode]) for c in range(channels.shape[-1])], axis=-1)
    return out[..., 0] if image.ndim == 2 else out


def keras_warp(image: np.ndarray, matrix: np.ndarray, fill_mode: str = "nearest",
               fill_value: float = 0.0) -> np.ndarray:
    """Warp one image (H, W, C) with ``matrix`` through ``keras.ops.image.affine_transform`` (bilinear).

    Usage: ``keras_warp(photo, rotation_matrix(30, *photo.shape[:2]), "reflect")`` (lesson 07).
    """
    _check_fill_mode(fill_mode)
    batch = np.asarray(image, dtype=np.float32)[None]
    out = keras.ops.image.affine_transform(batch, _keras_transform(matrix), interpolation="bilinear",
                                           fill_mode=fill_mode, fill_value=fill_value)
    return keras.ops.convert_to_numpy(out)[0]


def wrap_seam(matrix: np.ndarray, height: int, width: int, tol: float = 1e-3) -> np.ndarray:
    """Output pixels whose bilinear sample straddles the wrap seam (between the last and first pixel).

    There TensorFlow clamps the second neighbour where SciPy's ``grid-wrap`` wraps it, so
    ``fill_mode="wrap"`` agrees with SciPy everywhere else. Samples within ``tol`` of the seam count
    too: a float32 rounding can put an exact 0 on either side of it. Boolean (H, W).
    Usage: ``differ = wrap_seam(m, *image.shape[:2])`` (lesson 07).
    """
    y, x = np.mgrid[0:height, 0:width].astype(np.float64)
    m = np.asarray(matrix, dtype=np.float64)
    xs, ys = m[0, 0] * x + m[0, 1] * y + m[0, 2], m[1, 0] * x + m[1, 1] * y + m[1, 2]   # sampled points
    mx, my = np.mod(xs, width), np.mod(ys, height)
    return (mx > width - 1 - tol) | (mx < tol) | (my > height - 1 - tol) | (my < tol)


def fixed_transform(layer, image: np.ndarray, **params: float) -> np.ndarray:
    """A Keras 3 geometric layer applied to one image with FIXED parameters instead of random ones.

    Drives the layer's own ``transform_images`` with the transformation it would have drawn:
    ``RandomRotation``: ``degrees`` (its matrix is the lesson's :func:`rotation_matrix`, the one
    ``get_random_transformation`` builds; tested); ``RandomTranslation``: ``dx, dy`` (pixels);
    ``RandomZoom``: ``zoom_x, zoom_y``; ``RandomShear``: ``shear_x, shear_y`` (slopes). Fill mode and
    interpolation are the layer's own.
    Usage: ``fixed_transform(keras.layers.RandomRotation(0.1, fill_mode="wrap"), photo, degrees=30)``.
    """
    batch = keras.ops.convert_to_tensor(np.asarray(image, dtype=np.float32)[None])
    h, w = int(batch.shape[1]), int(batch.shape[2])
    name, value = type(layer).__name__, params.get

    def tensor(rows: list[list[float]]):
        return keras.ops.convert_to_tensor(rows, dtype="float32")

    if name == "RandomRotation":
        transformation = {"rotation_matrix": _keras_transform(rotation_matrix(value("degrees", 0.0), h, w))}
    elif name == "RandomTranslation":
        transformation = {"translations": tensor([[value("dx", 0.0), value("dy", 0.0)]])}
    elif name == "RandomZoom":
        transformation = {"width_zoom": tensor([[value("zoom_x", 1.0)]]), "height_zoom": tensor([[value("zoom_y", 1.0)]])}
    elif name == "RandomShear":
        transformation = {"shear_factor": tensor([[value("shear_x", 0.0), value("shear_y", 0.0)]])}
    else:
        raise ValueError(f"fixed_transform handles RandomRotation, RandomTranslation, RandomZoom and "
                         f"RandomShear, got {name}")
    transformation["input_shape"] = batch.shape
    return keras.ops.convert_to_numpy(layer.transform_images(batch, transformation, training=True))[0]


# ----------------------------------------------------------------------------- placement and throughput
def _dataset(x: np.ndarray, y: np.ndarray, augment, batch_size: int = 64):
    """A ``tf.data`` pipeline that augments on the CPU, in parallel and ahead of the training step:
    ``shuffle -> batch -> map(augment(training=True), AUTOTUNE) -> prefetch``."""
    data = tf.data.Dataset.from_tensor_slices((np.asarray(x, np.float32), np.asarray(y)))
    data = data.shuffle(len(x), seed=0, reshuffle_each_iteration=True).batch(batch_size)
    if augment is not None:
        data = data.map(lambda a, b: (augment(a, training=True), b), num_parallel_calls=tf.data.AUTOTUNE)
    return data.prefetch(tf.data.AUTOTUNE)


def _compiled(model, lr: float = 1e-3, run_eagerly: bool = False):
    model.compile(optimizer=keras.optimizers.Adam(lr), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"], run_eagerly=run_eagerly)
    return model


def training_throughput(x: np.ndarray, y: np.ndarray, augment_factory: Callable[[], Any] | None,
                        placement: str, build: Callable[[], Any] | None = None, epochs: int = 2,
                        batch_size: int = 64, run_eagerly: bool = False) -> float:
    """Training images per second with augmentation ``placement`` ``"model"``, ``"tf.data"`` or ``"none"``.

    ``"model"``: the augmentation layers are the model's first layers (they run inside each
    training step, on the model's device); ``"tf.data"``: they run in the input pipeline
    (a ``tf.data`` map, CPU threads, overlapped with the step by ``prefetch``). The epochs after
    the first are timed and the fastest counts, which leaves out graph tracing and the moments another
    process takes the CPU; with one epoch, that epoch counts (``run_eagerly``: no graph at all, for a
    quick check on a few batches).
    Usage: ``training_throughput(x, y, task_augmentation, "tf.data")`` (lesson 07).
    """
    if placement not in ("model", "tf.data", "none"):
        raise ValueError(f"placement must be 'model', 'tf.data' or 'none', got {placement!r}")
    if epochs < 1:
        raise ValueError(f"epochs must be >= 1, got {epochs}")
    net, timer = (build or build_small_cnn)(), EpochTimer()
    if placement == "model":
        model = keras.Sequential([keras.Input(net.input_shape[1:]), augment_factory(), net])
        data = _dataset(x, y, None, batch_size)
    else:
        model = net
        data = _dataset(x, y, augment_factory() if placement == "tf.data" else None, batch_size)
    _compiled(model, run_eagerly=run_eagerly).fit(data, epochs=epochs, verbose=0, shuffle=False,  # data shuffles
                                                  callbacks=[timer])
    return len(x) / min(timer.seconds[1:] or timer.seconds)


# ----------------------------------------------------------------------------- the small-data experiment
def build_small_cnn(input_shape: tuple[int, int, int] = (28, 28, 1), width: int = 32, dropout: float = 0.3):
    """A small CNN without batch normalisation, for training on about a thousand images.

    Conv(w)-Pool-Conv(2w)-Pool-Flatten-Dropout-Dense(2w)-Dense(10, ``logits``)-softmax. No batch
    norm: with a few hundred steps its running statistics would not settle.
    Usage: ``model = build_small_cnn()`` (lesson 07).
    """
    inputs = keras.Input(input_shape, name="image")
    x = layers.Conv2D(width, 3, padding="same", activation="relu", name="conv1")(inputs)
    x = layers.MaxPooling2D(name="pool1")(x)
    x = layers.Conv2D(2 * width, 3, padding="same", activation="relu", name="conv2")(x)
    x = layers.MaxPooling2D(name="pool2")(x)
    x = layers.Flatten(name="flatten")(x)
    x = layers.Dropout(dropout, name="dropout")(x)
    x = layers.Dense(2 * width, activation="relu", name="dense")(x)
    x = layers.Dense(10, name="logits")(x)
    outputs = layers.Activation("softmax", name="probs")(x)
    return keras.Model(inputs, outputs, name="small_cnn")


class CleanAccuracy(keras.callbacks.Callback):
    """The network's accuracy on the clean training images after each epoch, in ``accuracy``.

    Keras' "accuracy" is measured on the (augmented) batches, with dropout on; this one is
    comparable with ``val_accuracy`` (lesson 07).
    Usage: ``clean = CleanAccuracy(net, x, y); model.fit(..., callbacks=[clean]); clean.accuracy``.
    """

    def __init__(self, net: keras.Model, x: np.ndarray, y: np.ndarray) -> None:
        super().__init__()
        self.net, self.x, self.y = net, x, y
        self.accuracy: list[float] = []

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        labels = forward(self.net, self.x, "labels", compiled=False, batch_size=500)
        self.accuracy.append(float(np.mean(labels == self.y)))


class EarlyStoppingAfter(keras.callbacks.EarlyStopping):
    """Early stopping on validation accuracy that never stops before ``min_epochs``; keeps the best epoch.

    Stops ``patience`` epochs after the best ``val_accuracy`` (not before ``min_epochs``) and restores
    that epoch's weights, so a history's first ``min_epochs`` epochs are those of a fixed-length run.
    Usage: ``train_small_data(..., epochs=100, callbacks=[EarlyStoppingAfter(50, patience=15)])`` (lesson 07).
    """

    def __init__(self, min_epochs: int, patience: int) -> None:
        super().__init__(monitor="val_accuracy", mode="max", patience=patience, restore_best_weights=True)
        self.min_epochs = min_epochs

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        super().on_epoch_end(epoch, logs)
        if epoch + 1 < self.min_epochs:
            self.model.stop_training = False


def train_small_data(x: np.ndarray, y: np.ndarray, validation: tuple[np.ndarray, np.ndarray],
                     augment=None, epochs: int = 40, seed: int = 0, batch_size: int = 32, lr: float = 1e-3,
                     width: int = 32, callbacks: Sequence[Any] = (), run_eagerly: bool = False):
    """Train a fresh :func:`build_small_cnn` (``width``) on ``(x, y)`` with ``augment`` inside the model.

    Images in [0, 1], shape (N, 28, 28, 1). The augmentation layers are active during ``fit`` only;
    validation and prediction see clean images. Returns ``(network, history dict)``, the network
    without the augmentation layers. The same ``seed`` gives the same initial weights.
    Usage: ``net, hist = train_small_data(x, y, (xv, yv), task_augmentation(seed=0), epochs=40)``.
    """
    if len(x) != len(y):
        raise ValueError(f"{len(x)} images but {len(y)} labels")
    if epochs < 1:
        raise ValueError(f"epochs must be >= 1, got {epochs}")
    keras.utils.set_random_seed(seed)
    x, y = np.asarray(x, np.float32), np.asarray(y)
    net = build_small_cnn(tuple(np.shape(x)[1:]), width=width)
    model = net if augment is None else keras.Sequential([keras.Input(net.input_shape[1:]), augment, net])
    clean = CleanAccuracy(net, x, y)
    history = _compiled(model, lr, run_eagerly).fit(
        x, y, validation_data=validation, epochs=epochs, batch_size=batch_size, verbose=0,
        callbacks=[clean, *callbacks])
    _compiled(net, lr)
    record = {k: [float(v) for v in vs] for k, vs in history.history.items()}
    return net, record | {"clean_accuracy": clean.accuracy}


def overfitting_gap(history: dict[str, list[float]], last: int = 5) -> float:
    """Clean training minus validation accuracy, averaged over the ``last`` epochs of a history.

    Uses ``clean_accuracy`` (:func:`train_small_data`), else Keras' ``accuracy``.
    Usage: ``overfitting_gap(hist)`` (lesson 07).
    """
    train = history.get("clean_accuracy") or history.get("accuracy")
    if not train or not history.get("val_accuracy"):
        raise ValueError("the history needs 'clean_accuracy' (or 'accuracy') and 'val_accuracy' lists")
    n = min(last, len(train), len(history["val_accuracy"]))
    return float(np.mean(train[-n:]) - np.mean(history["val_accuracy"][-n:]))


# ----------------------------------------------------------------------------- shipped runs (presenter path)
# The experiment of lesson 07, run by tools/train_augmentation_runs.py for three seeds.
# Read with manifest.read_json (SHA-256 checked). Keys: "recipe", "runs" (one per condition and seed:
# "condition", "seed", "history" with clean_accuracy, accuracy, val_accuracy, loss, val_loss per epoch,
# "test_accuracy", "train_seconds") and "spread" (test accuracy per condition over the seeds).
AUGMENTATION_RUNS_FILE = "augmentation_runs.history.json"   # in course_utils/shipped/, hash in the manifest
AUGMENTATION_RECIPE: dict[str, Any] = {
    "n_per_class": 100, "n_val": 1000, "epochs": 50, "batch_size": 32, "lr": 2e-3, "width": 16,
    "conditions": ["none", "deck", "task"], "seeds": [0, 1, 2],
    # the bounded search, the same for every condition, on seed 0 and the validation split: each width
    # trained once with EarlyStoppingAfter(epochs, patience) up to max_epochs gives two configurations,
    # "50 epochs" (its epoch 50) and "early stopping" (its best validation epoch)
    "search_widths": [16, 32], "max_epochs": 100, "patience": 15,
}
CONDITIONS = {"none": "no augmentation", "deck": "the deck's settings", "task": "task-respecting settings"}


def condition_augmentation(condition: str, seed: int | None = None):
    """The augmentation of one experiment condition: ``"none"`` (None), ``"deck"`` or ``"task"``.

    The deck's layers run without their Rescaling: the experiment's images are already in [0, 1].
    Usage: ``augment = condition_augmentation("task", seed=0)`` (lesson 07).
    """
    if condition not in CONDITIONS:
        raise ValueError(f"condition must be one of {', '.join(CONDITIONS)}, got {condition!r}")
    if condition == "none":
        return None
    return deck_augmentation(rescale=False, seed=seed) if condition == "deck" else task_augmentation(seed=seed)


STOPPINGS = ("50 epochs", "early stopping")


def train_configuration(x: np.ndarray, y: np.ndarray, validation: tuple[np.ndarray, np.ndarray], condition: str,
                        seed: int, width: int, stopping: str, epochs: int | None = None, run_eagerly: bool = False,
                        callbacks: Sequence[Any] = ()):
    """One configuration of the experiment with ``AUGMENTATION_RECIPE``: ``condition``, ``width`` and ``stopping``
    (``"50 epochs"``, or ``"early stopping"`` with :class:`EarlyStoppingAfter`); ``epochs`` overrides the length.
    Returns ``(network, history)`` as :func:`train_small_data`.
    Usage: ``net, hist = train_configuration(x, y, val, "task", 0, 32, "early stopping")`` (lesson 07).
    """
    if stopping not in STOPPINGS:
        raise ValueError(f"stopping must be one of {STOPPINGS}, got {stopping!r}")
    recipe, early = AUGMENTATION_RECIPE, stopping == STOPPINGS[1]
    stop = [EarlyStoppingAfter(recipe["epochs"], recipe["patience"])] if early else []
    return train_small_data(x, y, validation, condition_augmentation(condition, seed),
                            epochs=epochs or (recipe["max_epochs"] if early else recipe["epochs"]), seed=seed,
                            batch_size=recipe["batch_size"], lr=recipe["lr"], width=width, callbacks=[*stop, *callbacks],
                            run_eagerly=run_eagerly)


def experiment_data(seed: int, n_per_class: int = AUGMENTATION_RECIPE["n_per_class"],
                    n_val: int = AUGMENTATION_RECIPE["n_val"]):
    """The experiment's images in [0, 1]: a class-balanced training subset drawn with ``seed`` from the
    first 55,000 Fashion-MNIST training images, the first ``n_val`` of the last 5,000 for validation,
    and the 10,000 test images. Returns ``(x, y), (x_val, y_val), (x_test, y_test)``.
    Usage: ``(x, y), val, test = experiment_data(0)`` (lesson 07).
    """
    (x_all, y_all), (x_test, y_test) = load_fashion_mnist()
    x, y = subset(x_all[:55_000], y_all[:55_000], per_class=n_per_class, seed=seed)

    def prep(images):
        return (np.asarray(images, np.float32) / 255.0)[..., None]

    val = (prep(x_all[55_000:55_000 + n_val]), y_all[55_000:55_000 + n_val].astype("int32"))
    return (prep(x), y.astype("int32")), val, (prep(x_test), y_test.astype("int32"))
