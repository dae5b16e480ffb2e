"""Book code runs with the README's porting edits and no others: the book's
chapter-10 scripts as it prints them (tests/book_scripts/, each edit marked
"port:"), run one after another on generated photos, as a reader would."""

import os
import pickle
import re
import shutil
import subprocess
import sys

import h5py
import pytest

from conftest import ROOT

BOOK = os.path.join(ROOT, "tests", "book_scripts")


# The book's sizes, shrunk so that the chain takes seconds on a CPU, and the
# one change the test machine needs: Keras downloads no weights here. Every
# pair must match the printed text; applied in order.
SMALL = {
    os.path.join("config", "dogs_vs_cats_config.py"): [("1250 * NUM_CLASSES", "4 * NUM_CLASSES")],
    "build_dogs_vs_cats.py": [("256", "72")],
    "train_alexnet.py": [("227", "64"), ("128", "16"), ("epochs=75", "epochs=1")],
    "crop_accuracy.py": [("64", "8"), ("227", "64")],
    "extract_features.py": [("(224, 224)", "(64, 64)"), ('weights="imagenet"', "weights=None")],
    "train_model.py": [],
}


@pytest.fixture
def book(tmp_path, sample):
    """The book's scripts and config in a folder of their own, shrunk by
    SMALL, with the sample's photos where the config says."""
    shutil.copytree(BOOK, tmp_path, dirs_exist_ok=True)
    for name, changes in SMALL.items():
        path = tmp_path / name
        text = path.read_text()
        for printed, small in changes:
            assert printed in text, f"{name} no longer prints {printed!r}"
            text = text.replace(printed, small)
        path.write_text(text)
    shutil.copytree(sample["train"], tmp_path / "datasets" / "train")
    (tmp_path / "datasets" / "hdf5").mkdir()
    (tmp_path / "output").mkdir()
    return tmp_path


def run(book, script, *args):
    result = subprocess.run(
        [sys.executable, script, *args],
        cwd=book,
        env=dict(os.environ, PYTHONPATH=ROOT),
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, f"{script}:\n{result.stderr[-3000:]}"
    return result.stdout


@pytest.mark.slow
def test_the_books_chapter_10_scripts_run_with_the_readmes_edits(book):
    run(book, "build_dogs_vs_cats.py")
    with h5py.File(book / "datasets" / "hdf5" / "test.hdf5") as db:
        assert db["images"].shape == (8, 72, 72, 3) and sorted(db["labels"][:]) == [0] * 4 + [1] * 4

    run(book, "train_alexnet.py")
    assert (book / "output" / "alexnet_dogs_vs_cats.keras").is_file()
    assert len(list((book / "output").glob("*.png"))) == 1  # TrainingMonitor's plot

    printed = run(book, "crop_accuracy.py")
    assert len(re.findall(r"\[INFO\] rank-1: \d+\.\d\d%", printed)) == 2, printed

    features = book / "datasets" / "hdf5" / "features.hdf5"
    run(book, "extract_features.py", "--dataset", "datasets/train", "--output", str(features))
    with h5py.File(features) as db:
        assert db["features"].shape == (60, 2048)

    printed = run(book, "train_model.py", "--db", str(features), "--model", "lr.pickle", "-j", "1")
    assert re.search(r"^\s+cat\s+\d", printed, re.M) and re.search(r"^\s+dog\s+\d", printed, re.M)
    with open(book / "lr.pickle", "rb") as f:
        assert pickle.load(f).C in (0.0001, 0.001, 0.01, 0.1, 1.0)
