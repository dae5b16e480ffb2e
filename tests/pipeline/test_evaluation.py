"""`pipeline.evaluation`: the confusion matrix against counts made
independently; ten-crop predictions averaged per image, in the graph as on
the CPU; and "auto" crops chosen by whether an accelerator is visible."""

import json
from collections import Counter

import numpy as np
import pytest

from conftest import INPUT_SIZE, call_main
from pyimagesearch.pipeline.evaluation import confusion_matrix
from pyimagesearch.preprocessing import CropPreprocessor, MeanPreprocessor


def test_the_confusion_matrix_counts_each_row_once_by_class_and_highest_probability():
    rng = np.random.default_rng(3)
    (rows, classes) = (200, 4)
    labels = rng.integers(0, classes - 1, rows)  # the last class is never a label
    probabilities = rng.random((rows, classes))
    pairs = Counter(
        (int(label), max(range(classes), key=lambda k: row[k]))
        for label, row in zip(labels, probabilities)
    )
    expected = [[pairs[(i, j)] for j in range(classes)] for i in range(classes)]
    counts = confusion_matrix(labels, probabilities)
    assert counts == expected and counts[classes - 1] == [0] * classes
    assert all(type(n) is int for row in counts for n in row)  # written to JSON


def test_no_rows_count_zeros_and_a_label_that_is_no_class_is_refused():
    assert confusion_matrix(np.array([], int), np.zeros((0, 2))) == [[0, 0], [0, 0]]
    for label in (-1, 2):
        with pytest.raises(ValueError, match=r"2 classes are numbered 0 to 1"):
            confusion_matrix(np.array([0, label, 1]), np.eye(2)[[0, 1, 1]])


def test_ten_crop_predictions_average_each_images_crops():
    from pyimagesearch.pipeline.evaluation import predict_ten_crops
    from pyimagesearch.preprocessing import CropPreprocessor

    class MeanBrightness:  # a "model" whose output is known: crop mean, and 1 - it
        def predict_on_batch(self, crops):
            m = crops.reshape(len(crops), -1).mean(axis=1)
            return np.stack([m, 1 - m], axis=1)

    images = np.random.default_rng(0).uniform(0, 1, (7, 9, 9, 3)).astype("float32")
    cropper = CropPreprocessor(6, 6)
    batches = [images[:3], images[3:]]
    preds = predict_ten_crops(MeanBrightness(), batches, cropper, workers=2)
    expected = [cropper.preprocess(i).reshape(10, -1).mean(axis=1).mean() for i in images]
    assert preds.shape == (7, 2) and np.allclose(preds[:, 0], expected, atol=1e-6)
    with pytest.raises(ValueError, match="NaN"):
        predict_ten_crops(MeanBrightness(), [images * np.nan], cropper)


def test_auto_crops_are_the_graph_with_an_accelerator_and_the_cpu_without(monkeypatch):
    from pyimagesearch.nn.parallel import devices
    from pyimagesearch.pipeline.evaluation import crop_path

    monkeypatch.setattr(devices, "accelerators", lambda: ["gpu:0"])
    assert crop_path("auto") == "graph" and crop_path("cpu") == "cpu"
    monkeypatch.setattr(devices, "accelerators", lambda: [])
    assert crop_path("auto") == "cpu" and crop_path("graph") == "graph"


def test_graph_and_cpu_crops_give_the_same_predictions(built, trained, tmp_path, capsys):
    from dogs_vs_cats import crop_accuracy

    results = {}
    for path in ("graph", "cpu"):
        code, _, err = call_main(
            crop_accuracy,
            [
                "--test",
                built["test"],
                "--mean",
                built["mean"],
                "--model",
                trained["model"],
                "--crop-path",
                path,
                "--output",
                tmp_path / f"{path}.json",
            ],
            capsys,
        )
        assert code == 0, err
        results[path] = json.loads((tmp_path / f"{path}.json").read_text())
    assert results["graph"]["rank1_10_crops"] == results["cpu"]["rank1_10_crops"]


def test_ten_crop_model_averages_as_predict_ten_crops(trained, built):
    import h5py

    from pyimagesearch.nn.modelfiles import load_model
    from pyimagesearch.pipeline.evaluation import predict_ten_crops
    from pyimagesearch.preprocessing.tencrop import ten_crop_model

    model = load_model(str(trained["model"]))
    means = MeanPreprocessor.from_json(built["mean"])
    with h5py.File(built["test"], "r") as db:
        images = db["images"][:]
    cpu = predict_ten_crops(
        model, [means.preprocess_batch(images)], CropPreprocessor(INPUT_SIZE, INPUT_SIZE)
    )
    graph = ten_crop_model(model, means, images.shape[1:]).predict(images, verbose=0)
    assert np.abs(graph - cpu).max() < 1e-3
    # the evaluation's and the submission's one predictor gives each path's
    # figures from the stored uint8 images, batch by batch
    from pyimagesearch.pipeline.evaluation import TenCropPredictor

    for path, expected in (("cpu", cpu), ("graph", graph)):
        predictor = TenCropPredictor(model, means, images.shape[1:], path)
        got = np.concatenate([predictor.predict(images[:5]), predictor.predict(images[5:])])
        assert got.shape == expected.shape and np.abs(got - expected).max() < 1e-5, path
