"""The Keras Applications table, and what each architecture costs on *this* machine.

The published columns (size, ImageNet top-1 and top-5, parameters, depth) are the table of
keras.io/api/applications as O. Randavel and H. Mayard's deck (*Computer Vision*) shows it; the
measured columns come from building each architecture with ``weights=None`` (nothing downloads)
and timing its forward pass on the CPU. Lesson 06 measures a few architectures;
``tools/measure_applications.py`` measures the whole table and ships the result
(``applications_latency.json``, SHA-256 in the manifest; read it with ``manifest.read_json``).

Usage::

    from course_utils.applications import latency_per_image, measure
    measure(["MobileNetV2"])                   # parameters and ms per image at batch 1 and 32
    latency_per_image(model, batch_size=1)     # seconds per image of any model
"""

from __future__ import annotations

import time
from typing import Any

import keras
import numpy as np

# course_utils/shipped/, written by tools/measure_applications.py: {"machine", "date", "rows", ...}
LATENCY_FILE = "applications_latency.json"

# name: (size MB, top-1, top-5, parameters, depth) as in the deck (keras.io); None where it shows "-".
DECK_TABLE: dict[str, tuple[int, float | None, float | None, int, int | None]] = {
    "Xception": (88, 0.790, 0.945, 22_910_480, 126),
    "VGG16": (528, 0.713, 0.901, 138_357_544, 23),
    "VGG19": (549, 0.713, 0.900, 143_667_240, 26),
    "ResNet50": (98, 0.749, 0.921, 25_636_712, None),
    "ResNet101": (171, 0.764, 0.928, 44_707_176, None),
    "ResNet152": (232, 0.766, 0.931, 60_419_944, None),
    "ResNet50V2": (98, 0.760, 0.930, 25_613_800, None),
    "ResNet101V2": (171, 0.772, 0.938, 44_675_560, None),
    "ResNet152V2": (232, 0.780, 0.942, 60_380_648, None),
    "InceptionV3": (92, 0.779, 0.937, 23_851_784, 159),
    "InceptionResNetV2": (215, 0.803, 0.953, 55_873_736, 572),
    "MobileNet": (16, 0.704, 0.895, 4_253_864, 88),
    "MobileNetV2": (14, 0.713, 0.901, 3_538_984, 88),
    "DenseNet121": (33, 0.750, 0.923, 8_062_504, 121),
    "DenseNet169": (57, 0.762, 0.932, 14_307_880, 169),
    "DenseNet201": (80, 0.773, 0.936, 20_242_984, 201),
    "NASNetMobile": (23, 0.744, 0.919, 5_326_716, None),
    "NASNetLarge": (343, 0.825, 0.960, 88_949_818, None),
    "EfficientNetB0": (29, None, None, 5_330_571, None),
    "EfficientNetB1": (31, None, None, 7_856_239, None),
    "EfficientNetB2": (36, None, None, 9_177_569, None),
    "EfficientNetB3": (48, None, None, 12_220_535, None),
    "EfficientNetB4": (75, None, None, 19_466_823, None),
    "EfficientNetB5": (118, None, None, 30_562_527, None),
    "EfficientNetB6": (166, None, None, 43_265_143, None),
    "EfficientNetB7": (256, None, None, 66_658_687, None),
}
# keras.io's "Time (ms) per inference step (CPU)": batch 32, AMD EPYC (92 cores), the architectures
# whose figure we could check against the keras.io page; a published number, not a measurement of ours.
KERAS_IO_CPU_MS_PER_STEP = {"Xception": 109.4, "VGG16": 69.5, "VGG19": 84.8, "ResNet50": 58.2, "ResNet50V2": 45.6,
                            "ResNet101": 89.6, "ResNet101V2": 72.7, "ResNet152": 127.4, "ResNet152V2": 107.5,
                            "InceptionV3": 42.2, "InceptionResNetV2": 130.2, "MobileNet": 22.6,
                            "MobileNetV2": 25.9, "NASNetMobile": 27.0}
COLUMNS = ("size_mb", "top1", "top5", "parameters", "depth")


def deck_rows() -> list[dict[str, Any]]:
    """The deck's table as one dict per architecture (``name`` and :data:`COLUMNS`).

    Usage: ``pandas.DataFrame(deck_rows())``.
    """
    return [{"name": name, **dict(zip(COLUMNS, row))} for name, row in DECK_TABLE.items()]


def latency_per_image(model, batch_size: int = 1, repeats: int = 3, chunk: int | None = None) -> float:
    """Median wall time per image (seconds) of ``model``'s compiled forward pass on random input.

    One untimed call first (it traces the graph), then ``repeats`` timed calls of ``batch_size``
    images; ``chunk`` splits each batch into calls of at most ``chunk`` images (to bound memory).
    Usage: ``latency_per_image(imagenet_model(), batch_size=32)`` (lesson 06).
    """
    if batch_size < 1 or repeats < 1 or (chunk is not None and chunk < 1):
        raise ValueError(f"batch_size, repeats and chunk must be >= 1, got {batch_size}, {repeats} and {chunk}")
    shape = tuple(model.input_shape[1:])
    x = np.random.default_rng(0).uniform(-1, 1, size=(batch_size, *shape)).astype("float32")
    step = chunk or batch_size
    parts = [x[i:i + step] for i in range(0, batch_size, step)]
    model.predict_on_batch(parts[0])   # warm-up: tracing is not latency
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        for part in parts:
            model.predict_on_batch(part)
        times.append(time.perf_counter() - start)
    return float(np.median(times)) / batch_size


def measure(names: list[str], repeats: int = 3, batch_sizes: tuple[int, ...] = (1, 32),
            chunk_above: int = 300, on_each=None) -> list[dict[str, Any]]:
    """Parameters (``weights=None``) and CPU latency per image for each architecture in ``names``.

    Each is ``keras.applications.<name>(weights=None)`` at its default input side, the one it was trained
    at (224 for most, 299 for Xception and the Inceptions, up to 600 for EfficientNetB7; random weights,
    nothing downloads). Inputs larger than ``chunk_above`` pixels run their batches as calls
    of 8 images. ``on_each(name)`` is called before each one (a progress bar's update).
    Usage: ``rows = measure(["MobileNetV2", "ResNet50"])`` (lesson 06; ``tools/measure_applications.py``).
    """
    unknown = [name for name in names if name not in DECK_TABLE]
    if unknown:
        raise ValueError(f"unknown architecture {unknown[0]!r}; choose from: {', '.join(DECK_TABLE)}")
    rows = []
    for name in names:
        if on_each is not None:
            on_each(name)
        model = getattr(keras.applications, name)(weights=None)
        side = model.input_shape[1]
        row = {"name": name, "input_size": side, "parameters_measured": int(model.count_params())}
        for batch in batch_sizes:
            chunk = 8 if side > chunk_above and batch > 8 else None
            row[f"ms_per_image_batch{batch}"] = round(1000 * latency_per_image(model, batch, repeats, chunk), 2)
        rows.append(row)
        del model
        keras.backend.clear_session()
    return rows
