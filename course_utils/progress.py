"""Progress bars that stay compact: a live bar in JupyterLab and Colab, a few lines in logs and CI.

Every loop or ``fit`` that takes more than about ten seconds in full mode shows one, and every
lesson does it the same way, through :func:`progress` and :func:`keras_progress` (``tqdm.auto`` underneath); :class:`EpochTimer`
times a ``fit``'s epochs.

Usage::

    from course_utils.progress import progress, keras_progress
    for image in progress(images, desc="occlusion"):
        ...
    model.fit(x, y, epochs=8, verbose=0, callbacks=[keras_progress()])
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterable
from typing import Any, TextIO

import keras
from tqdm.auto import tqdm

# Outside a notebook (a tool's log, CI) a bar redraws at most this often, in seconds.
LOG_INTERVAL_S = 30.0


def _in_notebook() -> bool:
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    shell = get_ipython()
    return shell is not None and shell.__class__.__name__ == "ZMQInteractiveShell"


def _bar(total: float | None, desc: str, unit: str, file: TextIO | None):
    """One tqdm bar: a widget in a notebook, plain text elsewhere (rarely redrawn off a terminal)."""
    stream = file if file is not None else sys.stderr
    in_notebook = file is None and _in_notebook()
    interactive = in_notebook or getattr(stream, "isatty", lambda: False)()
    return tqdm(total=total, desc=desc, unit=unit, file=None if in_notebook else stream,
                mininterval=0.2 if interactive else LOG_INTERVAL_S, dynamic_ncols=interactive,
                ncols=None if interactive else 100, leave=True)


def progress(iterable: Iterable, desc: str = "", total: int | None = None, unit: str = "it",
             file: TextIO | None = None) -> Iterable:
    """Wrap a Python loop's iterable in a compact progress bar; yields the same items.

    Usage: ``for step in progress(range(steps), desc="gradient ascent"): ...``.
    """
    if total is None and hasattr(iterable, "__len__"):
        total = len(iterable)  # type: ignore[arg-type]
    bar = _bar(total, desc, unit, file)
    try:
        for item in iterable:
            yield item
            bar.update(1)
    finally:
        bar.close()


class KerasProgress(keras.callbacks.Callback):
    """One bar over all the steps of a ``fit``; shows ``epoch i/n`` and the logs at each epoch's end.

    Usage: ``model.fit(x, y, epochs=5, verbose=0, callbacks=[KerasProgress("training")])``.
    """

    def __init__(self, desc: str = "training", file: TextIO | None = None) -> None:
        super().__init__()
        self.desc, self.file = desc, file
        self.bar = None
        self.last_logs: dict[str, float] = {}

    def on_train_begin(self, logs: dict[str, Any] | None = None) -> None:
        epochs, steps = self.params.get("epochs") or 1, self.params.get("steps")
        self.bar = _bar(epochs * steps if steps else epochs, self.desc, "step" if steps else "epoch", self.file)
        self.bar.set_postfix_str(f"epoch 1/{epochs}", refresh=False)

    def on_train_batch_end(self, batch: int, logs: dict[str, Any] | None = None) -> None:
        if self.params.get("steps"):
            self.bar.update(1)

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        self.last_logs = {k: float(v) for k, v in (logs or {}).items()}
        if not self.params.get("steps"):
            self.bar.update(1)
        shown = ", ".join(f"{k} {v:.4g}" for k, v in self.last_logs.items() if k != "learning_rate")
        self.bar.set_postfix_str(f"epoch {epoch + 1}/{self.params.get('epochs') or 1}: {shown}")

    def on_train_end(self, logs: dict[str, Any] | None = None) -> None:
        if self.bar is not None:
            self.bar.close()


def keras_progress(desc: str = "training", file: TextIO | None = None) -> KerasProgress:
    """A Keras callback: one bar over all the steps of a ``fit``, the epoch and the latest
    metrics beside it. Use it with ``verbose=0``.

    Usage: ``model.fit(x, y, epochs=5, verbose=0, callbacks=[keras_progress()])``.
    """
    return KerasProgress(desc, file)


class EpochTimer(keras.callbacks.Callback):
    """Wall-clock seconds of every epoch of a ``fit``, in ``seconds`` (one float per epoch).

    Usage: ``timer = EpochTimer(); model.fit(x, y, epochs=3, callbacks=[timer]); timer.seconds``.
    """

    def __init__(self) -> None:
        super().__init__()
        self.seconds: list[float] = []
        self._start = 0.0

    def on_epoch_begin(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        self._start = time.perf_counter()

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        self.seconds.append(time.perf_counter() - self._start)
