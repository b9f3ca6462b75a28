"""Lesson 11's comparison: our DCGAN against the TensorFlow DCGAN tutorial's, given the same compute.

Both GANs (``course_utils.gan.make_gan()`` and :func:`make_tutorial_gan`: noise 100, batch
256, Adam 1e-4, the architecture of the TensorFlow DCGAN tutorial,
tensorflow.org/tutorials/generative/dcgan, written here from its published settings) train in this one process on the 60,000 Fashion-MNIST
training images in [-1, 1], alternating in turns of about ``--chunk-seconds`` seconds: the one with less
accumulated training time goes next, so that machine noise falls on both, and each stops once it
has trained ``--seconds`` seconds (one warm-up batch each, which traces the graph, is not
counted). ``--clock cpu`` counts process CPU seconds (``time.process_time()``, all
threads) instead of wall seconds: a budget that stays fair between the two models when other
programs share the machine; the wall seconds are recorded beside them. Both use ``course_utils.gan.GAN``'s ``train_step`` (one D step, then one G step on a
fresh z; the tutorial takes both gradients from one forward pass). Then, for each, 10,000 samples against the 10,000 test images: the Fréchet distance in
the lesson 05 CNN's ``dense_relu`` features (not FID; ``course_utils.generative_metrics``), the
class coverage entropy and the smallest class share. Repeated for each seed.

It records its rows with ``course_utils.report.record`` (``make bench`` runs it before lesson 11,
listed in the notebook's ``bench_tools``) and, with ``--update``, writes
``course_utils/shipped/dcgan_comparison.json`` (``--output`` names another file) with its manifest entry,
rewritten after each seed so that the seeds done so far ship; the lesson shows that table. The longer
budget is a one-off run that the bench does not repeat: ``--seconds 1080 --clock cpu --output
dcgan_comparison_long.json --update`` (``course_utils.gan.DCGAN_COMPARISON_LONG_FILE``). A process on
two cores spends up to two CPU seconds per wall second, so 1,080 CPU seconds is about three times
the short budget's 180 wall seconds; the lesson checks the epochs the tutorial's model reached.

Usage: ``python tools/compare_dcgan.py [--seconds 180] [--clock wall] [--seeds 0 1 2] [--update]``
(about 2 x seconds x seeds, plus a minute per seed to measure).
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
from keras import layers

from course_utils import gan, manifest, models
from course_utils.config import seed_everything
from course_utils.data import load_fashion_mnist
from course_utils.generative_metrics import class_coverage, cnn_features, coverage_entropy, frechet_distance
from course_utils.paths import shipped_path
from course_utils.progress import progress
from course_utils.report import record

ROOT = Path(__file__).resolve().parent.parent
MADE_BY = "tools/compare_dcgan.py"
# The TensorFlow DCGAN tutorial's published settings (noise 100, batch 256, Adam 1e-4 for both).
TF_TUTORIAL_RECIPE = {"latent_dim": 100, "batch_size": 256, "learning_rate": 1e-4, "beta_1": 0.9,
                      "generator_loss": "non_saturating"}
KINDS = {"ours": gan.DCGAN_RECIPE, "tf_tutorial": TF_TUTORIAL_RECIPE}
LABELS = {"ours": "DCGAN (ours)", "tf_tutorial": "TF tutorial DCGAN"}
MEASURES = ("frechet_distance", "coverage_entropy_bits", "min_class_share")


def build_tf_tutorial_generator(latent_dim: int = 100) -> keras.Model:
    """The TensorFlow DCGAN tutorial's generator: Dense 7x7x256 -> ConvT 128 (s1) -> 64 (s2) -> 1 (s2).

    5x5 kernels, no biases, batch norm and LeakyReLU after each layer but the last (tanh).
    """
    z = keras.Input((latent_dim,), name="z")
    x = layers.Dense(7 * 7 * 256, use_bias=False)(z)
    x = layers.LeakyReLU()(layers.BatchNormalization()(x))
    x = layers.Reshape((7, 7, 256))(x)
    for filters, stride in ((128, 1), (64, 2)):
        x = layers.Conv2DTranspose(filters, 5, strides=stride, padding="same", use_bias=False)(x)
        x = layers.LeakyReLU()(layers.BatchNormalization()(x))
    x = layers.Conv2DTranspose(1, 5, strides=2, padding="same", use_bias=False, activation="tanh")(x)
    return keras.Model(z, x, name="tf_tutorial_generator")


def build_tf_tutorial_discriminator() -> keras.Model:
    """The TensorFlow DCGAN tutorial's discriminator: Conv 64 s2 -> Conv 128 s2 (5x5), each
    LeakyReLU + Dropout 0.3, then Dense 1 (a logit)."""
    x_in = keras.Input(gan.IMAGE_SHAPE, name="image")
    x = x_in
    for filters in (64, 128):
        x = layers.Conv2D(filters, 5, strides=2, padding="same")(x)
        x = layers.Dropout(0.3)(layers.LeakyReLU()(x))
    x = layers.Dense(1)(layers.Flatten()(x))
    return keras.Model(x_in, x, name="tf_tutorial_discriminator")


def make_tutorial_gan(seed: int = 0) -> gan.GAN:
    """The tutorial's networks in :class:`course_utils.gan.GAN`, compiled with its Adam settings."""
    recipe = TF_TUTORIAL_RECIPE
    keras.utils.set_random_seed(seed)
    model = gan.GAN(build_tf_tutorial_generator(recipe["latent_dim"]), build_tf_tutorial_discriminator(), seed=seed,
                    name="gan_tf_tutorial")
    model.compile(keras.optimizers.Adam(recipe["learning_rate"], beta_1=recipe["beta_1"]),
                  keras.optimizers.Adam(recipe["learning_rate"], beta_1=recipe["beta_1"]))
    return model


class _Stream:
    """Batches of one model's own shuffled copy of the data, in an endless cycle of epochs."""

    def __init__(self, x, batch_size: int, seed: int):
        self.x, self.batch_size, self.rng, self.pos = x, batch_size, np.random.default_rng(seed), len(x)
        self.order = None

    def next(self):
        if self.pos + self.batch_size > len(self.x):
            self.order, self.pos = self.rng.permutation(len(self.x)), 0
        batch = self.x[self.order[self.pos:self.pos + self.batch_size]]
        self.pos += self.batch_size
        return batch


def train_pair(x, seed: int, seconds: float, chunk_seconds: float, clock: str = "wall") -> tuple[dict, dict]:
    """Train both GANs with ``seed`` for ``seconds`` each, alternating turns of about ``chunk_seconds``.

    The model with less accumulated time takes the next turn; a turn ends after the batch that
    brings it to ``chunk_seconds`` or its total to ``seconds``, so each overshoots by less than
    one batch. ``clock`` is "wall" (``perf_counter``) or "cpu" (``process_time``): the budget's
    seconds; both are logged. Returns (models, log).
    """
    timer = time.process_time if clock == "cpu" else time.perf_counter
    models_, streams, spent, steps, images, wall = {}, {}, {}, {}, {}, {}
    for kind, recipe in KINDS.items():
        models_[kind] = gan.make_gan(seed=seed) if kind == "ours" else make_tutorial_gan(seed)
        streams[kind] = _Stream(x, recipe["batch_size"], seed)
        models_[kind].train_on_batch(streams[kind].next())          # traces the step: not counted
        spent[kind], steps[kind], images[kind], wall[kind] = 0.0, 0, 0, 0.0
    ticks = iter(progress(range(max(1, int(seconds))), desc=f"seed {seed}: training both", unit="s"))
    shown = 0
    while min(spent.values()) < seconds:
        kind = min(spent, key=spent.get)
        turn = 0.0
        while turn < chunk_seconds and spent[kind] < seconds:
            start, start_wall = timer(), time.perf_counter()
            models_[kind].train_on_batch(streams[kind].next())
            elapsed = timer() - start
            wall[kind] += time.perf_counter() - start_wall
            turn += elapsed
            spent[kind] += elapsed
            steps[kind] += 1
            images[kind] += KINDS[kind]["batch_size"]
        now = int(min(min(spent.values()), seconds))
        for _ in range(now - shown):     # one tick per second of the slower model's training
            next(ticks, None)
        shown = now
    for _ in ticks:
        pass
    log = {kind: {"train_seconds": round(spent[kind], 1), "wall_seconds": round(wall[kind], 1),
                  "steps": steps[kind], "images": images[kind], "epochs": round(images[kind] / len(x), 3)} for kind in KINDS}
    return models_, log


def measure(generator, seed: int, real_features, cnn) -> dict[str, float]:
    samples = gan.to_unit_range(gan.generate(generator, 10_000, seed=seed))
    coverage = class_coverage(samples, cnn)
    return {"frechet_distance": frechet_distance(cnn_features(samples, cnn), real_features),
            "coverage_entropy_bits": coverage_entropy(coverage), "min_class_share": float(coverage.min())}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=180.0,
                        help="training time per model and seed, in seconds (default: 180)")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--chunk-seconds", type=float, default=5.0,
                        help="training time per turn, in seconds (default: 5)")
    parser.add_argument("--clock", choices=("wall", "cpu"), default="wall",
                        help="count the budget in wall seconds or in process CPU seconds (default: wall)")
    parser.add_argument("--output", default=gan.DCGAN_COMPARISON_FILE,
                        help="shipped file name written with --update (default: dcgan_comparison.json)")
    parser.add_argument("--update", action="store_true",
                        help="write course_utils/shipped/<output> and its manifest entry after each seed")
    args = parser.parse_args(argv)
    if args.seconds <= 0 or args.chunk_seconds <= 0:
        parser.error(f"--seconds and --chunk-seconds must be > 0, got {args.seconds} and {args.chunk_seconds}")

    (x_train, _), (x_test, _) = load_fashion_mnist()
    x = gan.to_tanh_range(x_train)
    cnn = models.fashion_cnn()
    real_features = cnn_features(models.preprocess(x_test), cnn)
    runs = []
    for seed in args.seeds:
        seed_everything(seed)
        trained, log = train_pair(x, seed, args.seconds, args.chunk_seconds, args.clock)
        for kind, model in trained.items():
            log[kind].update({k: round(v, 4) for k, v in measure(model.generator, seed, real_features, cnn).items()})
            print(f"seed {seed} {LABELS[kind]}: {log[kind]}", flush=True)
        runs.append({"seed": seed, **log})
        if args.update:
            write(args, runs)
    table, wins = summary(runs)
    budget = f"{args.seconds:g} {'CPU ' if args.clock == 'cpu' else ''}s each"
    seeds = [r["seed"] for r in runs]
    for kind in KINDS:
        record(f"{LABELS[kind]} Fréchet distance ({budget}, mean of {len(seeds)} seeds)",
               table[kind]["frechet_distance"]["mean"])
        record(f"{LABELS[kind]} coverage entropy, bits ({budget}, mean of {len(seeds)} seeds)",
               table[kind]["coverage_entropy_bits"]["mean"])
    record(f"seeds where ours has the lower Fréchet distance ({budget})", wins, at_least=len(seeds))
    return 0


def summary(runs: list[dict]) -> tuple[dict, int]:
    """Mean and spread over the seeds of each measure and of the epochs, per model; and ours' wins."""
    seeds = [r["seed"] for r in runs]
    table = {}
    for kind in KINDS:
        table[kind] = {m: manifest.spread([r[kind][m] for r in runs], seeds)
                       for m in (*MEASURES, "epochs", "wall_seconds")}
    wins = sum(r["ours"]["frechet_distance"] < r["tf_tutorial"]["frechet_distance"] for r in runs)
    return table, int(wins)


def write(args: argparse.Namespace, runs: list[dict]) -> None:
    """Write the seeds done so far into course_utils/shipped/<output> and its manifest entry."""
    table, wins = summary(runs)
    seeds = [r["seed"] for r in runs]
    path = shipped_path(args.output)
    result = {"seconds_per_model": args.seconds, "clock": args.clock, "chunk_seconds": args.chunk_seconds,
              "seeds": seeds, "seeds_asked": args.seeds, "runs": runs, "table": table, "recipes": KINDS,
              "n_eval": 10_000, "wins": wins, "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())}
    path.write_text(json.dumps(result, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    shipping.write_entry(args.output, MADE_BY,
                         {f"{k}_frechet_distance": table[k]["frechet_distance"]["mean"] for k in KINDS},
                         seconds_per_model=args.seconds, clock=args.clock, seeds=seeds)
    print(f"wrote {path.relative_to(ROOT)} and its manifest entry ({len(seeds)} seeds)", flush=True)


if __name__ == "__main__":
    sys.exit(main())
