"""Checkers for lesson 06 (transfer learning): the frozen base with a new head, the feature cache,
and unfreezing the top layers with BatchNormalization kept frozen (so in inference mode).

The references are in :mod:`course_utils.transfer`: ``frozen_base_with_head``, ``extract_features``
and ``unfreeze_top``. Each case builds a tiny Keras model (a few convolutions with BatchNormalization
whose running statistics are far from a batch's own, so inference and training mode differ), runs
the student's function on it and names the usual mistakes.

Usage::

    from course_utils.exercises.lesson06 import check_frozen_base_with_head
    frozen_base_with_head = check_frozen_base_with_head(frozen_base_with_head).use
"""

from __future__ import annotations

import pickle
import tempfile
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import keras
import numpy as np
from keras import layers

from course_utils.checks import Case, CheckResult, array_problem, as_float_array, run_check
from course_utils.transfer import extract_features, frozen_base_with_head, unfreeze_top


def _tiny_base(seed: int, side: int = 12, channels: int = 3, width: int = 6):
    """conv-BN-ReLU twice, global average pooling: ``width`` features; BN statistics set far off."""
    keras.utils.set_random_seed(seed)
    inputs = keras.Input((side, side, channels), name="image")
    x = inputs
    for i in range(2):
        x = layers.Conv2D(width, 3, padding="same", use_bias=False, name=f"block{i}_conv")(x)
        x = layers.BatchNormalization(name=f"block{i}_bn")(x)
        x = layers.ReLU(name=f"block{i}_relu")(x)
    outputs = layers.GlobalAveragePooling2D(name="avg_pool")(x)
    base = keras.Model(inputs, outputs, name=f"tiny_base_{seed}")
    rng = np.random.default_rng(seed)
    for i in range(2):   # running mean and variance unlike any batch's: the two BN modes disagree
        bn = base.get_layer(f"block{i}_bn")
        gamma, beta, _, _ = bn.get_weights()
        bn.set_weights([gamma, beta, rng.normal(0.3, 0.3, width).astype("float32"),
                        rng.uniform(0.2, 0.5, width).astype("float32")])
    return base


def _images(seed: int, n: int, side: int = 12) -> np.ndarray:
    return np.random.default_rng(seed).normal(size=(n, side, side, 3)).astype("float32")


def _with_use(result: CheckResult, probe: Callable, fn: Callable) -> CheckResult:
    """run_check hands back the probe that wrapped the student's function: give the function itself."""
    return replace(result, use=fn) if result.use is probe else result


# --- exercise 1: the frozen base with a new head ------------------------------------------------

def _head_probe(fn: Callable) -> Callable:
    def probe(seed: int, num_classes: int) -> dict[str, Any]:
        base = _tiny_base(seed)
        model = fn(base, num_classes, 0.0)
        x = _images(seed, 5)
        summary = {"model": model, "features": base.output_shape[-1], "base_params": base.count_params()}
        if hasattr(model, "trainable_weights") and callable(model):
            summary["trainable"] = int(sum(np.prod(w.shape) for w in model.trainable_weights))
            summary["out"] = np.asarray(model(x, training=False))
        return summary
    return probe


def _head_problem(out: Any, seed: int, num_classes: int) -> str | None:
    if "out" not in out:
        return f"returned {type(out['model']).__name__}, expected a keras.Model"
    problem = array_problem(out["out"], (5, num_classes))
    if problem is not None:
        return f"{problem}: the new head needs one unit per class ({num_classes})"
    probs = as_float_array(out["out"])
    if np.any(probs < 0) or not np.allclose(probs.sum(axis=1), 1.0, atol=1e-4):
        return "outputs are not probabilities: give the new Dense layer activation='softmax'"
    expected = out["features"] * num_classes + num_classes
    if out["trainable"] == expected + out["base_params"] or out["trainable"] > expected:
        return (f"{out['trainable']} trainable parameters, expected {expected} (the head only): "
                "freeze the base, base.trainable = False")
    if out["trainable"] < expected:
        return f"{out['trainable']} trainable parameters, expected {expected}: the head must be trainable"
    return None


def check_frozen_base_with_head(fn: Callable) -> CheckResult:
    """Check ``fn(base, num_classes, dropout)``: the base frozen, then a new softmax head with one unit per class.

    Usage: ``frozen_base_with_head = check_frozen_base_with_head(frozen_base_with_head).use``.
    """
    cases = [Case(f"tiny base (seed {seed}, 6 features), {k} classes", (seed, k),
                  hint="base.trainable = False; x = base(inputs, training=False); Dense(k, 'softmax')")
             for seed, k in ((0, 10), (1, 3), (2, 5))]
    probe = _head_probe(fn)
    result = run_check("frozen_base_with_head", probe, cases, reference=frozen_base_with_head,
                       diagnose=_head_problem)
    return _with_use(result, probe, fn)


# --- exercise 2: the feature cache ---------------------------------------------------------------

def _cache_probe(fn: Callable) -> Callable:
    def probe(seed: int, n: int) -> dict[str, Any]:
        base, x = _tiny_base(seed), _images(seed, n)
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "features.npy"
            first = fn(base, x, str(path))
            saved = np.load(path, allow_pickle=False) if path.is_file() else None
            marker = np.full((n, base.output_shape[-1]), 7.0, dtype="float32")
            np.save(path, marker, allow_pickle=False)
            second = fn(base, x, str(path))
            with open(path, "wb") as fh:   # a pickled object array: loading it may run code
                np.lib.format.write_array(fh, np.array([{"pickled": 1}] * n, dtype=object), allow_pickle=True)
            try:
                third = fn(base, x, str(path))
                pickled_loaded = isinstance(third, np.ndarray) and third.dtype == object
            except (ValueError, pickle.UnpicklingError):
                pickled_loaded = False
        return {"first": first, "saved": saved, "second": second, "pickled_loaded": pickled_loaded,
                "expected": np.asarray(base(x, training=False))}
    return probe


def _cache_problem(out: Any, seed: int, n: int) -> str | None:
    expected = out["expected"]
    problem = array_problem(out["first"], expected.shape)
    if problem is not None:
        return f"{problem}: return model.predict(images), one row of features per image"
    if not np.allclose(as_float_array(out["first"]), expected, atol=1e-4):
        return "the features differ from model.predict(images)"
    if out["saved"] is None:
        return "no file at path after the first call: np.save(path, features, allow_pickle=False)"
    if out["saved"].shape != expected.shape or not np.allclose(out["saved"], expected, atol=1e-4):
        return "the file at path does not hold the features: np.save(path, features)"
    second = as_float_array(out["second"])
    if second is None or second.shape != expected.shape or not np.all(second == 7.0):
        return ("the second call recomputed the features instead of reading the file: "
                "if the file exists, return np.load(path, allow_pickle=False)")
    if out["pickled_loaded"]:
        return "loaded a pickled file (it can run code): np.load(path, allow_pickle=False)"
    return None


def check_extract_features(fn: Callable) -> CheckResult:
    """Check ``fn(model, images, path)``: the features, saved at ``path``, read back from it next time,
    never unpickled.

    Usage: ``extract_features = check_extract_features(extract_features).use``.
    """
    cases = [Case(f"tiny base (seed {seed}), {n} images", (seed, n),
                  hint="if path exists: np.load(path, allow_pickle=False); else predict, np.save, return")
             for seed, n in ((3, 4), (4, 9), (5, 1))]
    probe = _cache_probe(fn)
    result = run_check("extract_features", probe, cases, reference=extract_features, diagnose=_cache_problem)
    return _with_use(result, probe, fn)


# --- exercise 3: unfreeze the top, BatchNormalization stays frozen -------------------------------

def _unfreeze_probe(fn: Callable) -> Callable:
    def probe(seed: int, first: str) -> dict[str, Any]:
        base = _tiny_base(seed)
        base.trainable = False   # as after feature extraction
        fn(base, first)
        names = [layer.name for layer in base.layers]
        return {"names": names, "first": names.index(first), "model_trainable": base.trainable,
                "trainable": np.array([layer.trainable for layer in base.layers], dtype=float),
                "is_bn": np.array([isinstance(layer, keras.layers.BatchNormalization) for layer in base.layers]),
                "weighted": np.array([bool(layer.weights) for layer in base.layers])}
    return probe


def _unfreeze_problem(out: Any, seed: int, first: str) -> str | None:
    flags, is_bn, cut = out["trainable"], out["is_bn"], out["first"]
    problem = array_problem(flags, (len(out["names"]),), "the trainable flags")
    if problem is not None:
        return problem
    if not out["model_trainable"]:
        return "the model itself is still frozen (model.trainable = False hides every layer): set it True"
    above = np.arange(len(flags)) >= cut
    if np.any(flags[is_bn] > 0):
        return "a BatchNormalization layer is trainable: keep every BN layer frozen (inference mode)"
    if np.any(flags[~above & out["weighted"]] > 0):
        return f"layers below {first!r} are trainable: freeze everything before it"
    if np.any(flags[above & ~is_bn & out["weighted"]] == 0):
        missing = [n for n, f, a, b, w in zip(out["names"], flags, above, is_bn, out["weighted"])
                   if a and not b and w and not f]
        return f"{', '.join(missing)} should be trainable: unfreeze every non-BN layer from {first!r} on"
    return None


def check_unfreeze_top(fn: Callable) -> CheckResult:
    """Check ``fn(model, first)``: layers from ``first`` on trainable, earlier ones and every BN frozen.

    Usage: ``unfreeze_top = check_unfreeze_top(unfreeze_top).use``.
    """
    cases = [Case(f"tiny base (seed {seed}), unfreeze from {first!r}", (seed, first),
                  hint="model.trainable = True, then layer.trainable = (after first) and not BatchNormalization")
             for seed, first in ((6, "block1_conv"), (7, "block0_conv"), (8, "block1_relu"))]
    probe = _unfreeze_probe(fn)
    result = run_check("unfreeze_top", probe, cases, reference=unfreeze_top, diagnose=_unfreeze_problem)
    return _with_use(result, probe, fn)
