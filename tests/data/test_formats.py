import pickle

import numpy as np
import pytest

from cnnlab.data import cifar
from cnnlab.data.idx import read_idx, write_idx
from cnnlab.errors import CnnlabError


def test_idx_round_trip_raw_and_gz(tmp_path):
    images = np.random.default_rng(0).integers(0, 256, (5, 28, 28), dtype=np.uint8)
    for name in ("x-idx3-ubyte", "x-idx3-ubyte.gz"):
        write_idx(tmp_path / name, images)
        np.testing.assert_array_equal(read_idx(tmp_path / name), images)


def test_idx_header_is_the_official_layout(tmp_path):
    write_idx(tmp_path / "labels", np.arange(3, dtype=np.uint8))
    raw = (tmp_path / "labels").read_bytes()
    assert raw[:4] == bytes([0, 0, 8, 1]) and int.from_bytes(raw[4:8], "big") == 3 and raw[8:] == bytes([0, 1, 2])


def test_truncated_idx_is_a_clear_error(tmp_path):
    write_idx(tmp_path / "x", np.zeros((4, 2, 2), np.uint8))
    data = (tmp_path / "x").read_bytes()
    (tmp_path / "x").write_bytes(data[:-3])
    with pytest.raises(CnnlabError, match="truncated"):
        read_idx(tmp_path / "x")


def test_bad_magic_is_a_clear_error(tmp_path):
    (tmp_path / "x").write_bytes(b"PK\x03\x04garbage")
    with pytest.raises(CnnlabError, match="not an IDX file"):
        read_idx(tmp_path / "x")


def test_restricted_unpickler_rejects_code(tmp_path):
    class Evil:
        def __reduce__(self):
            return (print, ("pwned",))

    with pytest.raises(CnnlabError, match="not allowed"):
        cifar.load_cifar_pickle(pickle.dumps({"data": Evil()}), "evil")


def test_restricted_unpickler_reads_numpy_arrays_as_cifar_writes_them():
    batch = {b"data": np.arange(3072 * 2, dtype=np.uint8).reshape(2, 3072), b"labels": [3, 7], b"batch_label": b"x"}
    loaded = cifar.load_cifar_pickle(pickle.dumps(batch, protocol=2), "batch")
    np.testing.assert_array_equal(loaded["data"], batch[b"data"])
    assert loaded["labels"] == [3, 7]
