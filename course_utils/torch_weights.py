"""Read a legacy (non-zip) PyTorch ``.pth`` state dict with NumPy only, safely.

A ``.pth`` file is a pickle, and unpickling can run arbitrary code. This reader's unpickler
accepts only the handful of globals a state dict needs (``collections.OrderedDict``, the
tensor-rebuild function and the storage types) and refuses everything else.

Usage::

    from course_utils.torch_weights import read_state_dict
    weights = read_state_dict("efficientnet-lite0.pth")   # {name: np.ndarray}
"""

from __future__ import annotations

import collections
import pickle
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np

LEGACY_MAGIC = 0x1950A86A20F9469CFC6C
STORAGE_DTYPES = {
    "FloatStorage": np.float32, "DoubleStorage": np.float64, "HalfStorage": np.float16,
    "LongStorage": np.int64, "IntStorage": np.int32, "ShortStorage": np.int16,
    "CharStorage": np.int8, "ByteStorage": np.uint8, "BoolStorage": np.bool_,
}


class UnsafePickleError(pickle.UnpicklingError):
    """The file names a Python global that a state dict never needs."""


@dataclass
class _StorageRef:
    key: str
    dtype: type
    numel: int
    data: np.ndarray | None = None


@dataclass
class _TensorRef:
    storage: _StorageRef
    offset: int
    size: tuple[int, ...]
    stride: tuple[int, ...]

    def to_numpy(self) -> np.ndarray:
        base = self.storage.data
        if base is None:
            raise pickle.UnpicklingError(f"storage {self.storage.key} has no data")
        item = base.itemsize
        if not self.size:
            return base[self.offset].copy()
        last = self.offset + sum((n - 1) * s for n, s in zip(self.size, self.stride))
        if self.offset < 0 or last >= base.size:
            raise pickle.UnpicklingError(f"tensor reaches past its storage {self.storage.key}")
        view = np.lib.stride_tricks.as_strided(
            base[self.offset:], shape=self.size, strides=tuple(s * item for s in self.stride),
            writeable=False)
        return np.array(view)


def _storage_type(name: str) -> type:
    return type(name, (), {"dtype": STORAGE_DTYPES[name]})


def _rebuild_tensor(storage: _StorageRef, offset: int, size: tuple, stride: tuple,
                    *_ignored: Any) -> _TensorRef:
    return _TensorRef(storage, int(offset), tuple(int(n) for n in size),
                      tuple(int(s) for s in stride))


ALLOWED_GLOBALS: dict[tuple[str, str], Any] = {
    ("collections", "OrderedDict"): collections.OrderedDict,
    ("torch._utils", "_rebuild_tensor_v2"): _rebuild_tensor,
    ("torch._utils", "_rebuild_tensor"): _rebuild_tensor,
    **{("torch", name): _storage_type(name) for name in STORAGE_DTYPES},
}


class RestrictedUnpickler(pickle.Unpickler):
    """An unpickler that resolves only :data:`ALLOWED_GLOBALS` and records storages."""

    def __init__(self, file: BinaryIO, storages: dict[str, _StorageRef]):
        super().__init__(file)
        self.storages = storages

    def find_class(self, module: str, name: str) -> Any:
        try:
            return ALLOWED_GLOBALS[(module, name)]
        except KeyError:
            raise UnsafePickleError(
                f"refusing to load global {module}.{name}: not in the state-dict allow-list") from None

    def persistent_load(self, pid: Any) -> _StorageRef:
        if not (isinstance(pid, tuple) and len(pid) >= 5 and pid[0] == "storage"):
            raise pickle.UnpicklingError(f"unexpected persistent id {pid!r:.80}")
        _, storage_type, key, _location, numel = pid[:5]
        dtype = getattr(storage_type, "dtype", None)
        if dtype is None:
            raise pickle.UnpicklingError(f"unknown storage type {storage_type!r:.80}")
        key = str(key)
        if key not in self.storages:
            self.storages[key] = _StorageRef(key, dtype, int(numel))
        return self.storages[key]


def _load_plain(fh: BinaryIO) -> Any:
    return RestrictedUnpickler(fh, {}).load()


def read_state_dict(path: str | Path) -> dict[str, np.ndarray]:
    """Read a legacy-format PyTorch state dict into ``{name: numpy array}``.

    Raises :class:`UnsafePickleError` if the file names any global outside the allow-list.
    Usage: ``weights = read_state_dict(path)``.
    """
    storages: dict[str, _StorageRef] = {}
    with open(path, "rb") as fh:
        if _load_plain(fh) != LEGACY_MAGIC:
            raise pickle.UnpicklingError(f"{path} is not a legacy PyTorch file (bad magic number)")
        _load_plain(fh)  # protocol version
        _load_plain(fh)  # system info: endianness and type sizes
        state = RestrictedUnpickler(fh, storages).load()
        keys = _load_plain(fh)
        for key in keys:
            ref = storages[str(key)]
            (numel,) = struct.unpack("<q", fh.read(8))
            nbytes = numel * np.dtype(ref.dtype).itemsize
            buf = fh.read(nbytes)
            if len(buf) != nbytes:
                raise pickle.UnpicklingError(f"{path} is truncated in storage {key}")
            ref.data = np.frombuffer(buf, dtype=np.dtype(ref.dtype).newbyteorder("<"))
    if not isinstance(state, dict):
        raise pickle.UnpicklingError(f"{path} does not hold a state dict")
    return {name: value.to_numpy() if isinstance(value, _TensorRef) else np.asarray(value)
            for name, value in state.items()}
