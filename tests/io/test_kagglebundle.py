"""`io.kagglebundle`: Kaggle's download as it comes, dogs-vs-cats.zip holding
train.zip, test1.zip and sampleSubmission.csv, read without unpacking, and
the chapter run from it."""

import csv
import io
import json
import os
import zipfile

import numpy as np
import pytest

from conftest import call_main
from dogs_vs_cats import chapter
from helpers import chapter_args
from pyimagesearch.io.imagefile import ImageFile
from pyimagesearch.io.imagefiles import labelled_image_files, list_image_files


def inner_zip(folder, prefix, compression):
    """The photos of `folder` as a zip under `prefix`/, as Kaggle's are."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as archive:
        for name in sorted(os.listdir(folder)):
            archive.write(os.path.join(folder, name), f"{prefix}/{name}")
    return buffer.getvalue()


# the template's order, not the ids' (and one id no photo has)
TEMPLATE_IDS = [7, 3, 12, 1, 2, 4, 5, 6, 8, 9, 10, 11, 999]


@pytest.fixture(scope="module")
def bundle(sample, tmp_path_factory):
    """dogs-vs-cats.zip of the sample: train.zip deflated, test1.zip stored
    (both as the outer archive's members are found in the wild)."""
    path = tmp_path_factory.mktemp("kaggle") / "dogs-vs-cats.zip"
    with zipfile.ZipFile(path, "w") as archive:
        train = inner_zip(sample["train"], "train", zipfile.ZIP_DEFLATED)
        archive.writestr("train.zip", train, compress_type=zipfile.ZIP_DEFLATED)
        test = inner_zip(sample["test"], "test1", zipfile.ZIP_STORED)
        archive.writestr("test1.zip", test, compress_type=zipfile.ZIP_STORED)
        rows = "".join(f"{i},0.5\n" for i in TEMPLATE_IDS)
        archive.writestr("sampleSubmission.csv", "id,label\n" + rows)
    return path


def test_the_photos_inside_the_inner_archives_are_listed_and_read_as_they_are(bundle, sample):
    (files, skipped) = list_image_files(str(bundle))
    assert len(files) == 60 + 12
    assert skipped == [{"file": "sampleSubmission.csv", "reason": "not an image file"}]
    (_, labelled, _) = labelled_image_files(str(bundle))
    assert sorted(f.basename for f in labelled) == sorted(os.listdir(sample["train"]))
    for name, folder in (("train.zip/train/dog.7.jpg", sample["train"]),
                         ("test1.zip/test1/3.jpg", sample["test"])):  # fmt: skip
        with open(os.path.join(folder, os.path.basename(name)), "rb") as f:
            assert ImageFile(str(bundle), name, in_zip=True).read_bytes() == f.read()


def test_an_archive_of_neither_photos_nor_archives_is_one_line(tmp_path):
    path = tmp_path / "notes.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("readme.txt", "hello")
    with pytest.raises(ValueError, match=r"holds no image files .* and no archives of them; "
                                         r"found 1 other file\(s\): readme.txt"):  # fmt: skip
        list_image_files(str(path))


@pytest.mark.slow
def test_the_chapter_runs_from_the_bundle_and_submits_in_its_template_order(
    bundle, sample, tmp_path, capsys
):
    out = tmp_path / "out"
    argv = chapter_args({**sample, "train": bundle}, out)
    at = argv.index("--test")
    del argv[at : at + 2]  # the test photos are in the bundle
    (code, log, err) = call_main(chapter, [str(a) for a in argv], capsys)
    assert code == 0, err
    with open(out / "submission.csv") as f:
        rows = list(csv.reader(f))
    assert rows[0] == ["id", "label"]
    assert [int(r[0]) for r in rows[1:]] == TEMPLATE_IDS
    assert rows[-1][1] == "0.500000"  # id 999: no photo
    # and the log, the record and the report say so
    assert "[WARNING] submission: 1 ids written as 0.5, no photo: id 999" in log
    details = json.loads((out / "stages.json").read_text())["submission"]["details"]
    assert (details["photos_left_out"], details["ids_without_photo"]) == (0, 1)
    probabilities = np.array([float(r[1]) for r in rows[1:-1]])
    assert np.all((probabilities >= 0) & (probabilities <= 1))
    # the report's thumbnails are read from inside the bundle too
    page = (out / "report.html").read_text()
    assert "Most confidently wrong" in page and "cannot be read" not in page
    assert "1 ids of sampleSubmission.csv without a photo, written as 0.5" in page
