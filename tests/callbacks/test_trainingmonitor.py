"""`callbacks.trainingmonitor`: the book's TrainingMonitor writes its JSON and
plot, resumes from them, and plots without a JSON path."""

import json

from pyimagesearch.callbacks import TrainingMonitor


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
