"""Regenerate course_utils/shipped/robust_fashion_cnn.weights.h5, lesson 10's PGD-trained CNN.

Trains lesson 05's architecture (``course_utils.models.build_fashion_cnn``) by PGD adversarial
training (Madry et al. 2018) at eps = 0.1 (L-inf) with ``ROBUST_FASHION_CNN_RECIPE``, on the first
55,000 Fashion-MNIST training images; 2,000 of the last 5,000 are the validation images on which
clean, FGSM and PGD-10 accuracy are watched at every epoch (no early stopping, no tuning on test).
The test set is touched once per seed, at the end: clean accuracy, FGSM and PGD-40 accuracy
(step 0.01, random start; ``course_utils.attacks``) at eps = 0.1 on all 10,000 test images.
The first seed's weights are kept.

The reference unit of time (``course_utils.speed``) is measured before the first and after the
last training, and each training time is also recorded in units (seconds / mean of the two).

With ``--update`` it writes into ``course_utils/shipped/``, each with its manifest entry:

- ``robust_fashion_cnn.weights.h5``: SHA-256, the kept seed's test accuracies, their mean and
  spread over the seeds, and the training times (seconds and units);
- ``robust_fashion_cnn.history.json``: the kept seed's per-epoch record and every seed's numbers.

Usage: ``python tools/train_robust_cnn.py [--seeds 0 1 2] [--epochs 7] [--update]``
(about 10-20 reference units per seed).
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
import shipping

from course_utils import attacks, manifest, models
from course_utils.adversarial_training import AdversarialTrainer, RobustnessMonitor
from course_utils.config import seed_everything
from course_utils.data import load_fashion_mnist
from course_utils.inference import accuracy
from course_utils.paths import sha256_of, shipped_path
from course_utils.progress import EpochTimer

ROOT = Path(__file__).resolve().parent.parent

MADE_BY = "tools/train_robust_cnn.py"
N_VAL = 2_000          # validation images watched per epoch (from the held-out last 5,000)


def _data():
    (x_all, y_all), (x_test, y_test) = load_fashion_mnist()
    return models.preprocess(x_all), y_all.astype("int32"), models.preprocess(x_test), y_test.astype("int32")


def evaluate(network, x, y, eps: float, steps: int, alpha: float, seed: int) -> dict[str, float]:
    """Clean, FGSM and PGD accuracy of ``network`` on ``(x, y)`` with the reference attacks."""
    return {"clean_accuracy": accuracy(network, x, y),
            "fgsm_accuracy": attacks.robust_accuracy(network, x, y, attacks.fgsm, eps=eps),
            f"pgd{steps}_accuracy": attacks.pgd_accuracy(network, x, y, eps, alpha, steps, seed=seed)}


def train_one(seed: int, epochs: int, out: Path) -> tuple[dict[str, float], float, dict]:
    """Train with ``seed`` and save the network's weights to ``out``; return (test numbers, seconds, record)."""
    recipe = models.ROBUST_FASHION_CNN_RECIPE
    seed_everything(seed)
    x_all, y_all, x_test, y_test = _data()
    n = recipe["n_train"]
    network = models.build_fashion_cnn(dropout=recipe["dropout"])
    trainer = AdversarialTrainer(network, attack=recipe["attack"], eps=recipe["eps"], alpha=recipe["alpha"],
                                 steps=recipe["steps"])
    total_steps = epochs * math.ceil(n / recipe["batch_size"])
    trainer.compile(optimizer=keras.optimizers.Adam(
        shipping.cosine_schedule(total_steps, recipe["peak_lr"], recipe["warmup_fraction"])))
    monitor = RobustnessMonitor(x_all[n:n + N_VAL], y_all[n:n + N_VAL], eps=recipe["eps"], pgd_steps=10)
    timer = EpochTimer()
    shown = keras.callbacks.LambdaCallback(on_epoch_end=lambda epoch, logs: print(
        f"  epoch {epoch + 1}: {timer.seconds[-1]:.0f} s {({k: round(float(v), 4) for k, v in logs.items()})}",
        flush=True))
    start = time.perf_counter()
    history = trainer.fit(x_all[:n], y_all[:n], batch_size=recipe["batch_size"], epochs=epochs, verbose=0,
                          callbacks=[monitor, timer, shown])
    seconds = time.perf_counter() - start
    network.save_weights(str(out))
    test = evaluate(network, x_test, y_test, recipe["eps"], recipe["eval_steps"], recipe["eval_alpha"], seed)
    print(f"seed {seed}: {epochs} epochs in {seconds:.0f} s; test " +
          ", ".join(f"{k} {v:.4f}" for k, v in test.items()), flush=True)
    record = {"seed": seed, "n_train": n, "n_val": N_VAL, "test": {k: round(v, 4) for k, v in test.items()},
              "history": {k: [round(float(v), 5) for v in vs] for k, vs in history.history.items()},
              "epoch_seconds": [round(s, 2) for s in timer.seconds], "train_seconds": round(seconds, 1)}
    return test, seconds, record


def main(argv: list[str] | None = None) -> int:
    recipe = models.ROBUST_FASHION_CNN_RECIPE
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0],
                        help="one training per seed; the first seed's weights are kept (default: 0)")
    parser.add_argument("--epochs", type=int, default=recipe["epochs"])
    parser.add_argument("--update", action="store_true",
                        help="write the weights, the history and their manifest entries into course_utils/shipped/")
    args = parser.parse_args(argv)
    if args.epochs < 1:
        parser.error(f"--epochs must be >= 1, got {args.epochs}")

    from course_utils.speed import measure_reference

    unit_before = measure_reference()
    print(f"reference unit before: {unit_before:.1f} s", flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        results = [train_one(seed, args.epochs, Path(tmp) / f"seed{seed}.weights.h5") for seed in args.seeds]
        unit_after = measure_reference()
        unit = (unit_before + unit_after) / 2
        print(f"reference unit after: {unit_after:.1f} s (mean {unit:.1f} s)")
        kept = Path(tmp) / f"seed{args.seeds[0]}.weights.h5"
        names = list(results[0][0])
        spreads = {name: manifest.spread([test[name] for test, _, _ in results], args.seeds) for name in names}
        for name, spread in spreads.items():
            print(f"{name} over seeds {args.seeds}: mean {spread['mean']:.4f}, std {spread['std']:.4f}")
        units = [round(s / unit, 1) for _, s, _ in results]
        print(f"training time per seed: {units} units; kept seed {args.seeds[0]}: SHA-256 {sha256_of(kept)}")
        history = dict(results[0][2], recipe=recipe, seeds=[r for _, _, r in results],
                       reference_unit_s=[round(unit_before, 2), round(unit_after, 2)])
        for r in history["seeds"]:
            r.pop("history")
        if args.update:
            target = shipped_path(models.ROBUST_FASHION_CNN_FILE)
            shutil.copy(kept, target)
            shipping.write_entry(models.ROBUST_FASHION_CNN_FILE, MADE_BY, results[0][0], spreads,
                                 train_seconds=[round(s, 1) for _, s, _ in results], train_units=units,
                                 reference_unit_s=[round(unit_before, 2), round(unit_after, 2)],
                                 epochs=args.epochs, recipe=recipe,
                                 evaluation=(f"all {len(_data()[3])} test images, eps {recipe['eps']} L-inf; "
                                             f"PGD-{recipe['eval_steps']} step {recipe['eval_alpha']}, "
                                             "random start; FGSM with the true labels"))
            history_path = shipped_path(models.ROBUST_FASHION_CNN_HISTORY_FILE)
            history_path.write_text(json.dumps(history, indent=1, sort_keys=True) + "\n", encoding="utf-8")
            shipping.write_entry(models.ROBUST_FASHION_CNN_HISTORY_FILE, MADE_BY, results[0][0],
                                 seed=args.seeds[0], weights=models.ROBUST_FASHION_CNN_FILE)
            print(f"wrote {target.relative_to(ROOT)}, {history_path.relative_to(ROOT)} and their entries "
                  f"in {manifest.manifest_path().relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
