from __future__ import annotations

import glob
import math
import os
import re

import keras

from pyimagesearch.nn.modelfiles import save_model

CHECKPOINT_NAME = re.compile(r"^checkpoint-epoch-(\d+)\.keras$")


def latest_checkpoint(outputPath: str | os.PathLike) -> tuple[str | None, int]:
    """(path, epoch) of the newest complete checkpoint in `outputPath`, or
    (None, 0) when there is none."""
    found = []
    for path in glob.glob(os.path.join(glob.escape(outputPath), "checkpoint-epoch-*.keras")):
        match = CHECKPOINT_NAME.match(os.path.basename(path))
        if match:
            found.append((int(match.group(1)), path))
    if not found:
        return None, 0
    epoch, path = max(found)
    return path, epoch


class EpochCheckpoint(keras.callbacks.Callback):
    """Save the whole model (weights and optimizer state) every `every`
    epochs as `outputPath/checkpoint-epoch-NNN.keras`, keeping only the
    newest.

    NNN counts completed epochs: `startAt` (the epochs done before this
    `fit`, as the book passes it when it resumes) plus the epochs this `fit`
    has completed. Pass `initial_epoch=startAt` to `fit` as well, or not:
    the count is the same.

    Each file is written under a temporary name and renamed when complete,
    so the newest checkpoint is always loadable, even after a kill.
    """

    def __init__(self, outputPath: str | os.PathLike, every: int = 1, startAt: int = 0) -> None:
        super().__init__()
        self.outputPath = outputPath
        self.every = every
        self.startAt = startAt
        self.completed = startAt

    def on_train_begin(self, logs=None):
        self.completed = self.startAt

    def on_epoch_end(self, epoch, logs=None):
        self.completed += 1
        completed = self.completed
        if completed % self.every or not math.isfinite((logs or {}).get("loss", 0.0)):
            return  # a diverged model is no point to resume from
        path = os.path.join(self.outputPath, f"checkpoint-epoch-{completed:03d}.keras")
        save_model(self.model, path)
        for old in glob.glob(
            os.path.join(glob.escape(self.outputPath), "checkpoint-epoch-*.keras")
        ):
            if old != path:
                os.remove(old)
