"""`io.hdf5files`: HDF5 files that are odd (a directory, a link, empty,
truncated, not HDF5) or hold the wrong datasets are refused in one line
naming the file."""

import h5py
import numpy as np
import pytest

from conftest import call_main
from dogs_vs_cats import crop_accuracy
from helpers import one_line_error

# ---- damaged or odd HDF5 files ----------------------------------------------


def odd_hdf5(path, case):
    with h5py.File(path, "w") as db:
        labels = np.arange(20) % 2
        if case == "group":
            db.create_group("images")
        elif case == "rank":
            db["images"] = np.zeros((20, 72, 72), np.uint8)
        elif case == "loop":  # a soft link to itself
            db["images"] = h5py.SoftLink("/images")
        elif case == "complex":
            db["images"] = np.zeros((20, 72, 72, 3), np.complex64)
        else:
            db["images"] = np.zeros((20, 72, 72, 3), np.uint8)
        if case == "huge":  # a few KB declaring 4 x 10^8 labels (3.2 GB to read)
            db.create_dataset("labels", shape=(4 * 10**8,), dtype="int64", chunks=(4096,))
        elif case == "external":  # labels read from another file
            outside = path.parent / "outside.bin"
            outside.write_bytes(labels.astype("int64").tobytes())
            db.create_dataset("labels", (20,), "int64", external=[(str(outside), 0, 160)])
        else:
            db["labels"] = {
                "float": labels.astype("float32"),
                "nan": np.full(20, np.nan),
                "bytes": np.array([b"cat", b"dog"] * 10),
                "onehot": np.eye(2)[labels],
            }.get(case, labels)
        db["label_names"] = np.array([b"cat", b"dog"])


@pytest.mark.parametrize("case", ["group", "rank", "float", "nan", "bytes", "onehot", "loop",
                                  "complex", "huge", "external"])  # fmt: skip
def test_odd_hdf5_files_are_refused_when_opened(built, trained, tmp_path, capsys, case):
    path = tmp_path / f"{case}.hdf5"
    odd_hdf5(path, case)
    code, out, err = call_main(
        crop_accuracy,
        ["--test", path, "--mean", built["mean"], "--model", trained["model"]],
        capsys,
    )
    one_line_error(code, err, path)


def test_hdf5_with_wrong_contents(built, trained, tmp_path, capsys):
    with h5py.File(tmp_path / "nokey.hdf5", "w") as db:
        db["pixels"] = np.zeros((2, 72, 72, 3), np.uint8)
    with h5py.File(tmp_path / "small.hdf5", "w") as db:
        db["images"] = np.zeros((2, 32, 32, 3), np.uint8)
        db["labels"] = np.zeros(2, np.int64)
    with h5py.File(tmp_path / "labels.hdf5", "w") as db:
        db["images"] = np.zeros((2, 72, 72, 3), np.uint8)
        db["labels"] = np.array([0, 5])
    args = ["--mean", built["mean"], "--model", trained["model"]]
    code, _, err = call_main(crop_accuracy, args + ["--test", tmp_path / "nokey.hdf5"], capsys)
    one_line_error(code, err, "nokey.hdf5 has no 'images' data set")
    code, _, err = call_main(crop_accuracy, args + ["--test", tmp_path / "small.hdf5"], capsys)
    one_line_error(code, err, "small.hdf5 holds images of shape (32, 32, 3)")
    code, _, err = call_main(crop_accuracy, args + ["--test", tmp_path / "labels.hdf5"], capsys)
    one_line_error(code, err, "labels.hdf5 has labels from 0 to 5")
