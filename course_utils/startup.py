"""The first line of every lesson's set-up cell: import Keras once, out of the garbage collector's sight.

Importing Keras and TensorFlow makes about 400,000 objects that live as long as the kernel
(modules, classes, functions) and almost no garbage, yet Python's cyclic garbage collector scans
all of them at every full collection: during the import, then whenever a model is built or traced.
:func:`freeze_imports` imports them with the collector paused and ``gc.freeze()``s what is alive
into the permanent generation, which later collections skip. Objects made afterwards are
collected as usual; objects alive at the call are never collected, so call it first, before the
other ``course_utils`` imports (which import Keras themselves).

Usage (a lesson's set-up cell)::

    from course_utils.startup import freeze_imports
    freeze_imports()
"""

from __future__ import annotations

import gc
import importlib

FRAMEWORKS = ("tensorflow", "keras")


def freeze_imports() -> int:
    """Import TensorFlow and Keras with the collector paused, then ``gc.freeze()``; returns the objects frozen.

    Measured on 2 CPU cores (2026-12-07, three alternating pairs of runs of the same script: import
    the course, load lesson 05's CNN, build three more and run compiled forward passes): garbage
    collection took 0.01-0.02 s after this call against 1.35-2.00 s without it (wall time 6.9-9.8 s
    against 8.1-13.2 s, a shared machine). A second call freezes what was made since the first.
    Usage: ``freeze_imports()``.
    """
    collecting = gc.isenabled()
    gc.disable()
    try:
        for name in FRAMEWORKS:
            importlib.import_module(name)
        exact_float32()
    finally:
        before = gc.get_freeze_count()
        gc.freeze()
        if collecting:
            gc.enable()
    return gc.get_freeze_count() - before


def exact_float32() -> None:
    """Float32 matrix products and convolutions in full float32 on every device: TensorFloat-32 off.

    On Ampere and later NVIDIA GPUs TensorFlow rounds float32 inputs to TF32 (10 bits of mantissa)
    by default, so the lessons' checks of NumPy code against Keras at ``rel_error < 1e-5`` would fail
    there. On a CPU it changes nothing. :func:`freeze_imports` calls it, so every lesson does.
    Usage: ``exact_float32()`` (called by ``freeze_imports``, the first line of every lesson).
    """
    import tensorflow as tf

    tf.config.experimental.enable_tensor_float_32_execution(False)
