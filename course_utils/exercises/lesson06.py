"""Checkers for lesson 06 (transfer learning): the frozen base with a new head (dropout active in
training), the feature cache, and the second stage of fine-tuning (the top layers unfrozen,
BatchNormalization kept frozen, so in inference mode, and the model recompiled at a learning rate
10-100 times lower).

The references are in :mod:`course_utils.transfer`: ``frozen_base_with_head``, ``extract_features``
and ``start_fine_tuning``. Each case builds a tiny Keras model (a few convolutions with BatchNormalization
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
from course_utils.transfer import extract_features, frozen_base_with_head, start_fine_tuning


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
    def probe(seed: int, num_classes: int, dropout: float) -> dict[str, Any]:
        base = _tiny_base(seed)
        model = fn(base, num_classes, dropout)
        x = _images(seed, 64)
        summary = {"model": model, "features": base.output_shape[-1], "base_params": base.count_params()}
        if hasattr(model, "trainable_weights") and callable(model):
            summary["trainable"] = int(sum(np.prod(w.shape) for w in model.trainable_weights))
            summary["out"] = np.asarray(model(x, training=False))
            keras.utils.set_random_seed(seed)
            summary["train"] = np.asarray(model(x, training=True))
            summary["rates"] = [layer.rate for layer in model.layers if isinstance(layer, layers.Dropout)]
        return summary
    return probe


def _head_problem(out: Any, seed: int, num_classes: int, dropout: float) -> str | None:
    if "out" not in out:
        return f"returned {type(out['model']).__name__}, expected a keras.Model"
    problem = array_problem(out["out"], (64, num_classes))
    if problem is not None:
        return f"{problem}: the new head needs one unit per class ({num_classes})"
    probs = as_float_array(out["out"])
    if np.any(probs < 0) or not np.allclose(probs.sum(axis=1), 1.0, atol=1e-4):
        return "outputs are not probabilities: give the new Dense layer activation='softmax'"
    expected = out["features"] * num_classes + num_classes
    if out["trainable"] == expected + out["base_params"] or out["trainable"] > expected:
        return (f"{out['trainable']} trainable parameters, expected {expected} (the head only): "
                "freeze the base, base.trainable = False (its BatchNormalization too)")
    if out["trainable"] < expected:
        return f"{out['trainable']} trainable parameters, expected {expected}: the head must be trainable"
    rates = out["rates"]
    if dropout > 0 and not rates:
        return f"no Dropout layer: with dropout={dropout} the head must drop features in training"
    if not np.isclose(sum(rates), dropout):
        return f"Dropout rate(s) {rates} for dropout={dropout}: use the argument, Dropout(dropout)"
    train = as_float_array(out["train"])
    if not np.allclose(train.sum(axis=1), 1.0, atol=1e-4):
        return "in training mode the outputs are not probabilities: dropout goes before the Dense softmax layer"
    if dropout > 0 and np.allclose(train, probs, atol=1e-6):
        return f"with dropout={dropout} the outputs in training mode equal inference mode: dropout is not active"
    return None


def check_frozen_base_with_head(fn: Callable) -> CheckResult:
    """Check ``fn(base, num_classes, dropout)``: the base frozen, then dropout at the given rate (active in
    training) and a new softmax head with one unit per class.

    Usage: ``frozen_base_with_head = check_frozen_base_with_head(frozen_base_with_head).use``.
    """
    cases = [Case(f"tiny base (seed {seed}, 6 features), {k} classes, dropout {rate}", (seed, k, rate),
                  hint="base.trainable = False; x = base(inputs); Dropout(dropout)(x); Dense(k, 'softmax')")
             for seed, k, rate in ((0, 10, 0.5), (1, 3, 0.25), (2, 5, 0.0))]
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


# --- exercise 3: the second stage, top unfrozen, BatchNormalization frozen, a lower learning rate --

HEAD_LR = 1e-3   # the learning rate the probe's model was compiled with for the first stage


def _second_stage_probe(fn: Callable) -> Callable:
    def probe(seed: int, first: str) -> dict[str, Any]:
        base = _tiny_base(seed)
        inputs = keras.Input(base.input_shape[1:])
        model = keras.Model(inputs, layers.Dense(3, activation="softmax")(base(inputs)))
        base.trainable = False   # as after the first stage, which trained the head
        first_optimizer = keras.optimizers.Adam(HEAD_LR)
        model.compile(optimizer=first_optimizer, loss="sparse_categorical_crossentropy")
        returned = fn(model, base, first, HEAD_LR)
        names = [layer.name for layer in base.layers]
        return {"returned": returned, "model": model, "first_optimizer": first_optimizer,
                "names": names, "first": names.index(first), "model_trainable": base.trainable,
                "trainable": np.array([layer.trainable for layer in base.layers], dtype=float),
                "is_bn": np.array([isinstance(layer, keras.layers.BatchNormalization) for layer in base.layers]),
                "weighted": np.array([bool(layer.weights) for layer in base.layers])}
    return probe


def _unfrozen_problem(out: dict[str, Any], first: str) -> str | None:
    flags, is_bn, cut = out["trainable"], out["is_bn"], out["first"]
    if not out["model_trainable"]:
        return "the base itself is still frozen (base.trainable = False hides every layer): set it True"
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


def _second_stage_problem(out: Any, seed: int, first: str) -> str | None:
    returned = out["returned"]
    if returned is None:
        return "returned None: return the model, recompiled (the notebook trains what you return)"
    if returned is not out["model"]:
        return f"returned {type(returned).__name__}, not the model passed in: recompile it and return it"
    problem = _unfrozen_problem(out, first)
    if problem is not None:
        return problem
    optimizer = returned.optimizer
    if optimizer is None or optimizer is out["first_optimizer"]:
        return "the model was not recompiled: a change of trainable takes effect at model.compile(...)"
    rate = float(keras.ops.convert_to_numpy(optimizer.learning_rate))
    if not HEAD_LR / 100 * (1 - 1e-6) <= rate <= HEAD_LR / 10 * (1 + 1e-6):
        return (f"learning rate {rate:g} is the head's {HEAD_LR:g} divided by {HEAD_LR / rate:.3g}: "
                "use one 10 to 100 times lower")
    if returned.loss is None:
        return "compiled without a loss: loss='sparse_categorical_crossentropy'"
    return None


def check_start_fine_tuning(fn: Callable) -> CheckResult:
    """Check ``fn(model, base, first, head_learning_rate)``: the base's layers from ``first`` on trainable,
    earlier ones and every BN frozen, ``model`` recompiled at a learning rate 10-100 times lower, returned.

    Usage: ``start_fine_tuning = check_start_fine_tuning(start_fine_tuning).use``.
    """
    cases = [Case(f"tiny base (seed {seed}), unfreeze from {first!r}, head lr {HEAD_LR:g}", (seed, first),
                  hint="base.trainable = True; per layer: after first and not BN; "
                       "model.compile(Adam(head_learning_rate / 10), ...); return model")
             for seed, first in ((6, "block1_conv"), (7, "block0_conv"), (8, "block1_relu"))]
    probe = _second_stage_probe(fn)
    result = run_check("start_fine_tuning", probe, cases, reference=start_fine_tuning,
                       diagnose=_second_stage_problem)
    return _with_use(result, probe, fn)
