"""Record a notebook's headline numbers beside their targets; ``make bench`` gathers them.

A notebook calls :func:`record` where it computes a number, with the target right there, so
the target cannot drift from the code. ``tools/bench.py`` sets ``COURSE_REPORT_DIR`` and
``COURSE_NOTEBOOK`` while it runs each notebook and turns the rows into ``build/bench.md``.

Times are recorded in seconds (``unit="s"``) with targets in *reference units* (see
:mod:`course_utils.speed`): the bench divides the seconds by the reference workload's time,
measured in the same run, and judges the target there.

Usage::

    from course_utils.report import record
    record("test accuracy", acc, at_least=0.84)
    record("training time", seconds, unit="s", at_most=20)    # at most 20 reference units
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from course_utils.config import mode_name
from course_utils.speed import cached_reference

REPORT_DIR_ENV = "COURSE_REPORT_DIR"
NOTEBOOK_ENV = "COURSE_NOTEBOOK"
RECORDS_FILE = "records.jsonl"
SECONDS = "s"


def target_text(at_least: float | None, at_most: float | None, unit: str = "") -> str:
    """``">= 0.9"``, ``"<= 20 units"``, both joined by ``and``, or ``""``. Usage: ``target_text(None, 5, "units")``."""
    parts = [f"{op} {v:g}" for op, v in ((">=", at_least), ("<=", at_most)) if v is not None]
    return " and ".join(parts) + (f" {unit}" if parts and unit else "")


def meets(value: float, at_least: float | None, at_most: float | None) -> bool | None:
    """Whether ``value`` meets the bounds (``None`` when there are none). Usage: ``meets(0.93, 0.92, None)``."""
    if at_least is None and at_most is None:
        return None
    return (at_least is None or value >= at_least) and (at_most is None or value <= at_most)


class Recorded(dict):
    """What :func:`record` returns: its row, with ``met`` and ``target``. ``record`` has printed it
    already, so a notebook that ends a cell with ``record(...)`` shows that one line, not a dict.

    Usage: ``row = record("accuracy", 0.9, at_least=0.8); row["met"]``.
    """

    def _ipython_display_(self) -> None:
        """Display nothing: the line is printed."""


def record(measure: str, value: float, *, at_least: float | None = None,
           at_most: float | None = None, unit: str = "") -> Recorded:
    """Print ``measure: value (target ...: met/not met)`` and save it when ``make bench`` runs.

    With ``unit="s"`` the value is a time in seconds and the bounds are in reference units; the
    verdict uses the figure cached by ``make speed`` until the bench measures its own.
    Usage: ``record("NumPy MLP test accuracy", 0.874, at_least=0.87)``.
    """
    value = float(value)
    row = {"notebook": os.environ.get(NOTEBOOK_ENV, "interactive"), "measure": measure,
           "value": round(value, 4), "unit": unit, "at_least": at_least, "at_most": at_most,
           "mode": mode_name()}
    shown, judged = f"{value:.4g}{(' ' + unit) if unit else ''}", value
    if unit == SECONDS:
        reference = cached_reference()
        judged = value / reference["seconds"] if reference else None
        shown += f" = {judged:.2f} reference units" if reference else " (reference unit not measured: make speed)"
    met = None if judged is None else meets(judged, at_least, at_most)
    target = target_text(at_least, at_most, "units" if unit == SECONDS else "")
    verdict = "" if met is None else f" (target {target}: {'met' if met else 'not met'}" + (
        ", quick mode" if row["mode"] == "quick" else "") + ")"
    print(f"{measure}: {shown}{verdict}")
    folder = os.environ.get(REPORT_DIR_ENV)
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        with open(Path(folder) / RECORDS_FILE, "a", encoding="utf-8") as fh:
            fh.write(json.dumps(row) + "\n")
    return Recorded(row | {"met": met, "target": target})


def read_records(folder: str | Path) -> list[dict[str, Any]]:
    """All rows recorded into ``folder`` (one JSON object per line).

    Usage: ``rows = read_records("build/bench")``.
    """
    path = Path(folder) / RECORDS_FILE
    if not path.is_file():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
