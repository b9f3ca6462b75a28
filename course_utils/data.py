"""Datasets and photos the course uses, from offline sources first, verified by SHA-256.

Usage::

    from course_utils.data import load_fashion_mnist, sample_photo
    (x_train, y_train), (x_test, y_test) = load_fashion_mnist()
    cat = sample_photo("chelsea")
"""

from __future__ import annotations

import gzip
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import keras
import numpy as np
from PIL import Image, UnidentifiedImageError

from course_utils.paths import data_dir, keras_home, sha256_bytes

FASHION_CLASSES = (
    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
    "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
)

# SHA-256 of the *decompressed* IDX files: the Debian package re-compressed the original
# archives (different .gz bytes), but the arrays inside are identical.
FASHION_MNIST_FILES = {
    "train-images-idx3-ubyte.gz": "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888",
    "train-labels-idx1-ubyte.gz": "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9",
    "t10k-images-idx3-ubyte.gz": "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b",
    "t10k-labels-idx1-ubyte.gz": "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34",
}
DEBIAN_FASHION_DIR = Path("/usr/share/datasets/fashion-mnist")
FASHION_URL = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"
INSTALL_HINT = ("install the Debian package (sudo apt-get install dataset-fashion-mnist) "
                "or go online so Keras can download it")


class DataFileError(RuntimeError):
    """A data file exists but is corrupt, truncated or not what it should be."""


class DataNotFoundError(RuntimeError):
    """No offline copy of a dataset was found and the download failed."""


def _keras_fashion_dir() -> Path:
    return keras_home() / "datasets" / "fashion-mnist"


def _candidate_dirs() -> list[tuple[str, Path]]:
    return [("Keras cache", _keras_fashion_dir()), ("Debian package", DEBIAN_FASHION_DIR)]


def fashion_mnist_source() -> str:
    """Where :func:`load_fashion_mnist` will read from, in words (for reports).

    Usage: ``print(fashion_mnist_source())``.
    """
    for label, folder in _candidate_dirs():
        if all((folder / name).is_file() for name in FASHION_MNIST_FILES):
            return f"{label}: {folder}"
    return "not found offline; Keras will download it (needs internet), or " + INSTALL_HINT


def _read_verified(path: Path, sha256: str) -> bytes:
    """Decompress ``path`` and check the SHA-256 of its content; one-line error otherwise."""
    fix = "delete it and run `make setup` again, or reinstall: sudo apt-get install --reinstall dataset-fashion-mnist"
    try:
        with gzip.open(path, "rb") as fh:
            raw = fh.read()
    except (OSError, EOFError, zlib.error) as exc:
        raise DataFileError(f"{path} is corrupt or truncated ({type(exc).__name__}); {fix}") from None
    if sha256_bytes(raw) != sha256:
        raise DataFileError(f"{path} has the wrong content (SHA-256 mismatch); {fix}")
    return raw


def _parse_idx(raw: bytes) -> np.ndarray:
    """Parse an IDX file (the MNIST format): magic, dims, then uint8 data."""
    ndim = raw[3]
    dims = tuple(int.from_bytes(raw[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim))
    return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


def _download_fashion_mnist() -> Path:
    folder = _keras_fashion_dir()
    try:
        for name in FASHION_MNIST_FILES:
            keras.utils.get_file(fname=name, origin=FASHION_URL + name,
                                 cache_dir=str(keras_home()), cache_subdir="datasets/fashion-mnist")
    except Exception as exc:  # noqa: BLE001 - any download failure means the same to a student
        raise DataNotFoundError(
            f"Fashion-MNIST not found offline and the download failed ({type(exc).__name__}): "
            + INSTALL_HINT) from None
    return folder


def _load_folder(folder: Path) -> dict[str, np.ndarray]:
    return {name: _parse_idx(_read_verified(folder / name, digest)) for name, digest in FASHION_MNIST_FILES.items()}


def load_fashion_mnist() -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """Fashion-MNIST as ``keras.datasets.fashion_mnist.load_data()`` returns it.

    Sources, in order: the Keras cache, Debian's ``dataset-fashion-mnist``, the Keras download.
    Every file is verified by SHA-256. A source whose files fail is skipped with a one-line note
    and the next one is used; :class:`DataFileError` is raised only when no source verifies.

    Usage: ``(x_train, y_train), (x_test, y_test) = load_fashion_mnist()``
    (uint8 arrays of shapes (60000, 28, 28), (60000,), (10000, 28, 28), (10000,)).
    """
    arrays, problems = None, []
    for label, folder in _candidate_dirs():
        if not all((folder / n).is_file() for n in FASHION_MNIST_FILES):
            continue
        try:
            arrays = _load_folder(folder)
            break
        except DataFileError as exc:
            problems.append(str(exc))
            print(f"Fashion-MNIST: skipping the {label} ({exc})")
    if arrays is None:
        try:
            arrays = _load_folder(_download_fashion_mnist())
        except DataNotFoundError:
            if problems:   # offline copies exist but none verifies: that is the news
                raise DataFileError(problems[0]) from None
            raise
    return ((arrays["train-images-idx3-ubyte.gz"], arrays["train-labels-idx1-ubyte.gz"]),
            (arrays["t10k-images-idx3-ubyte.gz"], arrays["t10k-labels-idx1-ubyte.gz"]))


def subset(x: np.ndarray, y: np.ndarray, per_class: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """A class-balanced random subset: ``per_class`` examples of every class, shuffled.

    Usage: ``x_small, y_small = subset(x_train, y_train, per_class=100)``.
    """
    order = nested_subsets(y, (per_class,), seed)[per_class]
    return x[order], np.asarray(y)[order]


def nested_subsets(labels: np.ndarray, sizes: tuple[int, ...], seed: int = 0) -> dict[int, np.ndarray]:
    """Class-balanced training sets, ``n`` examples per class for each ``n`` in ``sizes``, each inside
    the next one (the same seed adds examples rather than drawing a new set: a learning curve).
    :func:`subset` is the one-size case (lesson 06's learning curves use several).

    Usage: ``sets = nested_subsets(y_train, (1, 5, 20), seed=0); x_train[sets[5]]``.
    """
    if not sizes or min(sizes) < 1:
        raise ValueError(f"sizes must be examples per class >= 1, got {sizes}")
    labels = np.asarray(labels)
    rng = np.random.default_rng(seed)
    largest = max(sizes)
    order = {}
    for label in np.unique(labels):
        where = np.flatnonzero(labels == label)
        if largest > len(where):
            raise ValueError(f"class {label} has only {len(where)} examples, asked for {largest}")
        order[label] = rng.choice(where, size=largest, replace=False)
    return {n: rng.permutation(np.concatenate([picks[:n] for picks in order.values()])) for n in sizes}



@dataclass(frozen=True)
class Photo:
    """A real photo shipped inside an installed package."""

    load: Callable[[], np.ndarray]
    shows: str
    source: str
    licence: str


def _skimage(name: str) -> Callable[[], np.ndarray]:
    def load() -> np.ndarray:
        import skimage.data

        return getattr(skimage.data, name)()
    return load


def _sklearn(name: str) -> Callable[[], np.ndarray]:
    def load() -> np.ndarray:
        from sklearn.datasets import load_sample_image

        return load_sample_image(name)
    return load


def _grace_hopper() -> np.ndarray:
    import matplotlib.cbook

    with matplotlib.cbook.get_sample_data("grace_hopper.jpg") as fh:
        return np.asarray(Image.open(fh).convert("RGB"))


PHOTOS: dict[str, Photo] = {
    "chelsea": Photo(_skimage("chelsea"), "cat", "scikit-image", "CC0"),
    "coffee": Photo(_skimage("coffee"), "espresso cup", "scikit-image", "CC0"),
    "astronaut": Photo(_skimage("astronaut"), "astronaut portrait (Eileen Collins)", "scikit-image",
                       "public domain (NASA)"),
    "rocket": Photo(_skimage("rocket"), "rocket launch", "scikit-image", "public domain (SpaceX)"),
    "motorcycle": Photo(lambda: _skimage("stereo_motorcycle")()[0], "motorcycle", "scikit-image",
                        "not stated"),
    "china": Photo(_sklearn("china.jpg"), "Chinese palace", "scikit-learn",
                   "CC BY 2.0, credit: Zhang Liang (Flickr)"),
    "flower": Photo(_sklearn("flower.jpg"), "dahlia", "scikit-learn",
                    "CC BY 2.0, credit: Ana Cotta (Flickr)"),
    "grace_hopper": Photo(_grace_hopper, "portrait of Grace Hopper", "matplotlib", "not stated"),
}


def sample_photo(name: str) -> np.ndarray:
    """A real RGB photo (uint8, H x W x 3) by name; see ``PHOTOS`` for the names and licences.

    Usage: ``cat = sample_photo("chelsea")``.
    """
    if name not in PHOTOS:
        raise ValueError(f"unknown photo {name!r}; choose one of: {', '.join(PHOTOS)}")
    image = np.asarray(PHOTOS[name].load())
    if image.ndim == 2:
        image = np.stack([image] * 3, axis=-1)
    return np.ascontiguousarray(image[..., :3]).astype(np.uint8)


PHOTO_SUFFIXES = (".jpg", ".jpeg", ".png", ".webp", ".bmp", ".gif", ".tif", ".tiff")


def photos_in_data() -> list[str]:
    """The image files in the course's data folder (:func:`course_utils.paths.data_dir`), by name.

    Usage: ``photos_in_data()`` (lessons 06, 08 and 09: your own photo).
    """
    folder = data_dir()
    files = folder.iterdir() if folder.is_dir() else []
    return sorted(p.name for p in files if p.suffix.lower() in PHOTO_SUFFIXES)


def find_photo(name: str | Path) -> Path:
    """A path that exists as given, else the photo called ``name`` (with or without its suffix)
    in the data folder; a one-line ``ValueError`` listing what is there otherwise.

    Usage: ``find_photo("my_cat")`` finds ``data/my_cat.jpg``.
    """
    path = Path(name).expanduser()
    if path.is_file():
        return path
    found = [f for f in photos_in_data() if path.name in (f, Path(f).stem)]
    if len(path.parts) == 1 and found:
        return data_dir() / found[0]
    there = ", ".join(photos_in_data()) or "no photo yet"
    raise ValueError(f"cannot read {name}: no such file here nor in {data_dir()} ({there})")


def read_photo(path: str | Path) -> np.ndarray:
    """An image file as uint8 RGB ``(H, W, 3)``, by path or by its name in the data folder
    (:func:`find_photo`); a one-line ``ValueError`` if it is not there or cannot be read.

    Usage: ``image = read_photo("my_cat.jpg")`` (lesson 06 classifies your own photo).
    """
    path = find_photo(path)
    try:
        with Image.open(path) as image:
            return np.asarray(image.convert("RGB"), dtype=np.uint8)
    except (UnidentifiedImageError, OSError) as exc:
        raise ValueError(f"cannot read {path}: not an image file ({type(exc).__name__})") from None
