"""Run a model over a batch of images, the one way the course does it: :func:`forward`.

Lessons 06-12 ask a model for four kinds of answer: its class probabilities (the softmax of its
``logits`` layer), its predicted labels, its logits, or its own outputs as they are (a VAE encoder's
``[mu, log_var, z]``, an explanation's probabilities). :func:`forward` gives each, in batches, in
inference mode, either through a compiled ``tf.function`` (one trace per model, kind and image
shape; several times faster when a model is called often) or eagerly (no trace: cheaper for a
model evaluated once or twice). The compiled functions live in :func:`compiled_for`'s cache, which
holds each model weakly: deleting a model frees its functions (the attacks use the same cache).

Usage::

    from course_utils.inference import accuracy, forward
    p = forward(model, x)                              # (N, classes) probabilities
    labels = forward(model, x, output="labels")        # (N,) int32
    acc = accuracy(model, x_test, y_test, compiled=False)
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Hashable
from typing import Any

import keras
import numpy as np
import tensorflow as tf

from course_utils.models import scores_model

OUTPUTS = ("probabilities", "labels", "logits", "outputs")
_CACHE: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def compiled_for(model: keras.Model, key: Hashable, build: Callable[[], Callable]) -> Callable:
    """The function ``build()`` made for ``model`` under ``key``, built once and kept while ``model`` lives.

    The cache holds ``model`` weakly, so the functions must not hold it strongly either (reach it
    through a ``weakref``, or through a sub-model such as :func:`course_utils.models.scores_model`).
    Usage: ``fn = compiled_for(model, ("fgsm", (28, 28, 1)), lambda: tf.function(...))``.
    """
    per_model = _CACHE.setdefault(model, {})
    if key not in per_model:
        per_model[key] = build()
    return per_model[key]


def _answer(net: Callable, x: tf.Tensor, output: str) -> Any:
    """``output`` of ``net`` (the scores model, or the model itself for ``"outputs"``) on ``x``."""
    out = net(x, training=False)
    if output == "probabilities":
        return tf.nn.softmax(out, axis=-1)
    if output == "labels":
        return tf.argmax(out, axis=-1, output_type=tf.int32)
    return out


def _network(model: keras.Model, output: str) -> Callable:
    """What :func:`forward` calls: the model up to its logits, or (``"outputs"``) the model itself.
    The model itself is reached through a weak reference, so a cached function does not keep it alive."""
    net = model if output == "outputs" else scores_model(model)
    if net is not model:
        return net
    ref = weakref.ref(model)
    return lambda x, training=False: ref()(x, training=training)


def _compiled(model: keras.Model, output: str, image_shape: tuple[int, ...]) -> Callable:
    def build() -> Callable:
        net = _network(model, output)
        spec = tf.TensorSpec([None, *image_shape], tf.float32)
        return tf.function(lambda x: _answer(net, x, output), input_signature=[spec])

    return compiled_for(model, ("forward", output, image_shape), build)


def _concatenate(parts: list[Any]) -> np.ndarray | list[np.ndarray]:
    if isinstance(parts[0], (list, tuple)):     # a model with several outputs: one array each
        return [np.concatenate([np.asarray(p[k]) for p in parts]) for k in range(len(parts[0]))]
    return np.concatenate([np.asarray(p) for p in parts])


def forward(model: keras.Model, x: np.ndarray, output: str = "probabilities", compiled: bool = True,
            batch_size: int = 256) -> np.ndarray | list[np.ndarray]:
    """``model`` over ``x`` in batches of ``batch_size``, in inference mode (no dropout, BN statistics frozen).

    ``output``: ``"probabilities"`` (softmax of the ``logits`` layer; a model without one is taken
    to output logits), ``"labels"`` (their argmax, int32), ``"logits"``, or ``"outputs"`` (the
    model's own outputs; a list of arrays for a model with several). ``compiled=True`` runs one
    cached ``tf.function`` per model, output and image shape; ``False`` calls the model eagerly.
    Usage: ``labels = forward(cnn, x_test, output="labels")``.
    """
    if output not in OUTPUTS:
        raise ValueError(f"output must be one of {OUTPUTS}, got {output!r}")
    if int(batch_size) != batch_size or batch_size < 1:
        raise ValueError(f"batch_size must be an integer >= 1, got {batch_size}")
    x = np.asarray(x, dtype=np.float32)
    if x.ndim < 2 or len(x) == 0:
        raise ValueError(f"x must be a non-empty batch (N, ...), got shape {x.shape}")
    if compiled:
        fn = _compiled(model, output, tuple(x.shape[1:]))
    else:
        net = _network(model, output)
        fn = lambda batch: _answer(net, tf.constant(batch), output)  # the eager twin
    return _concatenate([fn(x[i:i + batch_size]) for i in range(0, len(x), batch_size)])


def accuracy(model: keras.Model, x: np.ndarray, y: np.ndarray, compiled: bool = True,
             batch_size: int = 256) -> float:
    """Fraction of ``x`` whose predicted label (argmax of the logits) is ``y``.

    Usage: ``accuracy(model, x_test, y_test, compiled=False)`` for a model evaluated once.
    """
    y = np.asarray(y)
    if y.ndim != 1 or len(y) != len(x):
        raise ValueError(f"y must be 1-D with len(y) == len(x) == {len(x)}, got shape {y.shape}")
    return float(np.mean(forward(model, x, "labels", compiled, batch_size) == y))
