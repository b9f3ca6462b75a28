"""Regenerate course_utils/shipped/augmentation_runs.history.json, lesson 07's small-data experiment.

For each seed and each condition (no augmentation, the deck's ImageDataGenerator settings as Keras 3
layers, task-respecting settings; ``course_utils.augmentation.condition_augmentation``) it trains
``build_small_cnn`` with ``AUGMENTATION_RECIPE`` on a class-balanced subset of the first 55,000
Fashion-MNIST training images (100 per class, drawn with the seed), watching clean training accuracy
and validation accuracy (the first 1,000 of the last 5,000 training images) every epoch. The test set
(all 10,000 images) is touched once per run, at the end. Nothing is tuned on it.

The reference unit of time (``course_utils.speed``) is measured before the first and after the last
training; each run's time is also recorded in units.

With ``--update`` it writes ``course_utils/shipped/augmentation_runs.history.json`` and its manifest
entry (SHA-256, mean test accuracy per condition, their spread over the seeds, training times).

Usage: ``python tools/train_augmentation_runs.py [--seeds 0 1 2] [--epochs 40] [--update]``
(about 10-20 reference units in all).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import shipping

from course_utils import augmentation as aug
from course_utils import manifest
from course_utils.inference import accuracy
from course_utils.paths import shipped_path

ROOT = Path(__file__).resolve().parent.parent

MADE_BY = "tools/train_augmentation_runs.py"


def run_one(condition: str, seed: int, epochs: int) -> dict:
    """One training run; returns its record (history, test accuracy, seconds)."""
    recipe = aug.AUGMENTATION_RECIPE
    (x, y), val, (x_test, y_test) = aug.experiment_data(seed, recipe["n_per_class"], recipe["n_val"])
    start = time.perf_counter()
    net, history = aug.train_small_data(x, y, val, aug.condition_augmentation(condition, seed), epochs=epochs,
                                        seed=seed, batch_size=recipe["batch_size"], lr=recipe["lr"],
                                        width=recipe["width"])
    seconds = time.perf_counter() - start
    test = accuracy(net, x_test, y_test, compiled=False)
    print(f"{condition:5s} seed {seed}: {seconds:.0f} s, clean train {history['clean_accuracy'][-1]:.3f}, "
          f"val {history['val_accuracy'][-1]:.3f}, test {test:.4f}", flush=True)
    return {"condition": condition, "seed": seed, "test_accuracy": round(test, 4),
            "train_seconds": round(seconds, 1),
            "history": {k: [round(v, 4) for v in vs] for k, vs in history.items()}}


def main(argv: list[str] | None = None) -> int:
    recipe = aug.AUGMENTATION_RECIPE
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=recipe["seeds"])
    parser.add_argument("--epochs", type=int, default=recipe["epochs"])
    parser.add_argument("--update", action="store_true",
                        help="write the history file and its manifest entry into course_utils/shipped/")
    args = parser.parse_args(argv)
    if args.epochs < 1:
        parser.error(f"--epochs must be >= 1, got {args.epochs}")

    from course_utils.speed import measure_reference

    unit_before = measure_reference()
    print(f"reference unit before: {unit_before:.1f} s", flush=True)
    runs = [run_one(condition, seed, args.epochs) for seed in args.seeds for condition in recipe["conditions"]]
    unit_after = measure_reference()
    unit = (unit_before + unit_after) / 2
    print(f"reference unit after: {unit_after:.1f} s (mean {unit:.1f} s)")
    spreads = {f"{c}_test_accuracy": manifest.spread([r["test_accuracy"] for r in runs if r["condition"] == c],
                                                     args.seeds) for c in recipe["conditions"]}
    for name, spread in spreads.items():
        print(f"{name} over seeds {args.seeds}: mean {spread['mean']:.4f}, std {spread['std']:.4f}")
    units = round(sum(r["train_seconds"] for r in runs) / unit, 1)
    print(f"total training time: {units} reference units")
    record = {"recipe": dict(recipe, epochs=args.epochs, seeds=args.seeds), "runs": runs, "spread": spreads,
              "reference_unit_s": [round(unit_before, 2), round(unit_after, 2)], "train_units": units}
    if args.update:
        path = shipped_path(aug.AUGMENTATION_RUNS_FILE)
        path.write_text(json.dumps(record, indent=1, sort_keys=True) + "\n", encoding="utf-8")
        shipping.write_entry(aug.AUGMENTATION_RUNS_FILE, MADE_BY,
                             {name: s["mean"] for name, s in spreads.items()}, spreads,
                             train_units=units, reference_unit_s=record["reference_unit_s"],
                             epochs=args.epochs, recipe=record["recipe"],
                             evaluation="all 10000 test images, once per run, after the last epoch")
        print(f"wrote {path.relative_to(ROOT)} and its entry in {manifest.manifest_path().relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
