"""Images and labels stay together from the photo files to the submission:
every photo's pixels encode its own class and id (a flat colour: red for
the class, blue for the id), so every row, batch, feature and CSV line can
be checked against the file it came from."""

import csv
import json

import cv2
import h5py
import numpy as np
import pytest

from conftest import call_main, write_build_record
from helpers import flat_model

CAT_RED, DOG_RED = 40, 215


def flat_photo(label, image_id, height=30, width=40):
    """BGR: blue = 3 * id + 20, green = 128, red = the class's."""
    return np.full(
        (height, width, 3),
        (3 * image_id + 20, 128, DOG_RED if label == "dog" else CAT_RED),
        np.uint8,
    )


def decode(bgr):
    """(label, id) from a pixel (or mean pixel) of a flat photo."""
    (b, _, r) = np.rint(bgr).astype(int)
    return ("dog" if r > 128 else "cat"), (b - 20) // 3


@pytest.fixture(scope="module")
def coded(tmp_path_factory):
    from dogs_vs_cats import build_dogs_vs_cats

    root = tmp_path_factory.mktemp("coded")
    (root / "train").mkdir()
    (root / "test").mkdir()
    rng = np.random.default_rng(0)
    for image_id in range(60):
        label = "dog" if rng.random() < 0.5 else "cat"
        size = (int(rng.integers(20, 50)), int(rng.integers(20, 50)))  # any aspect ratio
        cv2.imwrite(
            str(root / "train" / f"{label}.{image_id}.png"), flat_photo(label, image_id, *size)
        )
    truth = {}
    for image_id in range(1, 21):
        truth[image_id] = "dog" if image_id % 3 else "cat"
        cv2.imwrite(str(root / "test" / f"{image_id}.png"), flat_photo(truth[image_id], image_id))
    build_dogs_vs_cats.main(
        [
            "--images",
            str(root / "train"),
            "--output-dir",
            str(root / "hdf5"),
            "--mean",
            str(root / "mean.json"),
            "--val-size",
            "10",
            "--test-size",
            "10",
            "--size",
            "16",
            "--workers",
            "2",
        ]
    )
    return root, truth


def test_every_hdf5_row_holds_its_photo_and_label(coded):
    root, _ = coded
    seen = []
    for split in ("train", "val", "test"):
        with h5py.File(root / "hdf5" / f"{split}.hdf5", "r") as db:
            names = list(db["label_names"].asstr()[()])
            for image, label in zip(db["images"][:], db["labels"][:]):
                assert np.all(image == image[0, 0])  # flat: the resize kept the colour
                (name, image_id) = decode(image[0, 0])
                assert names[label] == name
                seen.append(image_id)
    assert sorted(seen) == list(range(60))


@pytest.mark.parametrize(
    "workers", [dict(), dict(workers=3), dict(workers=2, use_multiprocessing=True)]
)
def test_every_shuffled_batch_keeps_images_with_their_labels(coded, workers):
    from keras.src.trainers.data_adapters.py_dataset_adapter import PyDatasetAdapter

    from pyimagesearch.io import HDF5DatasetGenerator
    from pyimagesearch.preprocessing import MeanPreprocessor

    root, _ = coded
    means = MeanPreprocessor.from_json(root / "mean.json")
    gen = HDF5DatasetGenerator(
        str(root / "hdf5" / "train.hdf5"), 7, [means], shuffle=True, seed=3, **workers
    )
    seen = []
    for images, labels in PyDatasetAdapter(gen, shuffle=False).get_numpy_iterator():
        for image, onehot in zip(images, labels):
            (name, image_id) = decode(image[0, 0] + means.bgrMean)
            assert gen.classNames[int(np.argmax(onehot))] == name
            seen.append(image_id)
    assert len(seen) == len(set(seen)) == gen.numImages


def test_features_classifier_and_submissions_follow_their_photos(coded, tmp_path, capsys):
    from dogs_vs_cats import extract_features, predict, train_model

    root, truth = coded
    flat_model(tmp_path / "flat.keras")
    features = tmp_path / "features.hdf5"
    code, _, err = call_main(
        extract_features,
        [
            "--dataset",
            root / "train",
            "--output",
            features,
            "--backbone",
            tmp_path / "flat.keras",
            "--layer",
            "colour",
            "--mean",
            root / "mean.json",
            "-b",
            7,
        ],
        capsys,
    )
    assert code == 0, err
    mean = np.array([json.loads((root / "mean.json").read_text())[k] for k in "BGR"])
    with h5py.File(features, "r") as db:
        names = list(db["label_names"].asstr()[()])
        ids = []
        for row, label in zip(db["features"][:], db["labels"][:]):
            (name, image_id) = decode(row + mean)
            assert names[label] == name
            ids.append(image_id)
    assert sorted(ids) == list(range(60))

    # something is learned: the classes are separable by their red (a
    # model file's features take a split record: its photos may be the
    # model's training photos)
    with h5py.File(features, "r") as db:
        photos = list(db["image_names"].asstr()[()])
    record = write_build_record(tmp_path / "build", {"train": photos[:45], "test": photos[45:]})
    argv = ["--db", features, "--model", tmp_path / "lr.json", "--splits", record]
    code, out, err = call_main(train_model, argv, capsys)
    assert code == 0, err
    assert float(out.split("[INFO] score: ")[1].split(",")[0]) == 1.0

    for how in (
        ["--model", tmp_path / "flat.keras", "--size", 16],
        [
            "--classifier",
            tmp_path / "lr.json",
            "--backbone",
            tmp_path / "flat.keras",
            "--layer",
            "colour",
        ],
    ):
        submission = tmp_path / "submission.csv"
        code, _, err = call_main(
            predict,
            [
                "--images",
                root / "test",
                "--mean",
                root / "mean.json",
                "--output",
                submission,
                "--force",
                *how,
            ],
            capsys,
        )
        assert code == 0, err
        rows = list(csv.reader(open(submission)))
        assert rows[0] == ["id", "label"] and [int(r[0]) for r in rows[1:]] == sorted(truth)
        for image_id, probability in rows[1:]:
            assert (float(probability) > 0.5) == (truth[int(image_id)] == "dog"), image_id


def test_the_dog_column_comes_from_the_saved_class_names(coded, tmp_path, capsys):
    from dogs_vs_cats import predict

    root, truth = coded
    flat_model(tmp_path / "reversed.keras", labelNames=("dog", "cat"))  # dog is column 0
    code, _, err = call_main(
        predict,
        [
            "--images",
            root / "test",
            "--mean",
            root / "mean.json",
            "--output",
            tmp_path / "s.csv",
            "--size",
            16,
            "--model",
            tmp_path / "reversed.keras",
        ],
        capsys,
    )
    assert code == 0, err
    for image_id, probability in list(csv.reader(open(tmp_path / "s.csv")))[1:]:
        assert (float(probability) > 0.5) == (truth[int(image_id)] == "dog"), image_id
