"""Look for Wong, Rice & Kolter's (2020) catastrophic overfitting on lesson 10's CNN, then ship the runs.

Wong et al. ("Fast is better than free") describe a collapse during FGSM training: PGD accuracy
climbs, then falls to near zero within an epoch while FGSM accuracy jumps. Lesson 10's own run
(one seed, a constant learning rate, PGD measured once per epoch) showed plain FGSM never becoming
robust at all. This tool searches a bounded grid of settings on lesson 10's network
(``build_fashion_cnn(dropout=0.0)``, Adam, batch 128, the first 12,800 training images: 100 steps
per epoch), measuring clean, FGSM and PGD-10 accuracy on 300 validation images (the last 5,000 training images)
``MEASURES_PER_EPOCH`` times per epoch from step 0, for plain FGSM (step eps, no random start)
(seed 0), over the whole grid:

- the learning rate: a warm-up then constant, or Wong et al.'s cyclic (triangular) schedule;
- eps 0.1 (the lesson's), 0.2 and 0.3 (larger steps);
- ``--epochs`` epochs (6: 600 steps; bounded by the machine's time, see the manifest's ``total_units``).

A run **collapses** (``adversarial_training.collapses``) when some measurement has PGD accuracy >= ``COLLAPSE_FROM``
and a measurement at most one epoch later has PGD accuracy < ``COLLAPSE_TO`` while FGSM accuracy
rose by at least ``FGSM_JUMP`` between the two. The chosen setting is the first of the grid where
plain FGSM collapses (none did: ``FALLBACK``, for the reason the manifest records); plain FGSM and
FGSM-RS then run there with 3 seeds each (``--search-file`` reuses the search runs already made). With ``--update`` it writes ``fgsm_collapse.history.json``
(every run's measurements, the search table, the definition) and its manifest entry, with the
number of collapsing seeds under each attack and the time in reference units (``course_utils.speed``).

Usage: ``nice -n 5 python tools/search_fgsm_collapse.py [--epochs 10] [--update] > build/collapse.log``
(about 8 reference units per run of 6 epochs; at most 8 runs).
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

from course_utils import models
from course_utils.adversarial_training import (
    COLLAPSE_FROM,
    COLLAPSE_TO,
    FGSM_COLLAPSE_FILE,
    FGSM_JUMP,
    AdversarialTrainer,
    RobustnessMonitor,
    collapses,
)
from course_utils.config import seed_everything
from course_utils.data import load_fashion_mnist
from course_utils.paths import shipped_path

MADE_BY = "tools/search_fgsm_collapse.py"
PARTIAL = Path(__file__).resolve().parent.parent / "build" / "fgsm_collapse.partial.json"   # progress so far
N_TRAIN, N_VAL, BATCH, MEASURES_PER_EPOCH = 12_800, 300, 128, 4
# (eps, schedule, peak learning rate): bounded, in the order they are tried
GRID = [(0.1, "warmup", 2e-3), (0.2, "cyclic", 5e-3), (0.3, "cyclic", 5e-3)]
SEEDS = (0, 1, 2)
# chosen after the search found no collapse (2026-12-07): the lesson's contrast, FGSM failing from the start
FALLBACK = (0.2, "cyclic", 5e-3)
FALLBACK_REASON = ("no setting collapsed: eps 0.2, where plain FGSM was never robust (PGD-10 at most 0.13) "
                   "with clean accuracy 0.70; at eps 0.1 with the warm-up plain FGSM worked (PGD-10 0.48), "
                   "at eps 0.3 clean accuracy fell to 0.59 and FGSM accuracy rose above it (label leaking)")


class TriangleSchedule(keras.optimizers.schedules.LearningRateSchedule):
    """Wong et al.'s cyclic rate: 0 up to ``peak`` over the first 40 % of ``total`` steps, back to 0 at the end."""

    def __init__(self, total: int, peak: float) -> None:
        self.total, self.peak = float(total), float(peak)

    def __call__(self, step):
        t = keras.ops.cast(step, "float32") / self.total
        return self.peak * keras.ops.maximum(0.0, keras.ops.minimum(t / 0.4, (1.0 - t) / 0.6))


class StepMonitor(RobustnessMonitor):
    """:class:`RobustnessMonitor` measuring every ``every`` training steps from step 0 (not once per epoch)."""

    def __init__(self, x, y, eps: float, every: int) -> None:
        super().__init__(x, y, eps=eps, pgd_steps=10)
        self.every, self.steps_seen = every, 0
        self.history["step"] = []

    def take(self) -> None:
        """Measure now and append to ``history`` with the number of steps taken so far."""
        for key, value in self.measure().items():
            self.history[key].append(round(value, 4))
        self.history["step"].append(self.steps_seen)

    def on_train_batch_begin(self, batch: int, logs=None) -> None:
        if self.steps_seen % self.every == 0:
            self.take()
        self.steps_seen += 1

    def on_epoch_end(self, epoch: int, logs=None) -> None:    # measured per step instead
        return None


def train(attack: str, eps: float, schedule: str, peak: float, epochs: int, seed: int, data) -> dict:
    """One run; returns its measurements, whether it collapses and its process seconds."""
    x, y, x_val, y_val = data
    steps_per_epoch = int(np.ceil(N_TRAIN / BATCH))
    total = epochs * steps_per_epoch
    rate = (TriangleSchedule(total, peak) if schedule == "cyclic"
            else shipping.cosine_schedule(total, peak, warmup_fraction=0.1) if schedule == "cosine"
            else keras.optimizers.schedules.PolynomialDecay(peak / 20, steps_per_epoch, peak, power=1.0))
    seed_everything(seed)
    trainer = AdversarialTrainer(models.build_fashion_cnn(dropout=0.0), attack=attack, eps=eps)
    trainer.compile(optimizer=keras.optimizers.Adam(rate))
    monitor = StepMonitor(x_val, y_val, eps, max(1, steps_per_epoch // MEASURES_PER_EPOCH))
    cpu, wall = time.process_time(), time.perf_counter()
    trainer.fit(x, y, batch_size=BATCH, epochs=epochs, verbose=0, callbacks=[monitor])
    monitor.take()                       # the final measurement, after the last step
    run = {"attack": attack, "eps": eps, "schedule": schedule, "peak_lr": peak, "epochs": epochs, "seed": seed,
           "steps_per_epoch": steps_per_epoch, **monitor.history,
           "collapses": collapses(monitor.history, steps_per_epoch),
           "cpu_seconds": round(time.process_time() - cpu, 1), "wall_seconds": round(time.perf_counter() - wall, 1)}
    print(f"{attack:7s} eps {eps} {schedule} lr {peak:g} seed {seed}: collapse {run['collapses']}; "
          f"PGD {' '.join(f'{v:.2f}' for v in run['pgd'])}; FGSM max {max(run['fgsm']):.2f}, last "
          f"{run['fgsm'][-1]:.2f}; clean last {run['clean'][-1]:.2f}; {run['wall_seconds']:.0f} s", flush=True)
    return run


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=6)
    parser.add_argument("--grid", type=int, default=len(GRID), help="try the first N settings of GRID")
    parser.add_argument("--update", action="store_true", help="write fgsm_collapse.history.json and its entry")
    parser.add_argument("--search-file", type=Path, help="the search runs already made (this tool's partial file)")
    args = parser.parse_args(argv)
    from course_utils.speed import measure_reference

    unit_before = measure_reference()
    print(f"reference unit before: {unit_before:.1f} s", flush=True)
    (x_all, y_all), _ = load_fashion_mnist()
    x_all, y_all = models.preprocess(x_all), y_all.astype("int32")
    data = (x_all[:N_TRAIN], y_all[:N_TRAIN], x_all[55_000:55_000 + N_VAL], y_all[55_000:55_000 + N_VAL])
    search, chosen = json.loads(args.search_file.read_text(encoding="utf-8")) if args.search_file else [], None
    for eps, schedule, peak in GRID[len(search):args.grid]:    # plain FGSM, seed 0, until one collapses
        search.append(train("fgsm", eps, schedule, peak, args.epochs, SEEDS[0], data))
        PARTIAL.write_text(json.dumps(search) + "\n", encoding="utf-8")
    chosen = next(((r["eps"], r["schedule"], r["peak_lr"]) for r in search if r["collapses"]), None)
    reason = "the first setting of the grid where plain FGSM collapses"
    if chosen is None:
        chosen, reason = FALLBACK, FALLBACK_REASON
    print(f"chosen setting: eps {chosen[0]}, {chosen[1]} schedule, peak lr {chosen[2]:g}", flush=True)
    found = next(r for r in search if (r["eps"], r["schedule"], r["peak_lr"]) == chosen)
    runs = {"fgsm": [found], "fgsm_rs": []}
    for attack, seed in [("fgsm_rs", SEEDS[0])] + [(a, s) for s in SEEDS[1:] for a in ("fgsm", "fgsm_rs")]:
        runs[attack].append(train(attack, *chosen, args.epochs, seed, data))
        PARTIAL.write_text(json.dumps({"search": search, "runs": runs}) + "\n", encoding="utf-8")
    unit_after = measure_reference()
    unit = (unit_before + unit_after) / 2
    counts = {a: int(sum(r["collapses"] for r in rs)) for a, rs in runs.items()}
    print(f"collapsing seeds: {counts} of {len(SEEDS)}; reference unit after {unit_after:.1f} s", flush=True)
    every_run = search + runs["fgsm"][1:] + runs["fgsm_rs"]
    wall = sum(r["wall_seconds"] for r in every_run)
    definition = (f"PGD-10 accuracy >= {COLLAPSE_FROM}, then < {COLLAPSE_TO} at a measurement at most one epoch "
                  f"later, while FGSM accuracy rose by >= {FGSM_JUMP} between the two (validation images)")
    table = [{k: r[k] for k in ("attack", "eps", "schedule", "peak_lr", "epochs", "seed", "collapses")}
             | {"pgd_max": max(r["pgd"]), "pgd_last": r["pgd"][-1], "fgsm_last": r["fgsm"][-1]}
             for r in search]
    result = {"chosen": dict(zip(("eps", "schedule", "peak_lr"), chosen), reason=reason), "epochs": args.epochs,
              "collapse_definition": definition, "collapsing_seeds": counts, "runs": runs, "search": table,
              "n_train": N_TRAIN, "n_val": N_VAL, "batch_size": BATCH, "measures_per_epoch": MEASURES_PER_EPOCH,
              "reference_unit_s": [round(unit_before, 2), round(unit_after, 2)],
              "total_units": round(wall / unit, 1)}
    if args.update:
        name = FGSM_COLLAPSE_FILE
        shipped_path(name).write_text(json.dumps(result, indent=1, sort_keys=True) + "\n", encoding="utf-8")
        shipping.write_entry(name, MADE_BY, {f"{a}_collapsing_seeds": c for a, c in counts.items()},
                             collapsing_seeds=counts, seeds=list(SEEDS), chosen=result["chosen"],
                             collapse_definition=definition, search=table, total_units=result["total_units"],
                             reference_unit_s=result["reference_unit_s"])
        print(f"wrote {name} and its manifest entry")
    return 0


if __name__ == "__main__":
    sys.exit(main())
