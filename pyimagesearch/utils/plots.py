"""The training curves: loss and accuracy per epoch, training and
validation, side by side, as TrainingMonitor and the chapter's report draw
them."""

from __future__ import annotations

import math

from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator


def value_scale(*series: list) -> str:
    """ "log" when the positive finite values of `series` span more than a
    decade (a first epoch's loss of 300 would flatten every later epoch
    onto the axis), else "linear"."""
    values = [v for s in series for v in s if v is not None and math.isfinite(v) and v > 0]
    return "log" if values and max(values) > 10 * min(values) else "linear"


def history_figure(history: dict, title: str | None = None, figsize=(10, 3.6)) -> Figure:
    """A Figure (no pyplot state, the user's matplotlib backend left
    alone) of `history`, a dict of per-epoch lists keyed as Keras logs them
    ("loss", "val_loss", "accuracy", ...; None for a non-finite value).
    The loss panel is on a log axis when its values span a decade."""
    figure = Figure(figsize=figsize, dpi=100)
    epochs = range(1, len(history.get("loss", [])) + 1)
    for panel, metric in zip(figure.subplots(1, 2), ("loss", "accuracy")):
        plotted = []
        for key, style in ((metric, "-"), (f"val_{metric}", "--")):
            values = history.get(key) or []
            if len(values) == len(epochs) and values:
                plotted.append(values)
                values = [math.nan if v is None else v for v in values]
                panel.plot(epochs, values, style, marker=".", label=key)
        if metric == "loss":
            panel.set_yscale(value_scale(*plotted))
        panel.set_xlabel("epoch")
        panel.xaxis.set_major_locator(MaxNLocator(integer=True))
        panel.set_ylabel(metric)
        panel.grid(alpha=0.3)
        if plotted:
            panel.legend()
    if title:
        figure.suptitle(title)
    figure.tight_layout()
    return figure
