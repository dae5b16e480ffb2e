"""The deployable model: fuse_model.py makes one file of what
extract_features.py + train_model.py (or train_alexnet.py) wrote, and
predict.py on it writes what predict.py on the parts writes; the file
exports a SavedModel. Its layers are tested beside their modules
(test_photoresize.py, test_deploylayers.py), fuse_model.py's flags in
test_fuse_model.py, and the chapter's model.keras in test_chapter.py."""

import csv
import json

import numpy as np
import pytest

from conftest import STORED_SIZE, call_main


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
