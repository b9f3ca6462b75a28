"""Regenerate lesson 12's shipped VAEs: course_utils/shipped/vae_latent{2,16}.weights.h5 (dense) and
conv_vae_latent16.weights.h5 (``--architecture conv``).

Trains ``course_utils.vae.VAE`` (dense encoder and decoder, Bernoulli pixels, N(0, I) prior;
Kingma & Welling 2014) with ``vae.VAE_RECIPE`` on the first 55,000 Fashion-MNIST training
images, watching the negative ELBO on the last 5,000 after each epoch (no tuning on test), once per
seed and latent size: the 2-D latent draws lesson 12's map, the larger one gives the quality
numbers. ``--architecture conv`` trains the convolutional encoder and decoder of ``vae.build_conv_encoder``
(as keras-io's ``vae.py`` and the TensorFlow CVAE tutorial, smaller) with the same recipe, loss and
train_step, on the same grey images. The test set is touched once per seed, at the end:

- the test ELBO in nats per image (``vae.mean_elbo``, ``elbo_samples`` draws per image), with its
  reconstruction and KL terms; and the same ELBO on stochastically binarised test images
  (``vae.binarize``, seed 0: pixel on with probability its grey level), where the Bernoulli decoder
  is a normalised distribution, so the ELBO bounds a log-probability;
- ``n_samples`` images from the prior (Bernoulli means) against the 10,000 test images: the Fréchet
  distance in the lesson 05 CNN's 128-d features (``course_utils.generative_metrics``; not FID),
  the CNN's class coverage and its entropy in bits. The real-image floor (10,000 training images
  against the test images, same measure) is computed once.

The first seed's weights are kept. The reference unit (``course_utils.speed``) is measured before
the first and after the last training; the training times are recorded in its units too. With ``--update`` each latent size's weights and history go
into ``course_utils/shipped/`` with their manifest entries (SHA-256, the kept seed's numbers, mean
and spread over the seeds), written as soon as that latent size is done.

Usage: ``python tools/train_vae.py --seeds 0 1 2 --latent 2 16 --update`` (about 3-6 reference
units per seed and latent size); ``--architecture conv --latent 16`` for the convolutional one.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

import shipping

from course_utils import manifest, models
from course_utils.config import seed_everything
from course_utils.data import load_fashion_mnist
from course_utils.generative_metrics import class_coverage, cnn_features, coverage_entropy, frechet_distance
from course_utils.paths import sha256_of, shipped_path
from course_utils.progress import EpochTimer
from course_utils.speed import measure_reference
from course_utils.vae import (
    ARCHITECTURES,
    CONV_VAE_LATENT_DIMS,
    VAE_LATENT_DIMS,
    VAE_RECIPE,
    binarize,
    build_vae,
    mean_elbo,
    sample_prior,
    save_vae_weights,
    vae_file,
)

ROOT = Path(__file__).resolve().parent.parent
MADE_BY = "tools/train_vae.py"


class EpochLog(EpochTimer):
    """:class:`course_utils.progress.EpochTimer` that also prints each epoch's seconds and logs."""

    def __init__(self, latent: int, seed: int) -> None:
        super().__init__()
        self.latent, self.seed = latent, seed

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        super().on_epoch_end(epoch, logs)
        shown = {k: round(float(v), 2) for k, v in (logs or {}).items()}
        print(f"  latent {self.latent} seed {self.seed} epoch {epoch + 1}: {self.seconds[-1]:.0f} s {shown}",
              flush=True)


def _data():
    (x_all, _), (x_test, y_test) = load_fashion_mnist()
    return models.preprocess(x_all), models.preprocess(x_test), y_test.astype("int32")


def quality(decoder, real_features, cnn, n: int, seed: int) -> dict:
    """Fréchet distance, class coverage and its entropy of ``n`` prior samples against the test features."""
    samples = sample_prior(decoder, n, seed=10_000 + seed)
    coverage = class_coverage(samples, cnn)
    return {"frechet_distance": frechet_distance(cnn_features(samples, cnn), real_features),
            "coverage_entropy_bits": coverage_entropy(coverage), "min_class_share": float(coverage.min()),
            "coverage": [round(float(c), 4) for c in coverage]}


def train_one(latent: int, seed: int, epochs: int, out: Path, real_features, cnn,
              architecture: str = "dense") -> tuple[dict, float, dict]:
    """Train one VAE, save its weights to ``out``; return (test numbers, seconds, record)."""
    recipe = VAE_RECIPE
    seed_everything(seed)
    x_all, x_test, _ = _data()
    n = recipe["n_train"]
    vae = build_vae(latent, recipe["learning_rate"], seed=seed, hidden=tuple(recipe["hidden"]),
                    architecture=architecture)
    timer = EpochLog(latent, seed)
    start = time.perf_counter()
    history = vae.fit(x_all[:n], validation_data=(x_all[n:], None), batch_size=recipe["batch_size"],
                      epochs=epochs, verbose=0, callbacks=[timer])
    seconds = time.perf_counter() - start
    save_vae_weights(vae, str(out))
    terms = mean_elbo(vae, x_test, samples=recipe["elbo_samples"], seed=seed)
    test = {"test_elbo": terms["elbo"], "test_reconstruction": terms["reconstruction"], "test_kl": terms["kl"],
            "test_elbo_binarised": mean_elbo(vae, binarize(x_test, seed=0), samples=recipe["elbo_samples"],
                                             seed=seed)["elbo"]}
    test.update(quality(vae.decoder, real_features, cnn, recipe["n_samples"], seed))
    print(f"latent {latent} seed {seed}: {epochs} epochs in {seconds:.0f} s; test " +
          ", ".join(f"{k} {v:.4f}" for k, v in test.items() if k != "coverage"), flush=True)
    record = {"seed": seed, "latent_dim": latent, "architecture": architecture, "n_train": n,
              "parameters": int(vae.encoder.count_params() + vae.decoder.count_params()), "test": test,
              "history": {k: [round(float(v), 3) for v in vs] for k, vs in history.history.items()},
              "epoch_seconds": [round(s, 2) for s in timer.seconds], "train_seconds": round(seconds, 1)}
    return test, seconds, record


def real_floor(n: int, cnn) -> tuple[float, object]:
    """The test images' CNN features, and the Fréchet distance of ``n`` training images to them."""
    x_all, x_test, _ = _data()
    real = cnn_features(x_test, cnn)
    return frechet_distance(cnn_features(x_all[:n], cnn), real), real


def main(argv: list[str] | None = None) -> int:
    recipe = VAE_RECIPE
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0],
                        help="one training per seed and latent size; the first seed's weights are kept")
    parser.add_argument("--architecture", choices=ARCHITECTURES, default="dense")
    parser.add_argument("--latent", type=int, nargs="+", default=None,
                        help=f"latent sizes: dense {VAE_LATENT_DIMS} (default both), conv {CONV_VAE_LATENT_DIMS}")
    parser.add_argument("--epochs", type=int, default=recipe["epochs"])
    parser.add_argument("--update", action="store_true",
                        help="write the weights, the histories and their manifest entries into course_utils/shipped/")
    args = parser.parse_args(argv)
    if args.epochs < 1:
        parser.error(f"--epochs must be >= 1, got {args.epochs}")
    allowed = VAE_LATENT_DIMS if args.architecture == "dense" else CONV_VAE_LATENT_DIMS
    args.latent = args.latent or list(allowed)
    if not set(args.latent) <= set(allowed):
        parser.error(f"--latent for {args.architecture}: choose from {allowed}, got {args.latent}")

    unit_before = measure_reference()
    print(f"reference unit before: {unit_before:.1f} s", flush=True)
    cnn = models.fashion_cnn()
    floor, real = real_floor(recipe["n_samples"], cnn)
    print(f"real-image floor: Fréchet distance {floor:.3f} ({recipe['n_samples']} training vs the test images)")
    done = []
    with tempfile.TemporaryDirectory() as tmp:
        for latent in args.latent:
            results = []
            kept = Path(tmp) / f"latent{latent}_seed{args.seeds[0]}.weights.h5"
            for seed in args.seeds:       # written after each seed: the seeds done so far ship
                results.append(train_one(latent, seed, args.epochs, Path(tmp) / f"latent{latent}_seed{seed}.weights.h5",
                                         real, cnn, args.architecture))
                seeds = args.seeds[:len(results)]
                names = [k for k in results[0][0] if k != "coverage"]
                spreads = {k: manifest.spread([test[k] for test, _, _ in results], seeds) for k in names}
                for k, s in spreads.items():
                    print(f"latent {latent}, {k} over seeds {seeds}: mean {s['mean']:.4f}, std {s['std']:.4f}")
                print(f"latent {latent}: kept seed {args.seeds[0]}, SHA-256 {sha256_of(kept)}", flush=True)
                if args.update:
                    write(latent, kept, results, spreads, args, floor, unit_before)
            done.append((latent, results))
        unit_after = measure_reference()
    unit = (unit_before + unit_after) / 2
    print(f"reference unit after: {unit_after:.1f} s (mean {unit:.1f} s)")
    for latent, results in done:
        print(f"latent {latent}: training time per seed {[round(s / unit, 1) for _, s, _ in results]} units")
    return 0


def write(latent: int, kept: Path, results: list, spreads: dict, args, floor: float, unit_before: float) -> None:
    """Copy the kept weights into course_utils/shipped/ and write both manifest entries."""
    recipe = VAE_RECIPE
    weights_name = vae_file(latent, architecture=args.architecture)
    history_name = vae_file(latent, "history.json", args.architecture)
    target = shipped_path(weights_name)
    shutil.copy(kept, target)
    metrics = {k: v for k, v in results[0][0].items() if k != "coverage"}
    shipping.write_entry(weights_name, MADE_BY, metrics, spreads, latent_dim=latent,
                         coverage=results[0][0]["coverage"], real_floor_frechet_distance=round(floor, 4),
                         train_seconds=[round(s, 1) for _, s, _ in results],
                         train_units=[round(s / unit_before, 1) for _, s, _ in results],
                         reference_unit_s=round(unit_before, 2), epochs=args.epochs, recipe=recipe,
                         architecture=args.architecture, parameters=results[0][2]["parameters"],
                         evaluation=(f"test ELBO on all 10,000 test images, nats per image, Bernoulli pixels, "
                                     f"{recipe['elbo_samples']} posterior draws per image; {recipe['n_samples']} "
                                     "prior samples (Bernoulli means) vs the 10,000 test images: Fréchet distance "
                                     "in the lesson 05 CNN's dense_relu features (not FID), CNN class coverage; "
                                     "test_elbo_binarised: the same ELBO on the test images binarised "
                                     "stochastically (vae.binarize, seed 0)"))
    history = dict(results[0][2], recipe=recipe, seeds=[dict(r, history=None) for _, _, r in results],
                   seeds_asked=args.seeds,
                   real_floor_frechet_distance=round(floor, 4), reference_unit_s=round(unit_before, 2))
    for r in history["seeds"]:
        r.pop("history")
    path = shipped_path(history_name)
    path.write_text(json.dumps(history, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    shipping.write_entry(history_name, MADE_BY, metrics, seed=args.seeds[0], weights=weights_name)
    print(f"wrote {target.relative_to(ROOT)}, {path.relative_to(ROOT)} and their manifest entries", flush=True)


if __name__ == "__main__":
    sys.exit(main())
