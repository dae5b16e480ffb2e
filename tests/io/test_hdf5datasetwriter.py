"""`io.hdf5datasetwriter`: rows and label names round-trip, the file is trimmed
to the rows added and grows past its first size, lossy rows and existing
outputs are refused, and no final file exists until it is closed."""

import os

import h5py
import numpy as np
import pytest

from helpers import write
from pyimagesearch.io import HDF5DatasetWriter


def test_writer_round_trip_keeps_uint8_and_label_names(tmp_path):
    path = tmp_path / "deep" / "train.hdf5"
    images, labels = write(path, 23)
    with h5py.File(path, "r") as db:
        assert db["images"].dtype == np.uint8 and db["images"].shape == (23, 6, 5, 3)
        assert np.array_equal(db["images"][:], images)
        assert np.array_equal(db["labels"][:], labels)
        assert list(db["label_names"].asstr()[()]) == ["cat", "dög"]
        assert db["images"].chunks[1:] == (6, 5, 3)
    assert os.listdir(path.parent) == ["train.hdf5"]


def test_writer_trims_to_rows_added_and_grows_past_dims(tmp_path):
    with HDF5DatasetWriter((10, 4), str(tmp_path / "few.hdf5"), dataKey="features") as writer:
        writer.add(np.ones((3, 4)), [0, 1, 0])
    with h5py.File(tmp_path / "few.hdf5", "r") as db:
        assert db["features"].shape == (3, 4) and db["labels"].shape == (3,)
        assert db["features"].dtype == np.float32  # float64 features stored as float32
    with HDF5DatasetWriter((2, 4), str(tmp_path / "more.hdf5"), bufSize=2) as writer:
        for i in range(5):
            writer.add(np.full((1, 4), i, np.uint8), [i % 2])
    with h5py.File(tmp_path / "more.hdf5", "r") as db:
        assert db["images"][:, 0].tolist() == [0, 1, 2, 3, 4]


def test_writer_refuses_lossy_rows(tmp_path):
    writer = HDF5DatasetWriter((4, 2), str(tmp_path / "a.hdf5"), dtype="uint8")
    with pytest.raises(TypeError, match="losing precision"):
        writer.add(np.full((1, 2), 0.5), [0])
    with pytest.raises(TypeError, match="losing precision"):
        writer.add(np.full((1, 2), 300), [0])
    writer.add(np.full((1, 2), 255, np.int64), [0])  # int64 values that fit are fine
    writer.abort()
    assert not os.listdir(tmp_path)


def test_writer_refuses_existing_output_unless_overwrite(tmp_path):
    path = tmp_path / "x.hdf5"
    path.write_bytes(b"precious")
    with pytest.raises(FileExistsError, match="x.hdf5"):
        HDF5DatasetWriter((4, 2), str(path))
    assert path.read_bytes() == b"precious"
    write(path, 4, overwrite=True)
    with h5py.File(path, "r") as db:
        assert db["images"].shape[0] == 4


def test_writer_leaves_no_final_file_until_closed_and_none_on_error(tmp_path):
    path = tmp_path / "x.hdf5"
    writer = HDF5DatasetWriter((4, 2), str(path))
    writer.add(np.zeros((4, 2), np.uint8), [0, 1, 0, 1])
    writer.flush()
    partial = writer.partialPath  # in a private folder beside the output
    assert not path.exists() and os.path.isfile(partial)
    assert os.path.dirname(os.path.dirname(partial)) == str(tmp_path)
    writer.close()
    assert path.exists() and os.listdir(tmp_path) == ["x.hdf5"]
    with pytest.raises(RuntimeError):
        with HDF5DatasetWriter((4, 2), str(tmp_path / "y.hdf5")) as writer:
            writer.add(np.zeros((2, 2), np.uint8), [0, 1])
            raise RuntimeError("interrupted")
    assert sorted(os.listdir(tmp_path)) == ["x.hdf5"]
