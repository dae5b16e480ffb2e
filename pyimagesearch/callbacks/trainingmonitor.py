from __future__ import annotations

import math
import os

import keras

from pyimagesearch.callbacks.history import read_history
from pyimagesearch.utils.files import atomic_path, write_json
from pyimagesearch.utils.plots import history_figure


class TrainingMonitor(keras.callbacks.Callback):
    """Record each epoch's logs, save them as JSON and plot them.

    Args:
        figPath: the PNG plot of training/validation loss and accuracy,
            redrawn at every epoch's end.
        jsonPath: where the history is written as JSON, or None.
        startAt: the epoch a resumed run starts from: the history in
            `jsonPath` is reloaded and cut to its first `startAt` epochs, so
            the run continues one curve.

    The history is a dict of lists keyed as Keras logs them ("loss",
    "accuracy", "val_loss", "val_accuracy", ...).
    """

    def __init__(
        self,
        figPath: str | os.PathLike,
        jsonPath: str | os.PathLike | None = None,
        startAt: int = 0,
    ) -> None:
        super().__init__()
        self.figPath = figPath
        self.jsonPath = jsonPath
        self.startAt = startAt
        self.H = {}

    def on_train_begin(self, logs=None):
        self.H = {}
        if self.jsonPath is not None and self.startAt > 0 and os.path.exists(self.jsonPath):
            history = read_history(self.jsonPath)
            self.H = {key: values[: self.startAt] for key, values in history.items()}

    def on_epoch_end(self, epoch, logs=None):
        for key, value in (logs or {}).items():
            # JSON has no NaN: a diverged figure is written as null
            self.H.setdefault(key, []).append(float(value) if math.isfinite(value) else None)
        if self.jsonPath is not None:
            write_json(self.jsonPath, self.H)
        self.plot()

    def plot(self) -> None:
        epochs = len(self.H.get("loss", []))
        figure = history_figure(
            self.H, f"Training loss and accuracy [epoch {epochs}]", figsize=(11, 4.5)
        )
        with atomic_path(self.figPath) as temporary:
            figure.savefig(temporary)
