"""Record a notebook's headline numbers beside their targets; ``make bench`` gathers them.

A notebook calls :func:`record` where it computes a number, with the target right there, so
the target cannot drift from the code. ``tools/bench.py`` sets ``COURSE_REPORT_DIR`` and
``COURSE_NOTEBOOK`` while it runs each notebook, and :func:`write_bench_tables` writes
``build/bench.md`` and ``build/bench.json``.

Usage::

    from course_utils.report import record
    record("test accuracy", acc, at_least=0.84)
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

REPORT_DIR_ENV = "COURSE_REPORT_DIR"
NOTEBOOK_ENV = "COURSE_NOTEBOOK"
RECORDS_FILE = "records.jsonl"


def _target_text(at_least: float | None, at_most: float | None) -> str:
    parts = []
    if at_least is not None:
        parts.append(f">= {at_least:g}")
    if at_most is not None:
        parts.append(f"<= {at_most:g}")
    return " and ".join(parts)


def record(measure: str, value: float, *, at_least: float | None = None,
           at_most: float | None = None, unit: str = "") -> dict[str, Any]:
    """Print ``measure: value (target ...: met/not met)`` and save it when ``make bench`` runs.

    Usage: ``record("NumPy MLP test accuracy", 0.874, at_least=0.87)``.
    """
    from course_utils.config import mode_name

    value = float(value)
    met = None
    if at_least is not None or at_most is not None:
        met = (at_least is None or value >= at_least) and (at_most is None or value <= at_most)
    row = {"notebook": os.environ.get(NOTEBOOK_ENV, "interactive"), "measure": measure,
           "value": round(value, 4), "unit": unit, "target": _target_text(at_least, at_most),
           "met": met, "mode": mode_name()}
    verdict = "" if met is None else f" (target {row['target']}: {'met' if met else 'not met'}" + (
        ", quick mode" if row["mode"] == "quick" else "") + ")"
    print(f"{measure}: {value:.4g}{(' ' + unit) if unit else ''}{verdict}")
    folder = os.environ.get(REPORT_DIR_ENV)
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        with open(Path(folder) / RECORDS_FILE, "a", encoding="utf-8") as fh:
            fh.write(json.dumps(row) + "\n")
    return row


def read_records(folder: str | Path) -> list[dict[str, Any]]:
    """All rows recorded into ``folder`` (one JSON object per line).

    Usage: ``rows = read_records("build/bench")``.
    """
    path = Path(folder) / RECORDS_FILE
    if not path.is_file():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def write_bench_tables(rows: list[dict[str, Any]], md_path: str | Path, json_path: str | Path) -> None:
    """Write the rows as a Markdown table and as a JSON list with the same keys.

    Usage: ``write_bench_tables(rows, "build/bench.md", "build/bench.json")``.
    """
    keys = ("notebook", "measure", "value", "target", "met")
    clean = [{k: row.get(k) for k in keys} | {"unit": row.get("unit", "")} for row in rows]
    Path(json_path).write_text(json.dumps(clean, indent=2) + "\n", encoding="utf-8")
    marks = {True: "yes", False: "**no**", None: ""}
    lines = ["| notebook | measure | value | target | met |", "|---|---|---|---|---|"]
    for row in clean:
        value = f"{row['value']:g}" + (f" {row['unit']}" if row["unit"] else "")
        lines.append(f"| {row['notebook']} | {row['measure']} | {value} | {row['target'] or ''} "
                     f"| {marks[row['met']]} |")
    Path(md_path).write_text("# Benchmark (full mode)\n\n" + "\n".join(lines) + "\n", encoding="utf-8")
