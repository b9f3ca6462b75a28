"""The first line of every lesson's set-up cell: import Keras once, out of the garbage collector's sight.

Importing Keras and TensorFlow makes about 400,000 objects that live as long as the kernel
(modules, classes, functions) and almost no garbage, yet Python's cyclic garbage collector scans
all of them at every full collection: during the import, then whenever a model is built or traced.
:func:`freeze_imports` imports them with the collector paused and ``gc.freeze()``s what is alive
into the permanent generation, which later collections skip. Objects made afterwards are
collected as usual; objects alive at the call are never collected, so call it first, before the
other ``course_utils`` imports (which import Keras themselves).

It also quiets TensorFlow's start-up notices. TensorFlow 2.21 writes them to file descriptor 2
through absl before absl's log is initialised and before it reads ``TF_CPP_MIN_LOG_LEVEL``, so
the variable alone hides the CPU-feature line but not the "All log messages before
absl::InitializeLog()" banner or the oneDNN notice (measured: both remain with the variable at 1,
2 or 3, in a script and in a Jupyter kernel). The import therefore runs with descriptor 2 sent to a
file, and the lines at or above the level of ``TF_CPP_MIN_LOG_LEVEL`` (2, warnings hidden, when
unset) are written back to ``sys.stderr``, where the notebook shows them.

Usage (a lesson's set-up cell)::

    from course_utils.startup import freeze_imports
    freeze_imports()
"""

from __future__ import annotations

import gc
import importlib
import os
import re
import sys
import tempfile

FRAMEWORKS = ("tensorflow", "keras")
LOG_LEVEL_ENV = "TF_CPP_MIN_LOG_LEVEL"
ABSL_BANNER = "WARNING: All log messages before absl::InitializeLog() is called are written to STDERR"
SEVERITY = {"I": 0, "W": 1, "E": 2, "F": 3}   # absl's line prefix: I0000 00:00:... file.cc:12] text


def filter_log(text: str, min_level: int) -> str:
    """The lines of absl-formatted ``text`` at ``min_level`` or above (a message's continuation
    lines go with it; the pre-initialisation banner goes when ``min_level`` > 0).

    Usage: ``filter_log(captured, min_level=2)`` (lesson start-up, through :func:`freeze_imports`).
    """
    kept, keep = [], True
    for line in text.splitlines(keepends=True):
        if line.rstrip("\n") == ABSL_BANNER:
            keep = min_level == 0
        elif match := re.match(r"([IWEF])\d{4} \d\d:\d\d:\S+ +\d+ \S+:\d+\] ", line):
            keep = SEVERITY[match.group(1)] >= min_level
        if keep:
            kept.append(line)
    return "".join(kept)


def quiet_import(name: str) -> None:
    """Import ``name`` with descriptor 2 captured and written back through :func:`filter_log`.

    Usage: ``quiet_import("tensorflow")`` (lesson start-up, through :func:`freeze_imports`).
    """
    os.environ.setdefault(LOG_LEVEL_ENV, "2")
    level = int(os.environ[LOG_LEVEL_ENV]) if os.environ[LOG_LEVEL_ENV].isdigit() else 0
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile() as capture:
        os.dup2(capture.fileno(), 2)
        try:
            importlib.import_module(name)
        finally:
            os.dup2(saved, 2)
            os.close(saved)
            capture.seek(0)
            sys.stderr.write(filter_log(capture.read().decode(errors="replace"), level))


def freeze_imports() -> int:
    """Import TensorFlow and Keras quietly (:func:`quiet_import`) with the collector paused, then
    ``gc.freeze()``; returns the objects frozen.

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
            quiet_import(name)
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
