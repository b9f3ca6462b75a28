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
class _Tensor:
    """What the pickle says of a tensor: its storage's key, and where it lies in that storage."""

    storage: str
    offset: int
    size: tuple[int, ...]
    stride: tuple[int, ...]


def _rebuild_tensor(storage: str, offset: int, size: tuple, stride: tuple, *_ignored: Any) -> _Tensor:
    return _Tensor(storage, int(offset), tuple(int(n) for n in size), tuple(int(s) for s in stride))


# The only globals a state dict names; a storage type resolves to its NumPy dtype.
ALLOWED_GLOBALS: dict[tuple[str, str], Any] = {
    ("collections", "OrderedDict"): collections.OrderedDict,
    ("torch._utils", "_rebuild_tensor_v2"): _rebuild_tensor,
    ("torch._utils", "_rebuild_tensor"): _rebuild_tensor,
    **{("torch", name): np.dtype(dtype) for name, dtype in STORAGE_DTYPES.items()},
}


class RestrictedUnpickler(pickle.Unpickler):
    """An unpickler that resolves only :data:`ALLOWED_GLOBALS` and records each storage's dtype by key."""

    def __init__(self, file: BinaryIO, storages: dict[str, np.dtype]):
        super().__init__(file)
        self.storages = storages

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) not in ALLOWED_GLOBALS:
            raise UnsafePickleError(f"refusing to load global {module}.{name}: not in the state-dict allow-list")
        return ALLOWED_GLOBALS[(module, name)]

    def persistent_load(self, pid: Any) -> str:
        if not (isinstance(pid, tuple) and len(pid) >= 5 and pid[0] == "storage" and isinstance(pid[1], np.dtype)):
            raise pickle.UnpicklingError(f"unexpected persistent id {pid!r:.80}")
        self.storages[str(pid[2])] = pid[1]
        return str(pid[2])


def _to_numpy(tensor: _Tensor, data: dict[str, np.ndarray]) -> np.ndarray:
    """The tensor's values: a strided view of its storage, bounds checked, copied."""
    base = data[tensor.storage]
    last = tensor.offset + sum((n - 1) * s for n, s in zip(tensor.size, tensor.stride))
    if tensor.offset < 0 or last >= base.size:
        raise pickle.UnpicklingError(f"tensor reaches past its storage {tensor.storage}")
    strides = tuple(s * base.itemsize for s in tensor.stride)
    return np.array(np.lib.stride_tricks.as_strided(base[tensor.offset:], tensor.size, strides, writeable=False))


def read_state_dict(path: str | Path) -> dict[str, np.ndarray]:
    """Read a legacy-format PyTorch state dict into ``{name: numpy array}`` (lesson 06's offline model).

    Raises :class:`UnsafePickleError` if the file names any global outside the allow-list.
    Usage: ``weights = read_state_dict(path)``.
    """
    storages: dict[str, np.dtype] = {}
    data: dict[str, np.ndarray] = {}
    with open(path, "rb") as fh:
        if RestrictedUnpickler(fh, storages).load() != LEGACY_MAGIC:
            raise pickle.UnpicklingError(f"{path} is not a legacy PyTorch file (bad magic number)")
        for _ in ("protocol version", "system info"):
            RestrictedUnpickler(fh, storages).load()
        state = RestrictedUnpickler(fh, storages).load()
        for key in RestrictedUnpickler(fh, storages).load():
            dtype = storages[str(key)].newbyteorder("<")
            (numel,) = struct.unpack("<q", fh.read(8))
            buf = fh.read(numel * dtype.itemsize)
            if len(buf) != numel * dtype.itemsize:
                raise pickle.UnpicklingError(f"{path} is truncated in storage {key}")
            data[str(key)] = np.frombuffer(buf, dtype=dtype)
    if not isinstance(state, dict):
        raise pickle.UnpicklingError(f"{path} does not hold a state dict")
    return {name: _to_numpy(value, data) if isinstance(value, _Tensor) else np.asarray(value)
            for name, value in state.items()}
