"""Regenerate course_utils/shipped/fashion_cnn.weights.h5, the lesson 05 CNN later lessons load in a second.

Trains ``course_utils.models.build_fashion_cnn()`` with ``FASHION_CNN_RECIPE`` on the first
55,000 Fashion-MNIST training images (the last 5,000 are the validation set for early
stopping) once per seed, reports each run's test accuracy and training time, and saves the
weights of the first seed's run. With ``--update`` it writes the file into
``course_utils/shipped/`` and its manifest entry: SHA-256, the shipped run's test accuracy,
and the mean and spread over the seeds (so a lesson's threshold is not one seed's luck).

Usage: ``python tools/train_fashion_cnn.py [--seeds 0 1 2] [--epochs 16] [--update]``
(about 3-4 minutes per seed on 2 quiet CPU cores).
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from course_utils import manifest, models
from course_utils.config import seed_everything
from course_utils.data import load_fashion_mnist
from course_utils.paths import sha256_of, shipped_path


def train_one(seed: int, epochs: int, out: Path) -> tuple[float, float]:
    """Train with ``seed``, save the weights to ``out``; return (test accuracy, seconds)."""
    seed_everything(seed)
    (x_all, y_all), (x_test, y_test) = load_fashion_mnist()
    n = models.FASHION_CNN_RECIPE["n_train"]
    x_all, x_test = models.preprocess(x_all), models.preprocess(x_test)
    start = time.perf_counter()
    model, history = models.train_fashion_cnn(x_all[:n], y_all[:n], (x_all[n:], y_all[n:]), epochs=epochs)
    seconds = time.perf_counter() - start
    accuracy = float(model.evaluate(x_test, y_test, batch_size=1000, verbose=0)[1])
    model.save_weights(str(out))
    print(f"seed {seed}: {len(history.history['loss'])} epochs in {seconds:.0f} s, test accuracy {accuracy:.4f}",
          flush=True)
    return accuracy, seconds


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[models.FASHION_CNN_RECIPE["seed"]],
                        help="one training per seed; the first seed's weights are kept (default: 0)")
    parser.add_argument("--epochs", type=int, default=models.FASHION_CNN_RECIPE["epochs"])
    parser.add_argument("--update", action="store_true",
                        help="write the weights into course_utils/shipped/ and their manifest entry")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory() as tmp:
        results = [train_one(seed, args.epochs, Path(tmp) / f"seed{seed}.weights.h5") for seed in args.seeds]
        kept = Path(tmp) / f"seed{args.seeds[0]}.weights.h5"
        accuracies = [acc for acc, _ in results]
        spread = manifest.spread(accuracies, args.seeds)
        print(f"test accuracy over seeds {args.seeds}: mean {spread['mean']:.4f}, std {spread['std']:.4f}")
        print(f"kept seed {args.seeds[0]}: SHA-256 {sha256_of(kept)}")
        if args.update:
            target = shipped_path(models.FASHION_CNN_FILE)
            shutil.copy(kept, target)
            manifest.write_entry(models.FASHION_CNN_FILE, "tools/train_fashion_cnn.py",
                                 {"test_accuracy": accuracies[0]}, {"test_accuracy": spread},
                                 train_seconds=[round(s, 1) for _, s in results], epochs=args.epochs)
            print(f"wrote {target.relative_to(ROOT)} and its entry in {manifest.manifest_path().relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
