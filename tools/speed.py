"""Measure this machine's reference unit (``make speed``), cache it, and estimate each lesson's full-mode time.

Usage: ``python tools/speed.py``.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import nbformat

sys.path.insert(0, str(Path(__file__).resolve().parent))
import delivery

from course_utils import speed


def main() -> int:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
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
