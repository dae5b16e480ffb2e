import json

import keras
import numpy as np
import pytest

from pyimagesearch.callbacks import TrainingMonitor
from pyimagesearch.nn.conv import AlexNet
from pyimagesearch.utils import rank5_accuracy


def count(weights):
    return int(sum(np.prod(w.shape) for w in weights))


def test_alexnet_has_the_books_parameter_counts():
    model = AlexNet.build(227, 227, 3, 2)
    assert model.count_params() == 58_327_810
    assert count(model.trainable_weights) == 58_308_674
    kinds = [type(layer).__name__ for layer in model.layers]
    assert kinds.count("Conv2D") == 5 and kinds.count("Dense") == 3
    assert kinds.count("BatchNormalization") == 7 and kinds.count("MaxPooling2D") == 3
    assert [layer.rate for layer in model.layers if type(layer).__name__ == "Dropout"] == [
        0.25,
        0.25,
        0.25,
        0.5,
        0.5,
    ]
    assert model.output_shape == (None, 2)
    for layer in model.layers:
        if hasattr(layer, "kernel"):
            assert layer.kernel_regularizer.l2 == pytest.approx(0.0002)


def test_alexnet_honours_channels_first():
    keras.config.set_image_data_format("channels_first")
    try:
        model = AlexNet.build(64, 64, 3, 2, reg=0.001)
    finally:
        keras.config.set_image_data_format("channels_last")
    assert model.input_shape == (None, 3, 64, 64)
    bn = [layer for layer in model.layers if type(layer).__name__ == "BatchNormalization"]
    assert bn[0].axis in (1, [1])


def test_training_monitor_writes_json_and_png_and_resumes(tmp_path):
    fig, js = tmp_path / "plot.png", tmp_path / "history.json"
    monitor = TrainingMonitor(str(fig), jsonPath=str(js))
    monitor.on_train_begin()
    for epoch in range(3):
        monitor.on_epoch_end(
            epoch,
            {
                "loss": 1.0 - epoch / 10,
                "accuracy": 0.5 + epoch / 10,
                "val_loss": 1.1,
                "val_accuracy": 0.5,
            },
        )
    history = json.loads(js.read_text())
    assert history["loss"] == [1.0, 0.9, 0.8] and history["val_accuracy"] == [0.5] * 3
    assert fig.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    resumed = TrainingMonitor(str(fig), jsonPath=str(js), startAt=2)
    resumed.on_train_begin()
    resumed.on_epoch_end(2, {"loss": 0.1, "accuracy": 0.9, "val_loss": 0.2, "val_accuracy": 0.8})
    assert json.loads(js.read_text())["loss"] == [1.0, 0.9, 0.1]


def test_training_monitor_plots_without_json(tmp_path):
    monitor = TrainingMonitor(str(tmp_path / "plot.png"))
    monitor.on_train_begin()
    monitor.on_epoch_end(0, {"loss": 1.0, "accuracy": 0.5})
    assert (tmp_path / "plot.png").stat().st_size > 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["plot.png"]


def test_rank5_accuracy_on_known_scores():
    preds = np.array(
        [
            [0.1, 0.2, 0.3, 0.4, 0.0, 0.0, 0.0],  # label 3: rank 1
            [0.7, 0.1, 0.05, 0.05, 0.04, 0.03, 0.03],  # label 4: rank 5
            [0.5, 0.2, 0.1, 0.1, 0.05, 0.04, 0.01],  # label 6: rank 7
            [0.0, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0],  # label 1: rank 1
        ]
    )
    labels = np.array([3, 4, 6, 1])
    assert rank5_accuracy(preds, labels) == (0.5, 0.75)
    assert rank5_accuracy(preds, np.eye(7)[labels]) == (0.5, 0.75)


def test_rank5_accuracy_refuses_mismatched_lengths_and_nan():
    with pytest.raises(ValueError, match="3 predictions but 2 labels"):
        rank5_accuracy(np.ones((3, 2)), [0, 1])
    with pytest.raises(ValueError, match="NaN"):
        rank5_accuracy(np.array([[np.nan, 1.0]]), [0])


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


def test_a_training_checkpoint_loads_in_a_fresh_process(tmp_path):
    """load_model(..., training=True) must not depend on what the caller
    happened to import first: TrainingModel is registered by load_model."""
    import subprocess
    import sys

    from pyimagesearch.nn.trainingmodel import TrainingModel

    model = TrainingModel([keras.Input((5,)), keras.layers.Dense(2, activation="softmax")])
    model.compile(optimizer="sgd")
    path = tmp_path / "checkpoint.keras"
    model.save(path)
    script = (
        "import sys\n"
        "from pyimagesearch.nn.modelfiles import load_model\n"
        "model = load_model(sys.argv[1], training=True)\n"
        "print(type(model).__name__, model.count_params())\n"
    )
    done = subprocess.run([sys.executable, "-c", script, str(path)], capture_output=True,
                          text=True, timeout=120)  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split() == ["TrainingModel", "12"]


def test_the_loss_panel_is_on_a_log_axis_only_when_the_loss_spans_a_decade():
    from pyimagesearch.utils.plots import history_figure

    wide = {"loss": [2.0, 0.6, 0.5], "val_loss": [300.0, None, 0.4], "accuracy": [0.5, 0.6, 0.7]}
    narrow = {"loss": [0.9, 0.6, 0.5], "val_loss": [0.8, 0.7, 0.65]}
    (loss, accuracy) = history_figure(wide).axes
    assert loss.get_yscale() == "log" and accuracy.get_yscale() == "linear"
    assert history_figure(narrow).axes[0].get_yscale() == "linear"
    # every series that has one value per epoch is drawn, None as a gap
    assert [line.get_label() for line in loss.get_lines()] == ["loss", "val_loss"]
    assert np.isnan(loss.get_lines()[1].get_ydata()[1])
