"""Measure this machine's reference unit (``make speed``), cache it, and estimate each lesson's full-mode time.

``--json`` prints only the cached figure as one JSON line: ``tools/bench.py`` runs it in a fresh
process, as a kernel would run the workload.
Usage: ``python tools/speed.py [--json]``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys

import delivery
import nbformat

from course_utils import speed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print the measured figure as one JSON line")
    args = parser.parse_args(argv)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    if args.json:
        print(json.dumps(speed.save_reference(speed.measure_reference())))
        return 0
    print(f"Measuring the reference workload: {speed.REFERENCE_TEXT} ...", flush=True)
    info = speed.save_reference(speed.measure_reference())
    print(speed.describe(info))
    print("Estimated full-mode time of each lesson on this machine (its target in reference units):")
    for path in delivery.notebooks():
        units = nbformat.read(path, as_version=4).metadata.get("course", {}).get("time_full_units")
        if units:
            print(f"  {path.stem:<32} <= {units:>4g} units = {units * info['seconds'] / 60:5.1f} min")
    return 0


if __name__ == "__main__":
    sys.exit(main())
