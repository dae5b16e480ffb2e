"""The training history TrainingMonitor writes ({figure: [one value per
epoch]}), read back and checked in one place, without Keras: the chapter's
report reads it too."""

from __future__ import annotations

import math
import os

from pyimagesearch.utils.files import read_json


def read_history(path: str | os.PathLike) -> dict[str, list[float | None]]:
    """The history in `path`: each figure's name -> its value per epoch, a
    finite number or None (a diverged epoch; JSON has no NaN). ValueError
    naming `path` and the figure otherwise."""
    history = read_json(path, "the training history written by train_alexnet.py")
    if not isinstance(history, dict):
        refuse(path, "it is not an object")
    for name, values in history.items():
        if not isinstance(values, list):
            refuse(path, f"{name!r} is not a list")
        for epoch, value in enumerate(values, 1):
            number = isinstance(value, (int, float)) and not isinstance(value, bool)
            if value is not None and not (number and math.isfinite(value)):
                refuse(path, f"{name!r} of epoch {epoch} is {str(value)[:40]!r}, not a number")
    return history


def refuse(path, problem: str):
    raise ValueError(
        f"{path} is not a training history ({{figure: [one value per epoch]}}): {problem}; "
        "remove it to resume without the earlier epochs' figures"
    )
