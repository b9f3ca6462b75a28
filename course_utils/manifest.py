"""The manifest of shipped files: each trained weight file's SHA-256 and measured numbers.

``course_utils/shipped/manifest.json`` maps a file name to its entry. The training tools write
it (``tools/shipping.py``); the package reads it, through :func:`read_manifest` only, and loads a
shipped file only through :func:`verified_path` (weights: :func:`load_weights`; records:
:func:`read_json`), so a hash or an accuracy is stated in one place and never copied into source code.

An entry::

    {"sha256": "...", "made_by": "tools/train_fashion_cnn.py", "date": "2026-11-25",
     "metrics": {"test_accuracy": 0.9258},
     "spread": {"test_accuracy": {"mean": 0.925, "std": 0.001, "values": [...], "seeds": [0, 1, 2]}}}

Usage::

    from course_utils.manifest import load_weights, metric, read_json
    load_weights(model, "fashion_cnn.weights.h5")          # SHA-256 checked first
    history = read_json("fashion_cnn.history.json")
    metric("fashion_cnn.weights.h5", "test_accuracy")   # 0.9258
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import keras

from course_utils.paths import sha256_of, shipped_dir

MANIFEST_NAME = "manifest.json"


class WeightsFileError(RuntimeError):
    """A shipped file is missing, corrupt, or not the one the manifest describes."""


def manifest_path() -> Path:
    """``course_utils/shipped/manifest.json``. Usage: ``manifest_path().read_text()``."""
    return shipped_dir() / MANIFEST_NAME


def read_manifest() -> dict[str, dict[str, Any]]:
    """Every entry, by file name. Usage: ``read_manifest()["fashion_cnn.weights.h5"]["sha256"]``."""
    path = manifest_path()
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise WeightsFileError(f"{path} not found: reinstall the course (git checkout course_utils/shipped)") from None
    except json.JSONDecodeError as exc:
        raise WeightsFileError(f"{path} is not valid JSON (line {exc.lineno}): "
                               "git checkout course_utils/shipped/manifest.json") from None


def entry(name: str) -> dict[str, Any]:
    """The manifest entry of one shipped file. Usage: ``entry("fashion_cnn.weights.h5")["made_by"]``."""
    entries = read_manifest()
    if name not in entries:
        raise WeightsFileError(f"{name} is not in {manifest_path()}; shipped files: {', '.join(entries)}")
    return entries[name]


def metric(name: str, measure: str) -> float:
    """A number measured for a shipped file when it was made. Usage: ``metric(FILE, "test_accuracy")``."""
    return float(entry(name)["metrics"][measure])


def verified_path(name: str) -> Path:
    """The path of a shipped file after checking its SHA-256 against the manifest.

    Raises :class:`WeightsFileError` with one line (the file and how to get it back) otherwise.
    Usage: ``model.load_weights(verified_path("fashion_cnn.weights.h5"))``.
    """
    info = entry(name)
    path = shipped_dir() / name
    fix = f"git checkout course_utils/shipped/{name}, or regenerate it: python {info.get('made_by', 'tools/')}"
    if not path.is_file():
        raise WeightsFileError(f"{path} not found; {fix}")
    if sha256_of(path) != info["sha256"]:
        raise WeightsFileError(f"{path} is corrupt or from another version (SHA-256 mismatch); {fix}")
    return path


def spread(values: list[float], seeds: list[int]) -> dict[str, Any]:
    """Mean, sample standard deviation and the values themselves, for the manifest's ``spread``.

    Usage: ``spread([0.925, 0.927, 0.924], seeds=[0, 1, 2])``.
    """
    n = len(values)
    mean = sum(values) / n
    std = (sum((v - mean) ** 2 for v in values) / (n - 1)) ** 0.5 if n > 1 else 0.0
    return {"mean": round(mean, 4), "std": round(std, 4), "values": [round(v, 4) for v in values],
            "seeds": list(seeds)}


def load_weights(model: keras.Model, name: str, weights: str | Path | None = "shipped") -> keras.Model:
    """Load weights into ``model``: ``"shipped"`` loads the shipped file ``name`` after checking its
    SHA-256; a path loads that file (not verified); ``None`` leaves the model as it is. Returns ``model``.

    Usage: ``load_weights(build_fashion_cnn(), "fashion_cnn.weights.h5")``.
    """
    if weights == "shipped":
        model.load_weights(verified_path(name))
    elif weights is not None:
        model.load_weights(str(weights))
    return model


def read_json(name: str) -> Any:
    """A shipped JSON record (a training history, a comparison table), after checking its SHA-256.

    Usage: ``read_json("fashion_cnn.history.json")["history"]["val_accuracy"]``.
    """
    return json.loads(verified_path(name).read_text(encoding="utf-8"))
