"""Run every notebook in full mode, one at a time, and write build/bench.md and build/bench.json.

Each notebook records its numbers with ``course_utils.report.record``; this script adds the
notebook's wall time, compared with the ``time_full_s`` target in the notebook's metadata.
Usage: ``make bench`` or ``python tools/bench.py [NN ...]`` to run only some notebooks.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

from course_utils.report import NOTEBOOK_ENV, REPORT_DIR_ENV, read_records, write_bench_tables

ROOT = Path(__file__).resolve().parent.parent


def run_bench(notebooks: list[Path], build: Path) -> int:
    """Execute ``notebooks`` in full mode and write ``build/bench.md`` and ``build/bench.json``."""
    records = build / "bench"
    (records / "executed").mkdir(parents=True, exist_ok=True)
    (records / "records.jsonl").unlink(missing_ok=True)
    os.environ.pop("COURSE_QUICK", None)
    os.environ[REPORT_DIR_ENV] = str(records)
    times, failed = [], []
    for path in notebooks:
        os.environ[NOTEBOOK_ENV] = path.stem
        nb = nbformat.read(path, as_version=4)
        start = time.perf_counter()
        print(f"running {path.name} (full mode) ...", flush=True)
        try:
            NotebookClient(nb, timeout=1800, kernel_name="python3",
                           resources={"metadata": {"path": str(path.parent)}}).execute()
        except Exception as exc:  # noqa: BLE001 - report and go on with the next notebook
            failed.append(path.name)
            print(f"  FAILED: {type(exc).__name__}: {str(exc).splitlines()[-1] if str(exc) else ''}")
        seconds = time.perf_counter() - start
        nbformat.write(nb, records / "executed" / path.name)
        limit = nb.metadata.get("course", {}).get("time_full_s")
        times.append({"notebook": path.stem, "measure": "wall time (full mode)", "value": round(seconds, 1),
                      "unit": "s", "target": f"<= {limit:g}" if limit else "",
                      "met": (seconds <= limit) if limit else None})
        print(f"  {seconds:.0f} s", flush=True)
    rows = []
    for t in times:
        rows += [r for r in read_records(records) if r["notebook"] == t["notebook"]] + [t]
    write_bench_tables(rows, build / "bench.md", build / "bench.json")
    print((build / "bench.md").read_text())
    if failed:
        print("notebooks that failed:", ", ".join(failed))
    return 1 if failed else 0


def main(selected: list[str]) -> int:
    notebooks = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    return run_bench([p for p in notebooks if not selected or p.name[:2] in selected], ROOT / "build")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:] or os.environ.get("NB", "").split()))
