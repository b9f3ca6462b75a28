"""Run every notebook in full mode, one at a time, and write build/bench.md and build/bench.json.

Times are judged in reference units (``course_utils.speed``): the reference workload runs at the
start and at the end, and every time is divided by the mean of the two, so a busy day does not
fail a target that a quiet day meets. Each notebook records its numbers with
``course_utils.report.record``; this script adds its wall time against ``time_full_units`` in
the notebook's metadata, and, for a notebook with ``time_presenter_units``, a second run with the
presenter switch on. A lesson whose comparison is too long for its own budget lists tools in its
metadata, ``"bench_tools": [{"command": ["tools/x.py", "--flag"], "time_units": 30}]``: the bench runs
each before the notebook, with the notebook's name, so the tool's ``record`` rows join the lesson's
(and the tool writes the file the lesson shows), and judges the tool's wall time against
``time_units``. Notebooks run with the executor of ``make executed``.

``--quick`` (``make bench-quick``) runs each notebook once in quick mode instead, judges its wall
time against ``time_quick_units`` in the same reference units, and keeps only the time rows (the
numbers a lesson records in quick mode come from shrunken data); it writes build/bench-quick.md
and build/bench-quick.json. Quick mode has no time target in the tests (the machines are too
noisy for that): this is where it is measured.
Usage: ``make bench`` or ``python tools/bench.py [--quick] [--no-tools] [NN ...]`` to run only some notebooks.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import delivery
import nbformat
from execute_notebook import execute

from course_utils.config import PRESENTER_ENV
from course_utils.report import (
    NOTEBOOK_ENV,
    RECORDS_FILE,
    REPORT_DIR_ENV,
    SECONDS,
    meets,
    read_records,
    target_text,
)
from course_utils.speed import REFERENCE_TEXT

ROOT = delivery.ROOT


def measure_reference() -> float:
    """The reference workload in a fresh process, as a kernel would run it; seconds."""
    out = subprocess.run([sys.executable, str(Path(__file__).with_name("speed.py")), "--json"], capture_output=True,
                         text=True, check=True, env=os.environ | {"TF_CPP_MIN_LOG_LEVEL": "2"})
    return float(json.loads(out.stdout.strip().splitlines()[-1])["seconds"])


def judge(row: dict[str, Any], unit_s: float) -> dict[str, Any]:
    """Final row: times converted to reference units (seconds kept beside), target and verdict."""
    value, unit = row["value"], row.get("unit", "")
    shown = {"value": value, "unit": unit}
    if unit == SECONDS:
        value = row["value"] / unit_s
        shown = {"value": round(value, 2), "unit": "units", "seconds": row["value"]}
    return {"notebook": row["notebook"], "measure": row["measure"], **shown,
            "target": target_text(row.get("at_least"), row.get("at_most"), "units" if unit == SECONDS else ""),
            "met": meets(value, row.get("at_least"), row.get("at_most"))}


def write_tables(rows: list[dict[str, Any]], reference: dict[str, Any], build: Path, name: str = "bench") -> None:
    """``{name}.json`` (reference + rows) and ``{name}.md`` (the same as a table)."""
    (build / f"{name}.json").write_text(json.dumps({"reference": reference, "rows": rows}, indent=2) + "\n",
                                      encoding="utf-8")
    marks = {True: "yes", False: "**no**", None: ""}
    lines = ["| notebook | measure | value | target | met |", "|---|---|---|---|---|"]
    for row in rows:
        value = f"{row['value']:g}" + (f" {row['unit']}" if row["unit"] else "")
        if "seconds" in row:
            value += f" ({row['seconds']:.0f} s)"
        lines.append(f"| {row['notebook']} | {row['measure']} | {value} | {row['target']} | {marks[row['met']]} |")
    mode = "quick" if name.endswith("quick") else "full"
    head = (f"# Benchmark ({mode} mode)\n\nReference unit: {REFERENCE_TEXT}. Measured here at the start "
            f"{reference['start_s']:.1f} s and at the end {reference['end_s']:.1f} s; times below are "
            f"divided by their mean, {reference['unit_s']:.1f} s.\n\n")
    (build / f"{name}.md").write_text(head + "\n".join(lines) + "\n", encoding="utf-8")


def run_tool(tool: dict[str, Any], notebook: str, records: Path) -> tuple[dict[str, Any], bool]:
    """Run one bench tool of ``notebook`` (its ``record`` rows go to ``records``); its time row and success."""
    command = [str(part) for part in tool["command"]]
    env = os.environ | {NOTEBOOK_ENV: notebook, REPORT_DIR_ENV: str(records), "TF_CPP_MIN_LOG_LEVEL": "2"}
    env.pop(PRESENTER_ENV, None)
    print(f"running {' '.join(command)} for {notebook} ...", flush=True)
    began = time.perf_counter()
    done = subprocess.run([sys.executable, *command], cwd=ROOT, env=env, check=False)
    seconds = time.perf_counter() - began
    print(f"  {seconds:.0f} s" + ("" if done.returncode == 0 else f", FAILED (exit {done.returncode})"), flush=True)
    row = {"notebook": notebook, "measure": f"wall time of {Path(command[0]).name}", "value": round(seconds, 1),
           "unit": SECONDS, "at_most": tool.get("time_units")}
    return row, done.returncode == 0


def run_bench(notebooks: list[Path], build: Path, reference=measure_reference, quick: bool = False,
              tools: bool = True) -> int:
    """Execute ``notebooks`` in full mode (``quick``: quick mode) and write ``build/bench.md`` and ``.json``.

    With ``quick``: ``build/bench-quick.md`` and ``.json``, no tools, no presenter run, time rows only.
    ``tools=False`` (``--no-tools``) skips the lessons' bench tools, for a run that checks the lessons alone.
    """
    name = "bench-quick" if quick else "bench"
    records = build / name
    records.mkdir(parents=True, exist_ok=True)
    (records / RECORDS_FILE).unlink(missing_ok=True)
    os.environ[REPORT_DIR_ENV] = str(records)
    start_s = reference()
    print(f"reference workload: {start_s:.1f} s", flush=True)
    times, failed = [], []
    for path in notebooks:
        meta = nbformat.read(path, as_version=4).metadata.get("course", {})
        for tool in ([] if quick or not tools else meta.get("bench_tools", [])):
            row, ok = run_tool(tool, path.stem, records)
            times.append(row)
            if not ok:
                failed.append(f"{path.name} ({row['measure']})")
        runs = [("wall time (full mode)", False, meta.get("time_full_units"))]
        if quick:
            runs = [("wall time (quick mode)", False, meta.get("time_quick_units"))]
        elif meta.get("time_presenter_units"):
            runs.append((f"wall time (full mode, {PRESENTER_ENV}=1)", True, meta["time_presenter_units"]))
        for measure, presenter, limit in runs:
            os.environ[NOTEBOOK_ENV] = path.stem
            os.environ.pop(PRESENTER_ENV, None)
            os.environ[REPORT_DIR_ENV] = str(records)
            if presenter:   # its numbers are not the lesson's: keep them apart
                os.environ[PRESENTER_ENV] = "1"
                os.environ[REPORT_DIR_ENV] = str(records / "presenter")
            print(f"running {path.name} ({measure}) ...", flush=True)
            began = time.perf_counter()
            try:
                execute(path, records / "executed" / (path.stem + ("-presenter" if presenter else "") + ".ipynb"),
                        full=not quick)
            except Exception as exc:  # noqa: BLE001 - report and go on with the next notebook
                failed.append(f"{path.name} ({measure})")
                print(f"  FAILED: {type(exc).__name__}: {str(exc).strip().splitlines()[-1] if str(exc) else ''}")
            seconds = time.perf_counter() - began
            os.environ.pop(PRESENTER_ENV, None)
            times.append({"notebook": path.stem, "measure": measure, "value": round(seconds, 1), "unit": SECONDS,
                          "at_most": limit})
            print(f"  {seconds:.0f} s", flush=True)
    end_s = reference()
    unit_s = (start_s + end_s) / 2
    reference_info = {"workload": REFERENCE_TEXT, "start_s": round(start_s, 2), "end_s": round(end_s, 2),
                      "unit_s": round(unit_s, 2)}
    recorded, rows = read_records(records), []
    for path in notebooks:
        rows += [r for r in recorded if r["notebook"] == path.stem and not (quick and r.get("unit") != SECONDS)]
        rows += [t for t in times if t["notebook"] == path.stem]
    rows = [judge(r, unit_s) for r in rows]
    write_tables(rows, reference_info, build, name)
    print((build / f"{name}.md").read_text())
    if failed:
        print("notebooks that failed:", ", ".join(failed))
    return 1 if failed else 0


def main(argv: list[str]) -> int:
    flags = {"--quick", "--no-tools"}
    selected = [a for a in argv if a not in flags] or os.environ.get("NB", "").split()
    notebooks = [p for p in delivery.notebooks() if not selected or p.name[:2] in selected]
    return run_bench(notebooks, ROOT / "build", quick="--quick" in argv, tools="--no-tools" not in argv)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
