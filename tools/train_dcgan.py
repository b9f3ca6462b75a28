"""Regenerate course_utils/shipped/dcgan_generator.weights.h5, lesson 11's DCGAN generator.

Trains ``course_utils.gan.make_gan()`` (Radford et al. 2016's guidelines, sized for a CPU:
``gan.DCGAN_RECIPE``) on the 60,000 Fashion-MNIST training images scaled to [-1, 1], for
``--epochs`` epochs per seed. After each epoch: the losses, the class coverage of 2,000 samples
(the lesson 05 CNN's predicted classes) and the samples of 8 fixed latent vectors. After each
seed, on 10,000 samples against the 10,000 test images: the Fréchet distance in the lesson 05
CNN's ``dense_relu`` features (not FID: ``course_utils.generative_metrics``), the class coverage
and its entropy. The floor (10,000 real training images against the test images) is measured once.
The first seed's weights are kept.

The reference unit (``course_utils.speed``) is measured before the first and after the last
training; the training times are also recorded in units.

With ``--update`` it writes into ``course_utils/shipped/`` after EVERY seed (so an interrupted run
still ships the first seed and the seeds done so far, and says how many in the manifest):

- ``dcgan_generator.weights.h5``: SHA-256, the kept seed's numbers, mean and spread over the seeds;
- ``dcgan_generator.history.json``: the kept seed's per-epoch record and every seed's numbers.

Usage: ``python tools/train_dcgan.py [--seeds 0 1 2] [--epochs 6] [--update]``
(about 1.5 reference units per epoch and seed: 7-10 units for 6 epochs on a busy 2-core machine).
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import shipping

from course_utils import gan, manifest, models
from course_utils.config import seed_everything
from course_utils.data import load_fashion_mnist
from course_utils.generative_metrics import class_coverage, cnn_features, coverage_entropy, frechet_distance
from course_utils.paths import shipped_path
from course_utils.speed import measure_reference

MADE_BY = "tools/train_dcgan.py"
N_EVAL = 10_000         # samples against the 10,000 test images
N_MONITOR = 2_000       # samples per epoch for the coverage curve
N_FIXED = 8             # fixed latent vectors drawn each epoch


def quality(samples_unit, real_features, cnn) -> dict[str, float]:
    """Fréchet distance to the test features, coverage entropy and the smallest class share."""
    coverage = class_coverage(samples_unit, cnn)
    return {"frechet_distance": frechet_distance(cnn_features(samples_unit, cnn), real_features),
            "coverage_entropy_bits": coverage_entropy(coverage), "min_class_share": float(coverage.min()),
            "coverage": [round(float(c), 4) for c in coverage]}


def floor(x_train, real_features, cnn) -> dict[str, float]:
    """The same numbers for 10,000 real training images (the best a generator can hope for)."""
    pick = np.random.default_rng(0).choice(len(x_train), min(N_EVAL, len(x_train)), replace=False)
    return quality(models.preprocess(x_train[pick]), real_features, cnn)


def train_one(seed: int, epochs: int, x_train, real_features, cnn, out: Path) -> tuple[dict, float, dict]:
    """Train with ``seed``, save the generator's weights to ``out``; return (numbers, seconds, record)."""
    recipe = gan.DCGAN_RECIPE
    model = gan.make_gan(seed=seed)

    def monitor(generator):
        return [round(float(c), 4) for c in class_coverage(gan.to_unit_range(
            gan.generate(generator, N_MONITOR, seed=1000 + seed)), cnn)]

    grid = gan.SampleGrid(gan.latent_vectors(N_FIXED, recipe["latent_dim"], seed=123), monitor=monitor)
    start = time.perf_counter()
    history = model.fit(gan.to_tanh_range(x_train), batch_size=recipe["batch_size"], epochs=epochs, verbose=2,
                        callbacks=[grid])
    seconds = time.perf_counter() - start
    model.generator.save_weights(str(out))
    numbers = quality(gan.to_unit_range(gan.generate(model.generator, N_EVAL, seed=seed)), real_features, cnn)
    print(f"seed {seed}: {epochs} epochs in {seconds:.0f} s; Fréchet distance {numbers['frechet_distance']:.2f}, "
          f"coverage entropy {numbers['coverage_entropy_bits']:.3f} bits", flush=True)
    record = {"seed": seed, "train_seconds": round(seconds, 1), **{k: (round(v, 4) if isinstance(v, float) else v)
                                                                  for k, v in numbers.items()},
              "history": {k: [round(float(v), 5) for v in vs] for k, vs in history.history.items()},
              "epochs": grid.epochs, "coverage": grid.monitored,
              "grids": [np.round((g[..., 0] + 1) * 127.5).clip(0, 255).astype(int).tolist() for g in grid.grids]}
    return numbers, seconds, record


def main(argv: list[str] | None = None) -> int:
    recipe = gan.DCGAN_RECIPE
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2],
                        help="one training per seed; the first seed's weights are kept (default: 0 1 2)")
    parser.add_argument("--epochs", type=int, default=recipe["epochs"])
    parser.add_argument("--n-train", type=int, default=60_000, help="training images (default: all 60,000)")
    parser.add_argument("--update", action="store_true",
                        help="write the weights, the history and their manifest entries into course_utils/shipped/")
    args = parser.parse_args(argv)
    if args.epochs < 1:
        parser.error(f"--epochs must be >= 1, got {args.epochs}")
    if not 1 <= args.n_train <= 60_000:
        parser.error(f"--n-train must be in 1-60000, got {args.n_train}")

    unit_before = measure_reference()
    print(f"reference unit before: {unit_before:.1f} s", flush=True)
    (x_train, _), (x_test, _) = load_fashion_mnist()
    x_train = x_train[:args.n_train]
    cnn = models.fashion_cnn()
    real_features = cnn_features(models.preprocess(x_test), cnn)
    base = floor(x_train, real_features, cnn)
    print(f"floor (10,000 training vs test images): Fréchet distance {base['frechet_distance']:.2f}, "
          f"coverage entropy {base['coverage_entropy_bits']:.3f} bits", flush=True)
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        for seed in args.seeds:
            seed_everything(seed)
            results.append(train_one(seed, args.epochs, x_train, real_features, cnn,
                                     Path(tmp) / f"seed{seed}.weights.h5"))
            unit = unit_before if len(results) < len(args.seeds) else (unit_before + measure_reference()) / 2
            done = args.seeds[:len(results)]
            names = ["frechet_distance", "coverage_entropy_bits", "min_class_share"]
            spreads = {n: manifest.spread([r[0][n] for r in results], done) for n in names}
            for n, s in spreads.items():
                print(f"{n} over seeds {done}: mean {s['mean']:.4f}, std {s['std']:.4f}", flush=True)
            units = [round(s / unit, 1) for _, s, _ in results]
            if not args.update:
                continue
            kept = Path(tmp) / f"seed{args.seeds[0]}.weights.h5"
            shutil.copy(kept, shipped_path(gan.DCGAN_GENERATOR_FILE))
            first = results[0][0]
            metrics = {n: first[n] for n in names}
            history = dict(results[0][2], recipe=recipe, floor=base, n_eval=N_EVAL, n_monitor=N_MONITOR,
                           seeds=[{k: v for k, v in r.items() if k not in ("history", "grids", "coverage")}
                                  for _, _, r in results])
            shipping.write_entry(gan.DCGAN_GENERATOR_FILE, MADE_BY, metrics, spreads,
                                 train_seconds=[round(s, 1) for _, s, _ in results], train_units=units,
                                 reference_unit_s=round(unit, 2), epochs=args.epochs, recipe=recipe,
                                 seeds_planned=args.seeds, seeds_done=done, n_train=args.n_train,
                                 floor={n: round(base[n], 4) for n in names},
                                 evaluation=(f"{N_EVAL} samples against the 10,000 test images; Fréchet distance "
                                             "in the lesson 05 CNN's dense_relu features (not FID); classes "
                                             "by the lesson 05 CNN's argmax"))
            history_path = shipped_path(gan.DCGAN_HISTORY_FILE)
            history_path.write_text(json.dumps(history, separators=(",", ":"), sort_keys=True) + "\n",
                                    encoding="utf-8")
            shipping.write_entry(gan.DCGAN_HISTORY_FILE, MADE_BY, metrics, seed=args.seeds[0],
                                 weights=gan.DCGAN_GENERATOR_FILE)
            print(f"wrote {gan.DCGAN_GENERATOR_FILE} and {gan.DCGAN_HISTORY_FILE} "
                  f"(seeds done: {done})", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
