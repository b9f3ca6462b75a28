import hashlib
import os
import pickle
from pathlib import Path

import numpy as np
import pytest

from course_utils.pretrained import packaged_weights_path
from course_utils.torch_weights import LEGACY_MAGIC, UnsafePickleError, read_state_dict


def _legacy_file(path, payload: bytes) -> None:
    with open(path, "wb") as fh:
        fh.write(pickle.dumps(LEGACY_MAGIC) + pickle.dumps(1001) + pickle.dumps({"little_endian": True}))
        fh.write(payload)


class _RunsCommand:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


def test_refuses_a_pickle_that_runs_a_command(tmp_path):
    marker = tmp_path / "pwned"
    evil = tmp_path / "evil.pth"
    _legacy_file(evil, pickle.dumps({"weight": _RunsCommand(marker)}))
    with pytest.raises(UnsafePickleError, match="refusing to load global (posix|os).system"):
        read_state_dict(evil)
    assert not marker.exists()


@pytest.mark.parametrize("obj", [eval, print, np.ones, pickle.loads])
def test_refuses_any_global_outside_the_allow_list(tmp_path, obj):
    path = tmp_path / "other.pth"
    _legacy_file(path, pickle.dumps({"weight": obj}))
    with pytest.raises(UnsafePickleError, match="not in the state-dict allow-list"):
        read_state_dict(path)


def test_refuses_a_file_without_the_legacy_magic(tmp_path):
    path = tmp_path / "plain.pth"
    path.write_bytes(pickle.dumps({"a": 1}))
    with pytest.raises(pickle.UnpicklingError, match="bad magic"):
        read_state_dict(path)


def test_reads_the_packaged_efficientnet_weights():
    state = read_state_dict(packaged_weights_path())
    assert len(state) == 296
    assert state["_conv_stem.weight"].shape == (32, 3, 3, 3) and state["_conv_stem.weight"].dtype == np.float32
    assert state["_fc.weight"].shape == (1000, 1280)
    assert state["_bn0.num_batches_tracked"].dtype == np.int64
    var = state["_bn1.running_var"]
    assert np.all(var > 0) and np.all(np.isfinite(var))
    digest = hashlib.sha256()      # golden: every name, dtype, shape and byte as the old reader gave them
    for name in sorted(state):
        array = np.ascontiguousarray(state[name])
        digest.update(f"{name}{array.dtype}{array.shape}".encode())
        digest.update(array.tobytes())
    golden = np.load(Path(__file__).parent / "golden" / "vision_pretrained.npz", allow_pickle=False)
    assert digest.digest() == golden["state_sha256"].tobytes()


def test_truncated_weights_are_reported(tmp_path):
    raw = packaged_weights_path().read_bytes()
    short = tmp_path / "short.pth"
    short.write_bytes(raw[: len(raw) - 1000])
    with pytest.raises(pickle.UnpicklingError, match="truncated"):
        read_state_dict(short)
