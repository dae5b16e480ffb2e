"""build_dogs_vs_cats.py end to end: balanced uint8 splits and the exact mean,
every photo in one split once; a missing or empty images folder and
non-positive sizes and counts are one line."""

import json

import h5py
import numpy as np
import pytest

from conftest import STORED_SIZE, call_main
from dogs_vs_cats import build_dogs_vs_cats
from helpers import one_line_error


def test_missing_or_empty_images_folder(tmp_path, capsys):
    args = ["--output-dir", tmp_path / "o", "--mean", tmp_path / "m.json"]
    code, _, err = call_main(build_dogs_vs_cats, ["--images", tmp_path / "nope"] + args, capsys)
    one_line_error(code, err, "nope does not exist")
    (tmp_path / "empty").mkdir()
    code, _, err = call_main(build_dogs_vs_cats, ["--images", tmp_path / "empty"] + args, capsys)
    one_line_error(code, err, "empty holds no image files")


@pytest.mark.parametrize("flag,value", [("--size", 0), ("--val-size", -5), ("--workers", "two")])
def test_non_positive_sizes_and_counts(flag, value, capsys):
    code, _, err = call_main(build_dogs_vs_cats, [flag, value], capsys)
    one_line_error(code, err, flag, "positive integer")


def test_build_writes_balanced_uint8_splits_and_the_exact_mean(built):
    sizes = {}
    for split in ("train", "val", "test"):
        with h5py.File(built[split], "r") as db:
            images, labels = db["images"][:], db["labels"][:]
            assert images.dtype == np.uint8
            assert images.shape[1:] == (STORED_SIZE, STORED_SIZE, 3)
            assert list(db["label_names"].asstr()[()]) == ["cat", "dog"]
            sizes[split] = np.bincount(labels, minlength=2).tolist()
            if split == "train":
                direct = images.reshape(-1, 3).astype(np.float64).mean(axis=0)
    assert sizes == {"train": [20, 20], "val": [5, 5], "test": [5, 5]}
    mean = json.loads(built["mean"].read_text())
    assert mean == pytest.approx({"R": direct[2], "G": direct[1], "B": direct[0]}, abs=1e-9)
    report = json.loads((built["dir"] / "build_record.json").read_text())
    assert report["used"] == {"train": 40, "val": 10, "test": 10} and report["skipped"] == []


def test_build_splits_hold_every_photo_once(built, sample):
    import cv2

    from pyimagesearch.preprocessing import AspectAwarePreprocessor

    stored = np.concatenate(
        [h5py.File(built[s], "r")["images"][:] for s in ("train", "val", "test")]
    )
    aap = AspectAwarePreprocessor(STORED_SIZE, STORED_SIZE)
    image = aap.preprocess(cv2.imread(f"{sample['train']}/dog.7.jpg"))
    assert sum(np.array_equal(image, row) for row in stored) == 1
    assert len(stored) == 60
