"""Stamp the Colab and Binder badges, the time line and the Colab set-up cell into notebooks (``make badges``).

The repository URL and BinderHub come from course.toml, the time line (minutes on a typical laptop)
from the notebook metadata ``course``. Stamping is idempotent: a second run changes no byte.
Usage: ``python tools/stamp_notebooks.py [--check] [notebooks/NN_x.ipynb ...]`` (default: every
lesson). ``--check`` changes nothing and exits 1 if a notebook would change.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import delivery
import nbformat


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="*", type=Path)
    parser.add_argument("--check", action="store_true", help="only report notebooks that need stamping")
    args = parser.parse_args(argv)
    config = delivery.load_config()
    stale = []
    for path in args.notebooks or delivery.notebooks():
        nb = nbformat.read(path, as_version=4)
        stamped = nbformat.from_dict(delivery.stamp(nb, delivery.rel_notebook_path(path), config))
        before = path.read_text(encoding="utf-8")
        after = nbformat.writes(stamped) + "\n"
        if before == after:
            print(f"{path.name}: up to date")
            continue
        stale.append(path.name)
        if args.check:
            print(f"{path.name}: needs `make badges`")
        else:
            path.write_text(after, encoding="utf-8")
            print(f"{path.name}: stamped")
    return 1 if args.check and stale else 0


if __name__ == "__main__":
    sys.exit(main())
