"""How fast this machine is, in one number: the reference unit that every time target uses.

The same notebook takes three to four times longer on a busy machine than on a quiet one, so a
target in seconds passes or fails by luck. Every time in the course is therefore stated in
*reference units*: seconds divided by the time this machine takes for a fixed workload, one epoch
of the classic Keras MNIST convnet (Conv32-Conv64-MaxPool-Dropout-Dense128-Dropout-Dense10, Adam,
batch 128) on the first 20,000 Fashion-MNIST training images, after a short warm-up. That is
about 12 s on a quiet 2-core machine. ``make bench`` measures it at its start and its end;
``make speed`` (``tools/speed.py``) measures it alone and caches it, and the environment report shows the
cached figure.

Usage::

    from course_utils.speed import measure_reference, cached_reference
    seconds = measure_reference()          # about 12 s on a quiet 2-core machine
    print(cached_reference())              # {"seconds": 12.3, "date": "2026-11-25", ...} or None
"""

from __future__ import annotations

import datetime
import json
import os
import platform
import time
from typing import Any

import keras
import numpy as np

from course_utils.data import load_fashion_mnist
from course_utils.models import build_classic_convnet
from course_utils.paths import cache_dir

REFERENCE_IMAGES = 20_000
REFERENCE_BATCH = 128
WARMUP_BATCHES = 5
CACHE_NAME = "reference_speed.json"
# One reference unit taken as 12 s on a typical laptop: what the reference workload took at quiet
# moments on the course's 2-core machine (10.6-13.1 s measured).
TYPICAL_UNIT_SECONDS = 12.0
REFERENCE_TEXT = ("one epoch of the classic Keras MNIST convnet on 20,000 Fashion-MNIST images "
                  "(about 12 s on a quiet 2-core machine)")


def build_reference_model() -> keras.Model:
    """The classic Keras MNIST convnet (``models.build_classic_convnet``, lesson 05's baseline),
    compiled with Adam. Usage: ``build_reference_model().summary()``.
    """
    model = build_classic_convnet()
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    return model


def measure_reference(images: int = REFERENCE_IMAGES) -> float:
    """Seconds for one epoch of the reference workload on this machine (warm-up not counted).

    Usage: ``unit_s = measure_reference()``.
    """
    (x, y), _ = load_fashion_mnist()
    x = (x[:images, ..., None] / np.float32(255.0)).astype("float32")
    y = y[:images]
    keras.utils.set_random_seed(0)
    model = build_reference_model()
    warm = WARMUP_BATCHES * REFERENCE_BATCH
    model.fit(x[:warm], y[:warm], batch_size=REFERENCE_BATCH, epochs=1, verbose=0)
    start = time.perf_counter()
    model.fit(x, y, batch_size=REFERENCE_BATCH, epochs=1, verbose=0)
    return time.perf_counter() - start


def to_units(seconds: float, unit_s: float) -> float:
    """Seconds in reference units. Usage: ``to_units(240.0, 12.0)  # 20.0``."""
    if unit_s <= 0:
        raise ValueError(f"the reference time must be positive, got {unit_s}")
    return seconds / unit_s


def laptop_minutes(units: float) -> str:
    """A time in reference units as a student reads it: minutes on a typical laptop.

    Student-facing times (the lessons' time lines, the site, the tools' training times printed in the
    lessons 06-12) use it; reference units stay in ``make bench``, CONTRIBUTING.md and the notebooks'
    metadata. Usage: ``laptop_minutes(15)  # 'about 3 minutes'``.
    """
    if units < 0:
        raise ValueError(f"a time cannot be negative, got {units} units")
    seconds = units * TYPICAL_UNIT_SECONDS
    if seconds < 60:
        return "under a minute"
    minutes = round(seconds / 60)
    return f"about {minutes} minute{'s' if minutes > 1 else ''}"


def cached_reference() -> dict[str, Any] | None:
    """The last figure ``make speed`` cached (seconds, date, machine), or ``None``.

    Usage: ``info = cached_reference()``.
    """
    path = cache_dir() / CACHE_NAME
    try:
        info = json.loads(path.read_text(encoding="utf-8"))
        return info if float(info["seconds"]) > 0 else None
    except (OSError, ValueError, KeyError, TypeError):
        return None


def save_reference(seconds: float) -> dict[str, Any]:
    """Cache a measured figure with today's date. Usage: ``save_reference(measure_reference())``."""
    info = {"seconds": round(seconds, 2), "date": datetime.date.today().isoformat(),
            "machine": f"{platform.system()} {platform.machine()}, {os.cpu_count()} cores"}
    (cache_dir() / CACHE_NAME).write_text(json.dumps(info) + "\n", encoding="utf-8")
    return info


def describe(info: dict[str, Any] | None) -> str:
    """One line for the environment report. Usage: ``print(describe(cached_reference()))``."""
    if info is None:
        return "not measured yet: `make speed` measures it (about a minute)"
    return (f"1 reference unit = {info['seconds']:.1f} s on this machine (measured {info['date']}; "
            "`make speed` measures it again)")
