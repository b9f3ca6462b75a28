"""Regenerate course_utils/shipped/fashion_cnn.weights.h5, the lesson 05 CNN later lessons load in a second.

Trains ``course_utils.models.build_fashion_cnn()`` with ``FASHION_CNN_RECIPE`` on the first
55,000 Fashion-MNIST training images (the last 5,000 are the validation set for early
stopping) once per seed, reports each run's test accuracy and training time, and saves the
weights of the first seed's run. It then trains lesson 05's two comparison models (the MLP and
the classic Keras convnet, ``FASHION_BASELINES_RECIPE``) once, with the first seed.

With ``--update`` it writes into ``course_utils/shipped/``, each with its manifest entry:

- ``fashion_cnn.weights.h5``: SHA-256, the kept run's test accuracy, and the mean and spread
  over the seeds (so a lesson's threshold is not one seed's luck);
- ``fashion_cnn.history.json``: the kept run's training history (per-epoch loss and accuracy,
  training and validation, and seconds per epoch) and the comparison models' numbers, which
  lesson 05 shows in presenter mode instead of training.

With ``--baselines-only`` it retrains only the comparison models and rewrites their numbers in the
shipped history (after a change to ``FASHION_BASELINES_RECIPE``), keeping the CNN, its weights and
its curves as they are.

Usage: ``python tools/train_fashion_cnn.py [--seeds 0 1 2] [--epochs 16] [--update] [--baselines-only]``
(about 4-6 minutes per seed on 2 CPU cores, plus about a minute for the comparison models).
"""

from __future__ import annotations

import argparse
import json
import math
import shutil
import sys
import tempfile
import time
from pathlib import Path

import keras
import numpy as np
import shipping

from course_utils import manifest, models
from course_utils.config import seed_everything
from course_utils.data import load_fashion_mnist
from course_utils.paths import sha256_of, shipped_path
from course_utils.progress import EpochTimer

ROOT = Path(__file__).resolve().parent.parent
MADE_BY = "tools/train_fashion_cnn.py"


def train_fashion_cnn(x_train: np.ndarray, y_train: np.ndarray, validation_data=None, epochs: int | None = None,
                      callbacks=(), verbose: int = 2):
    """Train a fresh ``models.build_fashion_cnn`` with the lesson 05 recipe; returns ``(model, history)``.

    Recipe (``models.FASHION_CNN_RECIPE``): Adam, cosine schedule with warm-up, batch 128, random
    horizontal flips, early stopping on the validation accuracy when validation data is given.
    Usage: ``model, history = train_fashion_cnn(preprocess(x), y, (preprocess(xv), yv))``.
    """
    recipe = models.FASHION_CNN_RECIPE
    epochs = epochs or recipe["epochs"]
    model = models.build_fashion_cnn()
    trainer = keras.Sequential([keras.Input((28, 28, 1)), keras.layers.RandomFlip("horizontal"), model])
    steps = epochs * math.ceil(len(x_train) / recipe["batch_size"])
    schedule = shipping.cosine_schedule(steps, recipe["peak_lr"], recipe["warmup_fraction"])
    trainer.compile(optimizer=keras.optimizers.Adam(schedule), loss="sparse_categorical_crossentropy",
                    metrics=["accuracy"])
    callbacks = list(callbacks)
    if validation_data is not None:
        callbacks.append(keras.callbacks.EarlyStopping(monitor="val_accuracy", patience=3, restore_best_weights=True))
    history = trainer.fit(x_train, y_train, batch_size=recipe["batch_size"], epochs=epochs,
                          validation_data=validation_data, callbacks=callbacks, verbose=verbose)
    model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    return model, history


def _data():
    (x_all, y_all), (x_test, y_test) = load_fashion_mnist()
    return models.preprocess(x_all), y_all, models.preprocess(x_test), y_test


def train_one(seed: int, epochs: int, out: Path) -> tuple[float, float, dict]:
    """Train with ``seed``, save the weights to ``out``; return (test accuracy, seconds, history)."""
    seed_everything(seed)
    x_all, y_all, x_test, y_test = _data()
    n = models.FASHION_CNN_RECIPE["n_train"]
    timer = EpochTimer()
    start = time.perf_counter()
    model, history = train_fashion_cnn(x_all[:n], y_all[:n], (x_all[n:], y_all[n:]), epochs=epochs,
                                              callbacks=[timer])
    seconds = time.perf_counter() - start
    accuracy = float(model.evaluate(x_test, y_test, batch_size=1000, verbose=0)[1])
    model.save_weights(str(out))
    print(f"seed {seed}: {len(history.history['loss'])} epochs in {seconds:.0f} s, test accuracy {accuracy:.4f}",
          flush=True)
    record = {"seed": seed, "n_train": n, "test_accuracy": round(accuracy, 4),
              "history": {k: [round(float(v), 5) for v in vs] for k, vs in history.history.items()},
              "epoch_seconds": [round(s, 2) for s in timer.seconds]}
    return accuracy, seconds, record


def train_baselines(seed: int) -> dict[str, dict]:
    """Lesson 05's comparison models, trained as the lesson trains them; their numbers by name."""
    recipe = models.FASHION_BASELINES_RECIPE
    x_all, y_all, x_test, y_test = _data()
    n = recipe["n_train"]
    rows = {}
    for name, build in (("mlp", models.build_mlp), ("classic_convnet", models.build_classic_convnet)):
        seed_everything(seed)
        net, timer = build(), EpochTimer()
        net.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
        net.fit(x_all[:n], y_all[:n], batch_size=recipe["batch_size"], epochs=recipe["epochs"][name],
                callbacks=[timer], verbose=0)
        accuracy = float(net.evaluate(x_test, y_test, batch_size=1000, verbose=0)[1])
        rows[name] = {"parameters": int(net.count_params()), "epochs": recipe["epochs"][name], "n_train": n,
                      "seconds_per_epoch": round(sum(timer.seconds) / len(timer.seconds), 2),
                      "test_accuracy": round(accuracy, 4), "seed": seed}
        print(f"{name}: {rows[name]}", flush=True)
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[models.FASHION_CNN_RECIPE["seed"]],
                        help="one training per seed; the first seed's weights are kept (default: 0)")
    parser.add_argument("--epochs", type=int, default=models.FASHION_CNN_RECIPE["epochs"])
    parser.add_argument("--update", action="store_true",
                        help="write the weights, the history and their manifest entries into course_utils/shipped/")
    parser.add_argument("--baselines-only", action="store_true",
                        help="retrain only the comparison models and rewrite their numbers in the shipped history")
    args = parser.parse_args(argv)
    if args.baselines_only:
        return refresh_baselines(args.seeds[0], args.update)

    with tempfile.TemporaryDirectory() as tmp:
        results = [train_one(seed, args.epochs, Path(tmp) / f"seed{seed}.weights.h5") for seed in args.seeds]
        kept = Path(tmp) / f"seed{args.seeds[0]}.weights.h5"
        accuracies = [acc for acc, _, _ in results]
        spread = manifest.spread(accuracies, args.seeds)
        print(f"test accuracy over seeds {args.seeds}: mean {spread['mean']:.4f}, std {spread['std']:.4f}")
        print(f"kept seed {args.seeds[0]}: SHA-256 {sha256_of(kept)}")
        history = dict(results[0][2], baselines=train_baselines(args.seeds[0]))
        if args.update:
            target = shipped_path(models.FASHION_CNN_FILE)
            shutil.copy(kept, target)
            shipping.write_entry(models.FASHION_CNN_FILE, MADE_BY,
                                 {"test_accuracy": accuracies[0]}, {"test_accuracy": spread},
                                 train_seconds=[round(s, 1) for _, s, _ in results], epochs=args.epochs)
            history_path = write_history(history)
            print(f"wrote {target.relative_to(ROOT)}, {history_path.relative_to(ROOT)} and their entries "
                  f"in {manifest.manifest_path().relative_to(ROOT)}")
    return 0


def write_history(history: dict) -> Path:
    """Write the shipped history json and its manifest entry; return its path."""
    history_path = shipped_path(models.FASHION_CNN_HISTORY_FILE)
    history_path.write_text(json.dumps(history, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    shipping.write_entry(models.FASHION_CNN_HISTORY_FILE, MADE_BY,
                         {"test_accuracy": history["test_accuracy"],
                          "best_val_accuracy": max(history["history"]["val_accuracy"])},
                         seed=history["seed"], weights=models.FASHION_CNN_FILE)
    return history_path


def refresh_baselines(seed: int, update: bool) -> int:
    """Retrain the comparison models only; with ``update``, replace their numbers in the shipped history."""
    history = dict(models.fashion_cnn_history(), baselines=train_baselines(seed))
    if update:
        path = write_history(history)
        print(f"rewrote the comparison models in {path.relative_to(ROOT)} and its manifest entry")
    return 0


if __name__ == "__main__":
    sys.exit(main())
