"""train_alexnet.py end to end: the model, its history, plot and
checkpoint."""

import json

from conftest import INPUT_SIZE


def test_train_writes_model_history_plot_and_checkpoint(trained):
    history = json.loads((trained["dir"] / "alexnet.json").read_text())
    assert set(history) >= {"loss", "accuracy", "val_loss", "val_accuracy"}
    assert all(len(values) == 1 for values in history.values())
    assert (trained["dir"] / "alexnet.png").read_bytes()[:4] == b"\x89PNG"
    assert (trained["dir"] / "checkpoint-epoch-001.keras").exists()
    from pyimagesearch.nn.modelfiles import load_model

    model = load_model(str(trained["model"]))
    assert model.input_shape == (None, INPUT_SIZE, INPUT_SIZE, 3)
    assert [type(layer).__name__ for layer in model.layers].count("ImageAugmenter") == 0
