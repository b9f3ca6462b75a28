"""Execute one notebook (quick mode unless --full) and save it with its outputs.

``make executed`` runs it once per lesson into build/executed/ (build/executed-full/ with
FULL=1); ``make site`` and ``make slides`` are both built from those copies, so each notebook
runs once. On an error the partial notebook goes to ``<out>.failed.ipynb`` and the exit code is 1.
Usage: ``python tools/execute_notebook.py [--full] notebooks/NN_x.ipynb build/executed/NN_x.ipynb``.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import nbformat
from delivery import EXECUTED_KEY
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

from course_utils.checks import STRICT_ENV
from course_utils.config import QUICK_ENV


def execute(src: Path, dst: Path, full: bool = False, timeout: int = 1800) -> float:
    """Run ``src`` in a fresh ``python3`` kernel; write ``dst``; return the wall time in seconds."""
    os.environ.pop("MPLBACKEND", None)  # keeps inline plots (TOOLCHAIN.md)
    os.environ.pop(STRICT_ENV, None)
    if full:
        os.environ.pop(QUICK_ENV, None)
    else:
        os.environ[QUICK_ENV] = "1"
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    nb = nbformat.read(src, as_version=4)
    dst.parent.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    client = NotebookClient(nb, timeout=timeout, kernel_name="python3",
                            resources={"metadata": {"path": str(src.resolve().parent)}})
    try:
        client.execute()
    except CellExecutionError:
        nbformat.write(nb, dst.with_suffix(".failed.ipynb"))
        raise
    seconds = time.perf_counter() - start
    nb.metadata[EXECUTED_KEY] = {"mode": "full" if full else "quick", "seconds": round(seconds, 1)}
    nbformat.write(nb, dst)
    dst.with_suffix(".failed.ipynb").unlink(missing_ok=True)
    return seconds


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("src", type=Path)
    parser.add_argument("dst", type=Path)
    parser.add_argument("--full", action="store_true", help="full mode (default: quick, COURSE_QUICK=1)")
    args = parser.parse_args(argv)
    print(f"executing {args.src.name} ({'full' if args.full else 'quick'} mode) ...", flush=True)
    try:
        seconds = execute(args.src, args.dst, args.full)
    except CellExecutionError as exc:
        print(f"{args.src.name}: FAILED, partial output in {args.dst.with_suffix('.failed.ipynb')}\n"
              f"{str(exc)[-2000:]}", file=sys.stderr)
        return 1
    print(f"{args.dst}: {seconds:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
