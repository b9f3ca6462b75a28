"""Where things are: the Keras cache, the course's own cache, the shipped files, the course's data
folder (students' photos); SHA-256 of a file.

Every other module asks this one, so a path or a checksum is computed in one place.

Usage::

    from course_utils.paths import shipped_path, sha256_of
    sha256_of(shipped_path("fashion_cnn.weights.h5"))
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

SHIPPED_DIR_NAME = "shipped"   # course_utils/shipped/: weight files, manifest.json, README.md
DATA_DIR_ENV = "COURSE_DATA_DIR"   # another data folder than the clone's data/ (tests, a shared class folder)


def keras_home() -> Path:
    """Keras' cache folder: ``$KERAS_HOME`` or ``~/.keras`` (datasets/ and models/ live there).

    Usage: ``keras_home() / "datasets"``.
    """
    return Path(os.environ.get("KERAS_HOME") or Path.home() / ".keras").expanduser()


def cache_dir() -> Path:
    """The course's own cache (converted weights, the measured machine speed):
    ``$XDG_CACHE_HOME/course_utils`` or ``~/.cache/course_utils``; created on first use.

    Usage: ``cache_dir() / "efficientnet_lite0_imagenet.npz"``.
    """
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache").expanduser()
    path = base / "course_utils"
    path.mkdir(parents=True, exist_ok=True)
    return path


def package_dir() -> Path:
    """The installed ``course_utils`` folder. Usage: ``package_dir() / "shipped"``."""
    return Path(__file__).resolve().parent


def repo_root() -> Path:
    """The folder that holds ``course_utils``: the repository in a clone or an editable install.

    Usage: ``repo_root() / "notebooks"``.
    """
    return package_dir().parent


def data_dir() -> Path:
    """The course's data folder, where a student drops a photo of their own (``data/README.md``):
    ``$COURSE_DATA_DIR``, else ``data/`` of the clone (also on Colab and Binder, which clone it).

    Usage: ``data_dir() / "my_cat.jpg"``.
    """
    return Path(os.environ.get(DATA_DIR_ENV) or repo_root() / "data").expanduser()


def shipped_dir() -> Path:
    """The shipped files (trained weights, their manifest): ``course_utils/shipped/``, package data,
    so they come with ``pip install .`` as well as with a clone.

    Usage: ``shipped_dir() / "manifest.json"``.
    """
    return package_dir() / SHIPPED_DIR_NAME


def shipped_path(name: str) -> Path:
    """Path of one shipped file. Usage: ``shipped_path("fashion_cnn.weights.h5")``."""
    return shipped_dir() / name


def sha256_of(path: str | Path) -> str:
    """SHA-256 of a file, hex. Usage: ``sha256_of(shipped_path("fashion_cnn.weights.h5"))``."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def sha256_bytes(data: bytes) -> str:
    """SHA-256 of bytes in memory, hex. Usage: ``sha256_bytes(gzip.decompress(raw))``."""
    return hashlib.sha256(data).hexdigest()
