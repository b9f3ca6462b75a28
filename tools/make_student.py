"""Write the student edition (``make student``): solution blocks replaced by stubs, no outputs.

Rules (CONTRIBUTING.md, "Exercises"): an indented ``# BEGIN SOLUTION`` ... ``# END SOLUTION``
block becomes ``raise NotImplementedError("exercise")`` at the same indentation; a top-level block
becomes ``name = ...`` (an Ellipsis) for each ``name = ...`` assignment. Metadata is kept and the
instructor notebooks are not touched.
Usage: ``python tools/make_student.py --out build/student [notebooks/NN_x.ipynb ...]``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import delivery
import nbformat


def write_student(path: Path, out_dir: Path) -> tuple[Path, int]:
    nb = nbformat.read(path, as_version=4)
    student, n = delivery.student_edition(nb)
    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / path.name
    nbformat.write(nbformat.from_dict(student), target)
    return target, n


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="*", type=Path)
    parser.add_argument("--out", type=Path, default=delivery.ROOT / "build" / "student")
    args = parser.parse_args(argv)
    for path in args.notebooks or delivery.notebooks():
        target, n = write_student(path, args.out)
        print(f"{target}: {n} exercise(s) stubbed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
