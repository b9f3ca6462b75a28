"""What the training tools share: writing a shipped file's manifest entry, and the learning-rate schedule.

The package only reads the manifest (``course_utils.manifest``); the tools that make the shipped
files write it, through :func:`write_entry`, so a hash or an accuracy is stated in one place.

Usage (inside a tool run as ``python tools/train_x.py``, which puts ``tools/`` on the path)::

    from shipping import cosine_schedule, write_entry
    write_entry("fashion_cnn.weights.h5", "tools/train_fashion_cnn.py", {"test_accuracy": 0.9258})
"""

from __future__ import annotations

import contextlib
import datetime
import json
import os
import time
from pathlib import Path
from typing import Any

import keras

from course_utils.manifest import WeightsFileError, manifest_path, read_manifest
from course_utils.paths import sha256_of


@contextlib.contextmanager
def _locked(path: Path, timeout_s: float = 120.0):
    """Hold ``path.lock`` (created exclusively, so it works on every OS) while the manifest is rewritten.

    Two training tools finishing at the same moment would otherwise both read the manifest and the
    second write would drop the first one's entry. A lock older than ``timeout_s`` is taken as stale.
    """
    lock = path.with_name(path.name + ".lock")
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            fd = os.open(lock, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
            break
        except FileExistsError:
            if time.monotonic() > deadline:
                lock.unlink(missing_ok=True)       # stale: its writer died
                deadline = time.monotonic() + timeout_s
            time.sleep(0.05)
    try:
        yield
    finally:
        os.close(fd)
        lock.unlink(missing_ok=True)


def write_entry(name: str, made_by: str, metrics: dict[str, float],
                spreads: dict[str, dict[str, Any]] | None = None, **extra: Any) -> dict[str, Any]:
    """Hash the shipped file ``name`` and write (or replace) its entry; keeps the other entries.

    Usage: ``write_entry("fashion_cnn.weights.h5", "tools/train_fashion_cnn.py", {"test_accuracy": 0.9258})``.
    """
    target = manifest_path()
    path = target.parent / name
    with _locked(target):
        try:
            entries = read_manifest()
        except WeightsFileError:
            entries = {}
        new = {"sha256": sha256_of(path), "bytes": path.stat().st_size, "made_by": made_by,
               "date": datetime.date.today().isoformat(),
               "metrics": {k: round(float(v), 4) for k, v in metrics.items()}}
        if spreads:
            new["spread"] = spreads
        new.update(extra)
        entries[name] = new
        partial = target.with_name(target.name + ".partial")
        partial.write_text(json.dumps(entries, indent=2, sort_keys=True) + "\n", encoding="utf-8")
        os.replace(partial, target)          # readers see the old file or the new one, never half of it
    return new


def cosine_schedule(total_steps: int, peak_lr: float, warmup_fraction: float = 0.1):
    """Linear warm-up to ``peak_lr`` over the first steps, then cosine decay to 1 % of it (lesson 05's recipe).

    Usage: ``keras.optimizers.Adam(cosine_schedule(epochs * steps_per_epoch, 3e-3))``.
    """
    warmup = max(1, int(total_steps * warmup_fraction))
    return keras.optimizers.schedules.CosineDecay(
        initial_learning_rate=peak_lr / 10, decay_steps=max(1, total_steps - warmup), alpha=0.01,
        warmup_target=peak_lr, warmup_steps=warmup)
