"""Regenerate data/fashion_cnn.weights.h5, the lesson 05 CNN that later lessons load in a second.

Trains ``course_utils.models.build_fashion_cnn()`` with ``FASHION_CNN_RECIPE`` on the first
55,000 Fashion-MNIST training images (the last 5,000 are the validation set for early
stopping), reports the test accuracy and the training time, saves the weights and, with
``--update``, writes the new SHA-256 and test accuracy into ``course_utils/models.py``.

Usage: ``python tools/train_fashion_cnn.py [--epochs 12] [--out data/fashion_cnn.weights.h5] [--update]``
(about 4 minutes on 2 CPU cores).
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from course_utils import models  # noqa: E402
from course_utils.config import seed_everything  # noqa: E402
from course_utils.data import load_fashion_mnist  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=models.FASHION_CNN_RECIPE["epochs"])
    parser.add_argument("--out", type=Path, default=models.weights_path())
    parser.add_argument("--update", action="store_true",
                        help="write the new SHA-256 and accuracy into course_utils/models.py")
    args = parser.parse_args(argv)

    seed_everything(models.FASHION_CNN_RECIPE["seed"])
    (x_all, y_all), (x_test, y_test) = load_fashion_mnist()
    n = models.FASHION_CNN_RECIPE["n_train"]
    x_all, x_test = models.preprocess(x_all), models.preprocess(x_test)
    start = time.perf_counter()
    model, history = models.train_fashion_cnn(x_all[:n], y_all[:n], (x_all[n:], y_all[n:]), epochs=args.epochs)
    seconds = time.perf_counter() - start
    accuracy = model.evaluate(x_test, y_test, batch_size=1000, verbose=0)[1]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    model.save_weights(str(args.out))
    digest = models.sha256_of(args.out)
    print(f"trained {len(history.history['loss'])} epochs in {seconds:.0f} s; test accuracy {accuracy:.4f}")
    print(f"wrote {args.out} ({args.out.stat().st_size / 1e6:.2f} MB), SHA-256 {digest}")
    if args.update:
        path = ROOT / "course_utils" / "models.py"
        text = path.read_text(encoding="utf-8")
        text = re.sub(r'FASHION_CNN_SHA256 = "[^"]*"', f'FASHION_CNN_SHA256 = "{digest}"', text)
        text = re.sub(r"FASHION_CNN_TEST_ACCURACY = [0-9.]+", f"FASHION_CNN_TEST_ACCURACY = {accuracy:.4f}", text)
        path.write_text(text, encoding="utf-8")
        print(f"updated {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
