"""Regenerate course_utils/shipped/augmentation_runs.history.json, lesson 07's small-data experiment.

Three conditions (no augmentation, the deck's ImageDataGenerator settings as Keras 3 layers,
task-respecting settings; ``course_utils.augmentation.condition_augmentation``) train
``build_small_cnn`` on a class-balanced subset of the first 55,000 Fashion-MNIST training images
(100 per class, drawn with the seed), watching clean training accuracy and validation accuracy (the
first 1,000 of the last 5,000 training images) every epoch.

1. **Search** (validation split only, seed 0): every condition gets the same bounded search. Each
   width of ``AUGMENTATION_RECIPE["search_widths"]`` trains once with ``EarlyStoppingAfter`` (never
   before epoch 50, ``patience`` epochs after the best validation accuracy, at most ``max_epochs``),
   which gives two configurations: "50 epochs" (the weights and validation accuracy of its epoch 50,
   what a fixed 50-epoch run reaches) and "early stopping" (the best epoch's, whose weights are kept).
   The highest validation accuracy is chosen (ties: the smaller width, then 50 epochs). The test set
   is not touched.
2. **Final runs**: each condition's chosen configuration over the seeds; seed 0 is the search's own
   run (not trained again). The test set (all 10,000 images) is touched once per run, at the end.
   Nothing is tuned on it.

The reference unit of time (``course_utils.speed``) is measured before and after; each run's wall
and process CPU seconds are recorded, the totals in units.

``--conditions`` and ``--part`` run some conditions and write their part (the conditions are
independent, so three processes can share the work); ``--merge`` combines the parts. With
``--update`` it writes ``course_utils/shipped/augmentation_runs.history.json`` and its manifest entry
(SHA-256, mean test accuracy per condition and the gain of the task-respecting settings over no
augmentation in points, their spread over the seeds, the search, training times in units).

Usage: ``python tools/train_augmentation_runs.py [--seeds 0 1 2] [--update]``, or per condition
``... --conditions task --part build/aug_task.json`` then ``... --merge build/aug_*.json --update``
(about 20-40 reference units of training in all).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import keras
import numpy as np
import shipping

from course_utils import augmentation as aug
from course_utils import manifest
from course_utils.inference import accuracy
from course_utils.paths import shipped_path

ROOT = Path(__file__).resolve().parent.parent

MADE_BY = "tools/train_augmentation_runs.py"
STOPPINGS = aug.STOPPINGS


class KeepEpoch(keras.callbacks.Callback):
    """Keeps the weights of the trained model (augmentation layers and network) after epoch ``epoch``."""

    def __init__(self, epoch: int) -> None:
        super().__init__()
        self.epoch, self.weights = epoch, None

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        if epoch + 1 == self.epoch:
            self.weights = self.model.get_weights()


def data(seed: int):
    recipe = aug.AUGMENTATION_RECIPE
    return aug.experiment_data(seed, recipe["n_per_class"], recipe["n_val"])


def train(condition: str, seed: int, width: int, stopping: str, callbacks: tuple = ()):
    """One training run of ``condition`` with ``width`` and ``stopping``; returns (net, history, seconds, cpu s)."""
    (x, y), val, _ = data(seed)
    start, cpu = time.perf_counter(), time.process_time()
    net, history = aug.train_configuration(x, y, val, condition, seed, width, stopping, callbacks=callbacks)
    return net, history, time.perf_counter() - start, time.process_time() - cpu


def rounded(history: dict) -> dict:
    return {k: [round(v, 4) for v in vs] for k, vs in history.items()}


def search(condition: str, width: int) -> tuple[list[dict], dict]:
    """Seed 0, validation only: one early-stopped run read as its two configurations.

    Returns the two rows and, for each configuration, what the final stage needs to reuse the run as
    its seed 0 (the network, the weights of epoch 50, the history) without training it again."""
    keep = KeepEpoch(aug.AUGMENTATION_RECIPE["epochs"])
    net, history, seconds, cpu = train(condition, 0, width, STOPPINGS[1], (keep,))
    val = history["val_accuracy"]
    best, at = int(np.argmax(val)), keep.epoch - 1
    rows = []
    for stopping, epoch in zip(STOPPINGS, (at, best)):
        rows.append({"condition": condition, "width": width, "stopping": stopping, "epoch": epoch + 1,
                     "val_accuracy": round(val[epoch], 4), "clean_accuracy": round(history["clean_accuracy"][epoch], 4),
                     "epochs_run": len(val), "train_seconds": round(seconds, 1), "cpu_seconds": round(cpu, 1)})
        print(f"search {condition:5s} width {width:3d} {stopping:15s} val {val[epoch]:.4f} (epoch {epoch + 1}, "
              f"clean {history['clean_accuracy'][epoch]:.3f})", flush=True)
    print(f"  {len(val)} epochs in {seconds:.0f} s ({cpu:.0f} s of CPU)", flush=True)
    fixed = {k: v[:keep.epoch] for k, v in history.items()}
    return rows, {STOPPINGS[0]: (net, keep, fixed, seconds, cpu), STOPPINGS[1]: (net, None, history, seconds, cpu)}


def choose(rows: list[dict], condition: str) -> dict:
    """The condition's configuration with the highest validation accuracy (ties: smaller width, 50 epochs)."""
    mine = [r for r in rows if r["condition"] == condition]
    best = max(mine, key=lambda r: (r["val_accuracy"], -r["width"], -STOPPINGS.index(r["stopping"])))
    return {"width": best["width"], "stopping": best["stopping"], "val_accuracy": best["val_accuracy"]}


def final(condition: str, seed: int, config: dict, trained=None) -> dict:
    """The chosen configuration on one seed (seed 0: the search's own run); the test set is touched once."""
    if trained is None:
        net, history, seconds, cpu = train(condition, seed, config["width"], config["stopping"])
    else:
        net, keep, history, seconds, cpu = trained
        if keep is not None:                          # "50 epochs": back to the weights of epoch 50
            keep.model.set_weights(keep.weights)
    _, _, (x_test, y_test) = data(seed)
    test = accuracy(net, x_test, y_test, compiled=False)
    val = history["val_accuracy"]
    kept = int(np.argmax(val)) + 1 if config["stopping"] == STOPPINGS[1] else len(val)
    print(f"final {condition:5s} seed {seed}: {seconds:.0f} s, {len(val)} epochs (kept epoch {kept}, "
          f"val {val[kept - 1]:.3f}), test {test:.4f}", flush=True)
    return {"condition": condition, "seed": seed, "test_accuracy": round(test, 4), "train_seconds": round(seconds, 1),
            "cpu_seconds": round(cpu, 1), "width": config["width"], "stopping": config["stopping"],
            "kept_epoch": kept, "history": rounded(history)}


def run_conditions(conditions: list[str], seeds: list[int]) -> dict:
    """Search, choose and run the final seeds of ``conditions``; a part that ``merge`` combines."""
    from course_utils.speed import measure_reference

    units_s = [measure_reference()]
    print(f"reference unit before: {units_s[0]:.1f} s", flush=True)
    rows, trained = [], {}
    for condition in conditions:
        for width in aug.AUGMENTATION_RECIPE["search_widths"]:
            found, nets = search(condition, width)
            rows += found
            trained |= {(condition, width, stopping): run for stopping, run in nets.items()}
    chosen = {c: choose(rows, c) for c in conditions}
    print("chosen on validation:", chosen, flush=True)
    runs = [final(c, seed, chosen[c], trained.get((c, chosen[c]["width"], chosen[c]["stopping"])) if seed == 0
                  else None) for c in conditions for seed in seeds]
    units_s.append(measure_reference())
    print(f"reference unit after: {units_s[-1]:.1f} s", flush=True)
    return {"rows": rows, "chosen": chosen, "runs": runs, "reference_unit_s": [round(u, 2) for u in units_s]}


def merge(parts: list[dict], seeds: list[int], update: bool) -> dict:
    """One record from the parts: spreads, the gain of the task-respecting settings, times in units."""
    recipe = aug.AUGMENTATION_RECIPE
    rows = [r for p in parts for r in p["rows"]]
    runs = [r for p in parts for r in p["runs"]]
    chosen = {c: config for p in parts for c, config in p["chosen"].items()}
    units_s = [u for p in parts for u in p["reference_unit_s"]]
    unit = float(np.mean(units_s))
    test = {(r["condition"], r["seed"]): r["test_accuracy"] for r in runs}
    spreads = {f"{c}_test_accuracy": manifest.spread([test[c, s] for s in seeds], seeds) for c in recipe["conditions"]}
    spreads["task_gain_points"] = manifest.spread([100 * (test["task", s] - test["none", s]) for s in seeds], seeds)
    for name, spread in spreads.items():
        print(f"{name} over seeds {seeds}: mean {spread['mean']:.4f}, std {spread['std']:.4f} {spread['values']}")
    # seed 0 of each final configuration is its search run: its time is counted once, in the search
    search_units = round(sum(r["train_seconds"] for r in rows[::2]) / unit, 1)
    units = round(sum(r["train_seconds"] for r in runs if r["seed"] != 0) / unit, 1)
    cpu_units = round((sum(r["cpu_seconds"] for r in rows[::2]) + sum(r["cpu_seconds"] for r in runs if r["seed"])) / unit, 1)
    print(f"reference units {units_s} s; training time: search {search_units} units, other seeds {units} units, "
          f"process CPU {cpu_units} units")
    record = {"recipe": dict(recipe, seeds=seeds), "search": {"rows": rows, "chosen": chosen}, "runs": runs,
              "spread": spreads, "reference_unit_s": units_s, "train_units": units, "search_units": search_units,
              "cpu_units": cpu_units}
    if update:
        path = shipped_path(aug.AUGMENTATION_RUNS_FILE)
        path.write_text(json.dumps(record, indent=1, sort_keys=True) + "\n", encoding="utf-8")
        shipping.write_entry(aug.AUGMENTATION_RUNS_FILE, MADE_BY, {name: s["mean"] for name, s in spreads.items()},
                             spreads, train_units=units, search_units=search_units, cpu_units=cpu_units,
                             reference_unit_s=units_s, chosen=chosen, recipe=record["recipe"],
                             evaluation="search on the 1000 validation images (seed 0); all 10000 test images "
                                        "once per final run, after its training")
        print(f"wrote {path.relative_to(ROOT)} and its entry in {manifest.manifest_path().relative_to(ROOT)}")
    return record


def main(argv: list[str] | None = None) -> int:
    recipe = aug.AUGMENTATION_RECIPE
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=recipe["seeds"])
    parser.add_argument("--conditions", nargs="+", default=recipe["conditions"], choices=recipe["conditions"])
    parser.add_argument("--part", type=Path, help="write this run's part (search rows, runs) to this JSON file")
    parser.add_argument("--merge", type=Path, nargs="+", help="combine parts written by --part instead of training")
    parser.add_argument("--update", action="store_true",
                        help="write the history file and its manifest entry into course_utils/shipped/")
    args = parser.parse_args(argv)
    if args.seeds[0] != 0:
        parser.error("the seeds must start with 0, the seed of the search")
    if args.merge:
        parts = [json.loads(path.read_text(encoding="utf-8")) for path in args.merge]
    else:
        parts = [run_conditions(args.conditions, args.seeds)]
        if args.part:
            args.part.parent.mkdir(parents=True, exist_ok=True)
            args.part.write_text(json.dumps(parts[0], indent=1) + "\n", encoding="utf-8")
            return 0
    merge(parts, args.seeds, args.update)
    return 0


if __name__ == "__main__":
    sys.exit(main())
