"""Transfer learning: a pretrained base with a new head, cached features, fine-tuning, learning curves.

Lesson 06 derives these. The base is usually the offline ImageNet model of
:mod:`course_utils.pretrained` (EfficientNet-Lite0), cut at a layer and rebuilt at a smaller input
side (all its layers are convolutions, so any side works). Frozen features are cached on disk,
keyed by the model (name, input side, weights) and the data, so a sweep over many small training
sets runs in seconds after the first pass. Fine-tuning keeps every BatchNormalization layer frozen, so in
inference mode (the Keras guide "Transfer learning & fine-tuning", F. Chollet 2020; in Keras 3 it is
the frozen layer, not ``training=False`` on the nested call, that does it).

Usage::

    from course_utils.pretrained import imagenet_model, to_imagenet_input
    from course_utils.transfer import graph_slice, cached_features
    base = graph_slice(imagenet_model(), end="avg_pool", size=96)
    features = cached_features(base, images)          # (N, 1280), from disk the second time
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import keras
import numpy as np
from sklearn.linear_model import LogisticRegression
from threadpoolctl import threadpool_limits

from course_utils.inference import forward
from course_utils.paths import cache_dir

FEATURES_DIR = "features"   # under paths.cache_dir()
# TensorFlow's flower photos (Katba's flower classifier), pinned: size and SHA-256 from TensorFlow Datasets'
# url_checksums/tf_flowers.txt; downloaded only online (lesson 06, optional section).
FLOWERS_MB = 218
FLOWERS_URL = "https://storage.googleapis.com/download.tensorflow.org/example_images/flower_photos.tgz"
FLOWERS_SHA256 = "4c54ace7911aaffe13a365c34f650e71dd5bf1be0a58b464e5a7183e3e595d9c"


def graph_slice(model, end: str, size: int | None = None, start: str | None = None, name: str | None = None):
    """The layers of a functional ``model`` from ``start``'s output (``None``: its input) to ``end``'s.

    The layers are re-applied to a new input (side ``size`` for a cut at the input, else the
    shape of ``start``'s output), so the slice **shares** the weights of ``model``.
    Usage: ``bottom = graph_slice(imagenet_model(), end="block10_add", size=96)``.
    """
    if start is None:
        side = size or model.input_shape[1]
        source, new_input = model.inputs[0], keras.Input((side, side, model.input_shape[-1]), name="image")
    else:
        source = model.get_layer(start).output
        new_input = keras.Input(tuple(source.shape[1:]) if size is None else (size, size, source.shape[-1]),
                                name=f"from_{start}")
    names = [layer.name for layer in model.layers]
    if end not in names:
        raise ValueError(f"layer {end!r} is not in {model.name}")
    tensors = {id(source): new_input}
    for layer in model.layers:
        if isinstance(layer, keras.layers.InputLayer):
            continue
        inputs = layer.input if isinstance(layer.input, (list, tuple)) else [layer.input]
        if id(layer.output) in tensors or not all(id(t) in tensors for t in inputs):
            continue
        args = [tensors[id(t)] for t in inputs]
        tensors[id(layer.output)] = layer(args if len(args) > 1 else args[0])
        if layer.name == end:
            break
    if id(model.get_layer(end).output) not in tensors:
        raise ValueError(f"layer {end!r} does not depend on {start!r}: nothing to slice")
    side = new_input.shape[1]
    label = name or f"{model.name}_{start or 'input'}_to_{end}_{side}px"
    return keras.Model(new_input, tensors[id(model.get_layer(end).output)], name=label)


def frozen_base_with_head(base, num_classes: int, dropout: float = 0.2):
    """``base`` frozen (``trainable = False``, called with ``training=False`` as the Keras guide writes),
    then dropout and a new softmax layer: only the head's ``features x classes + classes`` weights train.

    In Keras 3 (3.15 measured) the ``training`` flag of the outer call overrides that ``training=False``,
    so after unfreezing, keep the BatchNormalization layers frozen (:func:`unfreeze_top`).

    Usage: ``model = frozen_base_with_head(graph_slice(imagenet_model(), "avg_pool", 96), 10)``.
    """
    if num_classes < 1 or not 0 <= dropout < 1:
        raise ValueError(f"need num_classes >= 1 and dropout in [0, 1), got {num_classes} and {dropout}")
    base.trainable = False
    inputs = keras.Input(base.input_shape[1:], name="image")
    x = base(inputs, training=False)   # the guide's intent; Keras 3 lets fit's training=True override it
    x = keras.layers.Dropout(dropout, name="head_dropout")(x)
    outputs = keras.layers.Dense(num_classes, activation="softmax", name="head")(x)
    return keras.Model(inputs, outputs, name=f"{base.name}_with_head")


def unfreeze_top(model, first: str, freeze_bn: bool = True) -> list[str]:
    """Make the layers of ``model`` from ``first`` on trainable, the earlier ones frozen, and every
    BatchNormalization layer frozen (in Keras 3 a frozen BN layer runs in inference mode); with
    ``freeze_bn=False`` the BN layers from ``first`` on train too (:func:`fine_tune` shows why not).

    Returns the names of the trainable layers that carry weights.
    Usage: ``unfreeze_top(base, "block11_expand_conv")``.
    """
    names = [layer.name for layer in model.layers]
    if first not in names:
        raise ValueError(f"layer {first!r} is not in {model.name}")
    model.trainable = True
    cut = names.index(first)
    for i, layer in enumerate(model.layers):
        layer.trainable = i >= cut and not (freeze_bn and isinstance(layer, keras.layers.BatchNormalization))
    return [layer.name for layer in model.layers if layer.trainable and layer.weights]


def start_fine_tuning(model, base, first: str, head_learning_rate: float, ratio: float = 10.0):
    """The second stage of fine-tuning (the Keras guide's recipe): unfreeze ``base`` from ``first`` on,
    BatchNormalization kept frozen (:func:`unfreeze_top`), and recompile ``model`` with Adam at
    ``head_learning_rate / ratio`` (10-100 times lower than the head's), so the change takes effect.

    Returns ``model``. Usage: ``model = start_fine_tuning(model, base, "block11_expand_conv", 1e-3)``.
    """
    if head_learning_rate <= 0 or not 10 <= ratio <= 100:
        raise ValueError(f"need head_learning_rate > 0 and ratio in [10, 100], got {head_learning_rate}, {ratio}")
    unfreeze_top(base, first)
    model.compile(optimizer=keras.optimizers.Adam(head_learning_rate / ratio),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def flower_photos(size: int, origin: str = FLOWERS_URL, file_hash: str | None = FLOWERS_SHA256,
                  cache_dir: str | Path | None = None) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Katba's flower photos: the archive (``FLOWERS_MB`` MB for TensorFlow's 3,670 photos of 5 classes)
    fetched once by ``keras.utils.get_file`` (SHA-256 checked, extracted), then every photo of its class
    folders read at ``size`` x ``size``: ``(images uint8 (N, size, size, 3), labels, class names)``.

    Usage: ``images, labels, classes = flower_photos(96)`` (lesson 06, online only).
    """
    if size < 1:
        raise ValueError(f"size must be at least 1, got {size}")
    if cache_dir is not None:
        Path(cache_dir).mkdir(parents=True, exist_ok=True)   # get_file falls back to /tmp otherwise
    found = Path(keras.utils.get_file(origin=origin, file_hash=file_hash, extract=True,
                                      cache_dir=None if cache_dir is None else str(cache_dir)))
    roots = sorted({photo.parent.parent for photo in found.rglob("*.jpg")})
    if len(roots) != 1:
        raise ValueError(f"expected one folder of class folders of JPEG photos in {found}, found {len(roots)}")
    data = keras.utils.image_dataset_from_directory(roots[0], image_size=(size, size), shuffle=False,
                                                    verbose=False)
    images = np.concatenate([np.round(batch).astype(np.uint8) for batch, _ in data])
    return images, np.concatenate([labels for _, labels in data]).astype("int32"), list(data.class_names)


def _digest(arrays) -> str:
    """SHA-256 (16 hex digits) of arrays' dtypes, shapes and bytes: the data's or the weights' cache key."""
    digest = hashlib.sha256()
    for array in arrays:
        array = np.ascontiguousarray(array)
        digest.update(f"{array.dtype}{array.shape}".encode())
        digest.update(array.tobytes())
    return digest.hexdigest()[:16]


def feature_cache_path(model, images: np.ndarray) -> Path:
    """Where :func:`cached_features` keeps ``model``'s features of ``images``: the course cache,
    ``features/<model name>_<input side>px_w<weights hash>_d<data hash>.npy`` (a fine-tuned model,
    other weights, gets a new file).

    Usage: ``feature_cache_path(base, x).is_file()``.
    """
    side = f"{model.input_shape[1]}px"
    name = model.name if model.name.endswith(side) else f"{model.name}_{side}"
    folder = cache_dir() / FEATURES_DIR
    folder.mkdir(parents=True, exist_ok=True)
    weights = [np.asarray(w) for w in sorted(model.weights, key=lambda w: w.path)]   # freezing reorders them
    return folder / f"{name}_w{_digest(weights)}_d{_digest([images])}.npy"


def extract_features(model, images: np.ndarray, path: str | Path, batch_size: int = 64) -> np.ndarray:
    """``model``'s outputs for ``images``, read from ``path`` if it holds them, else computed and saved.

    ``np.load(..., allow_pickle=False)``: a cache file can never run code.
    Usage: ``features = extract_features(base, x, "/tmp/base_x.npy")``.
    """
    path = Path(path)
    if path.is_file():
        features = np.load(path, allow_pickle=False)
        if len(features) == len(images):
            return features
    features = forward(model, images, "outputs", batch_size=batch_size)
    path.parent.mkdir(parents=True, exist_ok=True)
    np.save(path, features, allow_pickle=False)
    return features


def cached_features(model, images: np.ndarray, batch_size: int = 64) -> np.ndarray:
    """:func:`extract_features` at :func:`feature_cache_path`: computed once per model, side and data.

    Usage: ``features = cached_features(base, x_test)``.
    """
    return extract_features(model, images, feature_cache_path(model, images), batch_size=batch_size)


def fit_steps(model, x: np.ndarray, y: np.ndarray, steps: int, batch_size: int = 32,
              learning_rate: float = 1e-3, seed: int = 0, callbacks=None):
    """Train ``model`` (softmax output) for exactly ``steps`` Adam steps on batches drawn with
    replacement: the same budget whatever the size of the training set (no validation set needed).

    Usage: ``fit_steps(build_classic_convnet(), x_small, y_small, steps=200)``.
    """
    if steps < 1 or len(x) == 0:
        raise ValueError(f"need steps >= 1 and some training data, got steps={steps}, {len(x)} examples")
    keras.utils.set_random_seed(seed)
    idx = np.random.default_rng(seed).integers(0, len(x), size=steps * batch_size)
    eager = steps <= 10   # a handful of steps: tracing the train step would cost more than it saves
    model.compile(optimizer=keras.optimizers.Adam(learning_rate), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"], run_eagerly=eager)
    if eager and callbacks is None:
        # the same steps on the same batches as fit below, without fit's set-up (data pipeline, callbacks)
        for batch in idx.reshape(steps, batch_size):
            model.train_on_batch(x[batch], y[batch])
        return model
    model.fit(x[idx], y[idx], batch_size=batch_size, epochs=1, shuffle=False, verbose=0, callbacks=callbacks)
    return model


def linear_probe_accuracy(train_features: np.ndarray, train_labels: np.ndarray, test_features: np.ndarray,
                          test_labels: np.ndarray, c: float = 1.0) -> float:
    """Test accuracy of a multinomial logistic regression (L2, ``C = c``, scikit-learn) on frozen
    features: a softmax layer trained to convergence, the usual "linear probe".

    Usage: ``linear_probe_accuracy(f_train, y_train, f_test, y_test)``.
    """
    if len(train_features) != len(train_labels) or len(test_features) != len(test_labels) or c <= 0:
        raise ValueError(f"need as many labels as features and c > 0, got {len(train_features)} features, "
                         f"{len(train_labels)} labels, {len(test_features)} and {len(test_labels)}, c={c}")
    clf = LogisticRegression(C=c, max_iter=2000)
    # one BLAS thread: L-BFGS makes many tiny BLAS calls, and on a busy 2-core machine waking a second
    # thread for each one took 10-20x longer (1-2 s instead of 0.07 s for 50 x 1280 features); same result
    with threadpool_limits(limits=1, user_api="blas"):
        clf.fit(train_features, train_labels)
        return float(clf.score(test_features, test_labels))


def fine_tune(body, first: str, x: np.ndarray, y: np.ndarray, features: np.ndarray, num_classes: int,
              head_steps: int, steps: int, learning_rate: float = 1e-4, batch_size: int = 32, seed: int = 0,
              bn_inference: bool = True):
    """Fine-tune a **copy** of ``body`` (input -> features) with a new softmax head, in two stages
    (the Keras guide's recipe): train the head alone on the frozen ``features`` of ``x``, then unfreeze
    the layers of the copy from ``first`` on and train them with the head at a small learning rate.

    ``bn_inference=True`` keeps BatchNormalization frozen (hence in inference mode) and calls the body
    with ``training=False``;
    ``False`` makes BN trainable and lets it run in training mode (batch statistics; the running
    statistics drift), to show what goes wrong. ``body`` itself is never changed.
    Usage: ``model = fine_tune(top, "block11_expand_conv", a_train, y_train, f_train, 10, 100, 100)``.
    """
    keras.utils.set_random_seed(seed)
    tuned = keras.models.clone_model(body)
    tuned.set_weights(body.get_weights())
    head = keras.layers.Dense(num_classes, activation="softmax", name="new_head")
    fit_steps(keras.Sequential([keras.Input(features.shape[1:]), head]), features, y, head_steps,
              batch_size=batch_size, seed=seed)
    unfreeze_top(tuned, first, freeze_bn=bn_inference)
    inputs = keras.Input(tuned.input_shape[1:], name="fine_tune_input")
    x_out = tuned(inputs, training=False) if bn_inference else tuned(inputs)
    outputs = head(keras.layers.Dropout(0.2, name="head_dropout")(x_out))
    model = keras.Model(inputs, outputs, name=f"{body.name}_fine_tuned")
    return fit_steps(model, x, y, steps, batch_size=batch_size, learning_rate=learning_rate, seed=seed)


def _batch_norms(model) -> dict:
    """The BatchNormalization layers of ``model`` by name, nested models searched too."""
    found = {}
    for layer in model.layers:
        if isinstance(layer, keras.layers.BatchNormalization):
            found[layer.name] = layer
        elif isinstance(layer, keras.Model):
            found.update(_batch_norms(layer))
    return found


def bn_drift(before, after) -> float:
    """Mean over the BatchNormalization layers of ``|moving mean after - before| / sqrt(moving var before)``:
    how far fine-tuning moved the running statistics, in units of their standard deviation.

    Usage: ``bn_drift(top, tuned_model)`` (layers matched by name; a nested copy is searched too).
    """
    new = _batch_norms(after)
    shifts = [np.mean(np.abs(np.asarray(new[name].moving_mean) - np.asarray(layer.moving_mean))
                      / np.sqrt(np.asarray(layer.moving_variance) + 1e-3))
              for name, layer in _batch_norms(before).items() if name in new]
    if not shifts:
        raise ValueError("no BatchNormalization layer in common between the two models")
    return float(np.mean(shifts))
