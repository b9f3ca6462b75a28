"""Measure the whole Keras Applications table on this machine; ship the result for lesson 06.

For every architecture of the table in O. Randavel and H. Mayard's deck (``course_utils.applications``):
the parameter count of ``keras.applications.<name>(weights=None)`` at its own input size (nothing
downloads) and the CPU time per image of its compiled forward pass at batch 1 and batch 32 (median of
the timed repeats, after one untimed call that traces the graph; inputs larger than 300 px run their
batch of 32 as calls of 8 images, to bound memory). The reference unit of time
(``course_utils.speed``) is measured before and after, so the table can be compared across machines.

Writes ``course_utils/shipped/applications_latency.json`` and its manifest entry (SHA-256, date,
machine), and records a few numbers with ``report.record`` (``make bench`` runs it before lesson 06).

Usage: ``python tools/measure_applications.py [--only MobileNetV2 ResNet50] [--repeats 3]``
"""

from __future__ import annotations

import argparse
import json
import platform
import time

import shipping

from course_utils.applications import DECK_TABLE, LATENCY_FILE, measure
from course_utils.paths import shipped_path
from course_utils.report import record
from course_utils.speed import measure_reference

MADE_BY = "tools/measure_applications.py"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="*", default=None, help="measure only these architectures (no shipping)")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)
    names = args.only or list(DECK_TABLE)
    start_ref = measure_reference()
    began = time.perf_counter()
    rows = measure(names, repeats=args.repeats,
                   on_each=lambda name: print(f"measuring {name} ...", flush=True))
    seconds = time.perf_counter() - began
    end_ref = measure_reference()
    for row in rows:
        print(json.dumps(row), flush=True)
    fastest = min(rows, key=lambda r: r["ms_per_image_batch1"])
    record(f"fastest architecture at batch 1 ({fastest['name']}), ms per image", fastest["ms_per_image_batch1"])
    for row in rows:
        if row["name"] in ("MobileNetV2", "ResNet50", "EfficientNetB0"):
            record(f"{row['name']} CPU latency, batch 1, ms per image", row["ms_per_image_batch1"])
            record(f"{row['name']} CPU latency, batch 32, ms per image", row["ms_per_image_batch32"])
    mismatched = [r["name"] for r in rows if r["parameters_measured"] != DECK_TABLE[r["name"]][3]]
    record("architectures whose weights=None parameter count differs from keras.io", len(mismatched))
    if args.only:
        print("--only given: nothing shipped")
        return 0
    unit_s = (start_ref + end_ref) / 2
    table = {"made_by": MADE_BY, "date": time.strftime("%Y-%m-%d"),
             "machine": f"{platform.system()} {platform.machine()}, {platform.processor() or 'cpu'}",
             "reference_unit_s": round(unit_s, 2), "measure_seconds": round(seconds, 1),
             "method": "keras.applications.<name>(weights=None), predict_on_batch on random input, "
                       f"median of {args.repeats} timed calls after one untimed call; inputs over 300 px "
                       "run batch 32 as calls of 8",
             "parameter_count_mismatches": mismatched, "rows": rows}
    path = shipped_path(LATENCY_FILE)
    path.write_text(json.dumps(table, indent=1) + "\n", encoding="utf-8")
    shipping.write_entry(LATENCY_FILE, MADE_BY, {"architectures": len(rows), "reference_unit_s": unit_s},
                         measure_units=round(seconds / unit_s, 1))
    print(f"wrote {path} ({len(rows)} architectures, {seconds:.0f} s = {seconds / unit_s:.1f} units)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
