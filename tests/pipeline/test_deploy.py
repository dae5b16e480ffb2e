"""The deployable model: its resize is OpenCV's, pixel for pixel; its
preprocessing is the feature extractor's; fuse_model.py makes one file of
what extract_features.py + train_model.py (or train_alexnet.py) wrote, and
predict.py on it writes what predict.py on the parts writes. The chapter's
model.keras is tested in test_chapter.py."""

import csv
import json
import os

import cv2
import numpy as np
import pytest

from conftest import STORED_SIZE, call_main

# (height, width) of a photo -> (size, aspectAware): every path OpenCV's
# INTER_AREA takes on uint8 photos
RESIZES = [
    ((128, 128), (64, False)),  # 2 x 2 blocks: rounded half up
    ((192, 256), (64, False)),  # 3 x 4 blocks
    ((477, 248), (200, False)),  # shrinking by fractions
    ((90, 70), (64, False)),
    ((40, 50), (64, False)),  # enlarging: fixed-point interpolation
    ((136, 392), (288, False)),  # one axis shrinks, the other grows
    ((300, 160), (72, True)),  # the book's resize: shorter side, centre crop
    ((160, 300), (72, True)),
    ((50, 120), (72, True)),
    ((256, 256), (256, True)),
]


@pytest.mark.parametrize("shape,resize", RESIZES)
def test_photo_resize_is_opencvs_pixel_for_pixel(shape, resize):
    from pyimagesearch.preprocessing import AspectAwarePreprocessor, SimplePreprocessor
    from pyimagesearch.preprocessing.photoresize import PhotoResize

    (size, aspectAware) = resize
    rng = np.random.default_rng(sum(shape))
    photo = cv2.GaussianBlur(rng.integers(0, 256, (*shape, 3)).astype(np.uint8), (5, 5), 0)
    book = (AspectAwarePreprocessor if aspectAware else SimplePreprocessor)(size, size)
    expected = book.preprocess(photo).astype(np.float32)
    resized = np.asarray(PhotoResize(size, size, aspectAware)(photo[None]))[0]
    assert resized.shape == expected.shape
    np.testing.assert_array_equal(resized, expected)


@pytest.mark.parametrize("network", ["mobilenet_v2", "vgg16"])
def test_application_preprocessing_is_the_extractors(network):
    """The "tf" mode (scaled to [-1, 1]) and the "caffe" one (BGR, ImageNet mean)."""
    from pyimagesearch.nn.backbones import application_extractor
    from pyimagesearch.nn.deploylayers import ApplicationPreprocessing

    extractor = application_extractor(network, "none", 32)
    photos = np.random.default_rng(0).integers(0, 256, (2, 32, 32, 3)).astype(np.float32)
    layer = ApplicationPreprocessing(extractor.name)
    np.testing.assert_array_equal(np.asarray(layer(photos)), extractor.preprocess(photos))


def read_csv(path):
    with open(path) as f:
        return {row["id"]: float(row["label"]) for row in csv.DictReader(f)}


def assert_same_probabilities(path, other, tolerance=1e-5):
    (mine, theirs) = (read_csv(path), read_csv(other))
    assert mine.keys() == theirs.keys()
    assert max(abs(mine[k] - theirs[k]) for k in mine) <= tolerance


@pytest.fixture(scope="module")
def fitted(trained, built, sample, tmp_path_factory):
    """The chapter by hand: the trained AlexNet's features of the sample
    (mirrors averaged in), a logistic regression on them."""
    from dogs_vs_cats import extract_features, train_model

    out = tmp_path_factory.mktemp("fitted")
    extract_features.main([str(a) for a in [
        "--dataset", sample["train"], "--output", out / "features.hdf5", "--backbone",
        trained["model"], "--mean", built["mean"], "--flip",
    ]])  # fmt: skip
    train_model.main([str(a) for a in [
        "--db", out / "features.hdf5", "--classifier", out / "lr.json", "--splits",
        built["dir"] / "build_record.json",
    ]])  # fmt: skip
    return {"classifier": out / "lr.json"}


def test_a_fused_classifier_predicts_what_its_parts_predict(
    fitted, trained, built, sample, tmp_path, capsys
):
    from dogs_vs_cats import fuse_model, predict

    fused = tmp_path / "fused.keras"
    parts = ["--classifier", fitted["classifier"], "--backbone", trained["model"],
             "--mean", built["mean"]]  # fmt: skip
    (code, _, err) = call_main(fuse_model, ["--output", fused, *parts], capsys)
    assert code == 0, err
    (code, _, err) = call_main(
        predict, ["--images", sample["test"], "--output", tmp_path / "parts.csv", *parts], capsys
    )
    assert code == 0, err
    argv = ["--images", sample["test"], "--model", fused, "--output", tmp_path / "fused.csv"]
    (code, _, err) = call_main(predict, argv, capsys)
    assert code == 0, err
    assert_same_probabilities(tmp_path / "fused.csv", tmp_path / "parts.csv")
    # the classifier's record says how its features were made: a flag may
    # not contradict it, and nothing is written
    argv = ["--output", tmp_path / "no.keras", *parts, "--no-flip"]
    (code, _, err) = call_main(fuse_model, argv, capsys)
    assert code == 2 and "flip: False contradicts" in err and len(err.splitlines()) == 1
    assert not (tmp_path / "no.keras").exists()


def test_a_fused_alexnet_predicts_what_its_ten_crops_predict(
    trained, built, sample, tmp_path, capsys
):
    from dogs_vs_cats import fuse_model, predict

    fused = tmp_path / "alexnet.keras"
    parts = ["--model", trained["model"], "--mean", built["mean"], "--size", STORED_SIZE]
    (code, _, err) = call_main(fuse_model, ["--output", fused, *parts, "--clip", 0.01], capsys)
    assert code == 0, err
    argv = ["--images", sample["test"], "--output", tmp_path / "parts.csv", *parts,
            "--crop-path", "graph", "--clip", 0.01]  # fmt: skip
    (code, _, err) = call_main(predict, argv, capsys)
    assert code == 0, err
    argv = ["--images", sample["test"], "--model", fused, "--output", tmp_path / "fused.csv"]
    (code, _, err) = call_main(predict, argv, capsys)
    assert code == 0, err
    assert_same_probabilities(tmp_path / "fused.csv", tmp_path / "parts.csv")


@pytest.mark.parametrize(
    "argv,message",
    [
        (["--output", "{tmp}/model.h5"], "saves models only to paths ending in .keras"),
        (["--output", "{tmp}/taken.keras"], "taken.keras"),
        (["--output", "{model}"], "--output: "),
        (["--output", "{tmp}/m.keras", "--clip", "0.5"], "--clip: 0.5 is not from 0 to under"),
    ],
)
def test_fuse_model_refuses_bad_input_in_one_line(argv, message, trained, built, tmp_path, capsys):
    from dogs_vs_cats import fuse_model

    (tmp_path / "taken.keras").write_text("someone's")
    fill = {"tmp": tmp_path, "model": trained["model"]}
    argv = [a.format(**fill) for a in argv]
    argv += ["--model", str(trained["model"]), "--mean", str(built["mean"])]
    before = sorted(n for n in os.listdir(tmp_path) if not n.endswith(".lock"))
    (code, _, err) = call_main(fuse_model, argv, capsys)
    assert code == 2 and message in err and len(err.strip().splitlines()) == 1, err
    assert sorted(n for n in os.listdir(tmp_path) if not n.endswith(".lock")) == before
    assert (tmp_path / "taken.keras").read_text() == "someone's"


def test_a_deployable_model_exports_a_savedmodel_that_serves_photos_of_any_size(
    trained, built, tmp_path
):
    """Keras's own export (TensorFlow Serving's format), reloaded without
    Keras or this package: `serve` takes uint8 BGR photos of any size."""
    import keras

    if keras.backend.backend() != "tensorflow":
        pytest.skip("model.export writes a SavedModel on the TensorFlow backend")
    import tensorflow as tf

    from pyimagesearch.pipeline import deploy

    (model, _) = deploy.alexnet_model(trained["model"], built["mean"], STORED_SIZE, 0.01)
    model.export(str(tmp_path / "served"), verbose=False)
    served = tf.saved_model.load(str(tmp_path / "served"))
    rng = np.random.default_rng(0)
    for shape in ((2, 90, 120, 3), (1, 200, 80, 3)):
        photos = rng.integers(0, 256, shape).astype(np.uint8)
        np.testing.assert_allclose(
            served.serve(tf.constant(photos)).numpy(), model.predict_on_batch(photos), atol=1e-6
        )
    assert json.loads(json.dumps(model.output_shape)) == [None, 2]
