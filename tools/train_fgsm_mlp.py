"""Regenerate course_utils/shipped/fgsm_trained_mlp.weights.h5, lesson 09's label-leaking MLP.

Trains ``course_utils.models.build_mlp_with_logits`` (lesson 03's 256-128 MLP with a ``logits``
layer) with ``course_utils.adversarial_training.AdversarialTrainer``: at every step, FGSM examples
made with the **true** labels at eps = 0.25, and a loss half clean, half adversarial (Goodfellow
et al. 2015), with ``FGSM_MLP_RECIPE``, on the 60,000 Fashion-MNIST training images, as lesson 09
does in full mode. Then, on the first 2,000 test images (lesson 09's evaluation images), the
accuracy on clean images, under FGSM with the true labels, under FGSM with the model's predicted
labels, and under PGD-20 (step 0.025): label leaking (Kurakin et al. 2017) shows as the attack with
the true labels being the *weaker* one. The first seed's weights are kept.

With ``--update`` it writes the weights into ``course_utils/shipped/`` with a manifest entry: its
SHA-256, the kept seed's accuracies, their mean and spread over the seeds, and the training time
in seconds and in reference units (``course_utils.speed``, measured before and after).

Usage: ``python tools/train_fgsm_mlp.py [--seeds 0 1 2] [--update]`` (about 2-4 reference units per seed).
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

import keras
import shipping

from course_utils import attacks, manifest, models
from course_utils.adversarial_training import AdversarialTrainer
from course_utils.config import seed_everything
from course_utils.data import load_fashion_mnist
from course_utils.inference import accuracy, forward
from course_utils.paths import sha256_of, shipped_path

MADE_BY = "tools/train_fgsm_mlp.py"


def leak_accuracies(network, x, y, seed: int = 0) -> dict[str, float]:
    """Accuracy of ``network`` on clean ``x``, FGSM with the true / predicted labels, and PGD (the recipe's eps)."""
    recipe = models.FGSM_MLP_RECIPE
    eps = recipe["eps"]
    predicted = forward(network, x, "labels")
    attacked = {"clean_accuracy": x,
                "fgsm_true_label_accuracy": attacks.fgsm(network, x, y, eps),
                "fgsm_predicted_label_accuracy": attacks.fgsm(network, x, predicted, eps),
                "pgd_accuracy": attacks.pgd(network, x, y, eps=eps, alpha=recipe["pgd_alpha"],
                                            steps=recipe["pgd_steps"], seed=seed)}
    return {name: accuracy(network, xa, y) for name, xa in attacked.items()}


def train_one(seed: int, out: Path) -> tuple[dict[str, float], float]:
    """Train with ``seed``, save the weights to ``out``; return (test accuracies, training seconds)."""
    recipe = models.FGSM_MLP_RECIPE
    (x_train, y_train), (x_test, y_test) = load_fashion_mnist()
    n, n_eval = recipe["n_train"], recipe["n_eval"]
    x, y = models.preprocess(x_train[:n]), y_train[:n].astype("int32")
    x_eval, y_eval = models.preprocess(x_test[:n_eval]), y_test[:n_eval].astype("int32")
    seed_everything(seed)
    network = models.build_mlp_with_logits()
    trainer = AdversarialTrainer(network, "fgsm", eps=recipe["eps"], clean_weight=recipe["clean_weight"])
    trainer.compile(optimizer=keras.optimizers.Adam())
    start = time.perf_counter()
    trainer.fit(x, y, batch_size=recipe["batch_size"], epochs=recipe["epochs"], verbose=0)
    seconds = time.perf_counter() - start
    network.save_weights(str(out))
    test = leak_accuracies(network, x_eval, y_eval, seed)
    print(f"seed {seed}: {seconds:.0f} s; " + ", ".join(f"{k} {v:.4f}" for k, v in test.items()), flush=True)
    return test, seconds


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0],
                        help="one training per seed; the first seed's weights are kept (default: 0)")
    parser.add_argument("--update", action="store_true",
                        help="write the weights and their manifest entry into course_utils/shipped/")
    args = parser.parse_args(argv)

    from course_utils.speed import measure_reference

    unit_before = measure_reference()
    print(f"reference unit before: {unit_before:.1f} s", flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        results = [train_one(seed, Path(tmp) / f"seed{seed}.weights.h5") for seed in args.seeds]
        unit_after = measure_reference()
        unit = (unit_before + unit_after) / 2
        kept = Path(tmp) / f"seed{args.seeds[0]}.weights.h5"
        spreads = {name: manifest.spread([test[name] for test, _ in results], args.seeds) for name in results[0][0]}
        for name, spread in spreads.items():
            print(f"{name} over seeds {args.seeds}: mean {spread['mean']:.4f}, std {spread['std']:.4f}")
        leaks = [t["fgsm_true_label_accuracy"] > t["fgsm_predicted_label_accuracy"] > t["pgd_accuracy"]
                 for t, _ in results]
        print(f"true-label FGSM weaker than predicted-label FGSM, itself weaker than PGD: {sum(leaks)} of "
              f"{len(leaks)} seeds; kept seed {args.seeds[0]}: SHA-256 {sha256_of(kept)}")
        units = [round(s / unit, 2) for _, s in results]
        if args.update:
            shutil.copy(kept, shipped_path(models.FGSM_MLP_FILE))
            shipping.write_entry(models.FGSM_MLP_FILE, MADE_BY, results[0][0], spreads,
                                 train_seconds=[round(s, 1) for _, s in results], train_units=units,
                                 reference_unit_s=[round(unit_before, 2), round(unit_after, 2)],
                                 recipe=models.FGSM_MLP_RECIPE, seeds_with_leak=int(sum(leaks)),
                                 evaluation=f"the first {models.FGSM_MLP_RECIPE['n_eval']} test images")
            print(f"wrote {models.FGSM_MLP_FILE} and its manifest entry")
    return 0


if __name__ == "__main__":
    sys.exit(main())
