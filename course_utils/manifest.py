"""The manifest of shipped files: each trained weight file's SHA-256 and measured numbers.

``course_utils/shipped/manifest.json`` maps a file name to its entry. The training tools write
it (:func:`write_entry`); the loaders read it (:func:`verified_path`), so a hash or an
accuracy is stated in one place and never copied into source code.

An entry::

    {"sha256": "...", "made_by": "tools/train_fashion_cnn.py", "date": "2026-11-25",
     "metrics": {"test_accuracy": 0.9258},
     "spread": {"test_accuracy": {"mean": 0.925, "std": 0.001, "values": [...], "seeds": [0, 1, 2]}}}

Usage::

    from course_utils.manifest import verified_path, metric
    model.load_weights(verified_path("fashion_cnn.weights.h5"))
    metric("fashion_cnn.weights.h5", "test_accuracy")   # 0.9258
"""

from __future__ import annotations

import contextlib
import datetime
import json
import os
import time
from pathlib import Path
from typing import Any

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


@contextlib.contextmanager
def _locked(path: Path, timeout_s: float = 120.0):
    """Hold ``path.lock`` (created exclusively, so it works on every OS) while the manifest is rewritten.

    Two training tools finishing at the same moment would otherwise both read the manifest and the
    second write would drop the first one's entry. A lock older than ``timeout_s`` is taken as stale.
    """
    lock = path.with_name(path.name + ".lock")
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            fd = os.open(lock, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
            break
        except FileExistsError:
            if time.monotonic() > deadline:
                lock.unlink(missing_ok=True)       # stale: its writer died
                deadline = time.monotonic() + timeout_s
            time.sleep(0.05)
    try:
        yield
    finally:
        os.close(fd)
        lock.unlink(missing_ok=True)


def write_entry(name: str, made_by: str, metrics: dict[str, float],
                spreads: dict[str, dict[str, Any]] | None = None, **extra: Any) -> dict[str, Any]:
    """Hash the shipped file ``name`` and write (or replace) its entry; keeps the other entries.

    Usage: ``write_entry("fashion_cnn.weights.h5", "tools/train_fashion_cnn.py", {"test_accuracy": 0.9258})``.
    """
    path = shipped_dir() / name
    with _locked(manifest_path()):
        return _write_entry_unlocked(name, path, made_by, metrics, spreads, extra)


def _write_entry_unlocked(name: str, path: Path, made_by: str, metrics: dict[str, float],
                          spreads: dict[str, dict[str, Any]] | None, extra: dict[str, Any]) -> dict[str, Any]:
    try:
        entries = read_manifest()
    except WeightsFileError:
        entries = {}
    new = {"sha256": sha256_of(path), "bytes": path.stat().st_size, "made_by": made_by,
           "date": datetime.date.today().isoformat(),
           "metrics": {k: round(float(v), 4) for k, v in metrics.items()}}
    if spreads:
        new["spread"] = spreads
    new.update(extra)
    entries[name] = new
    target = manifest_path()
    partial = target.with_name(target.name + ".partial")
    partial.write_text(json.dumps(entries, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    os.replace(partial, target)          # readers see the old file or the new one, never half of it
    return new
