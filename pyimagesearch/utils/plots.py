"""The training curves: loss and accuracy per epoch, training and
validation, side by side, as TrainingMonitor and the chapter's report draw
them; and one panel of curves per epoch (the report's fine-tuning)."""

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
                plot_values(panel, epochs, values, style, key)
        finish_panel(panel, metric, value_scale(*plotted) if metric == "loss" else "linear")
    if title:
        figure.suptitle(title)
    figure.tight_layout()
    return figure


def epoch_figure(
    curves: dict[str, list], firstEpoch: int, ylabel: str, levels: dict[str, float],
    chosen: int | None = None, figsize=(6, 3.6),
) -> Figure:  # fmt: skip
    """A Figure of one panel, drawn as `history_figure` draws its: each of
    `curves` (its label -> a value per epoch from `firstEpoch`; None for a
    non-finite value), each of `levels` (its label -> a value) as a dotted
    line across, and the epoch `chosen` marked."""
    figure = Figure(figsize=figsize, dpi=100)
    panel = figure.subplots()
    for (label, values), style in zip(curves.items(), ("-", "--", "-.")):
        plot_values(panel, range(firstEpoch, firstEpoch + len(values)), values, style, label)
    for label, value in levels.items():
        panel.axhline(value, linestyle=":", color="0.4", label=label)
    if chosen is not None:
        panel.axvline(chosen, color="0.7", linewidth=4, alpha=0.5, label=f"epoch {chosen} kept")
    finish_panel(panel, ylabel, value_scale(*curves.values(), list(levels.values())))
    figure.tight_layout()
    return figure


def plot_values(panel, epochs, values: list, style: str, label: str) -> None:
    panel.plot(epochs, [math.nan if v is None else v for v in values], style, marker=".",
               label=label)  # fmt: skip


def finish_panel(panel, ylabel: str, scale: str) -> None:
    """Label `panel` by epoch (whole numbers) and `ylabel` on a `scale`
    axis, with a grid, and a legend where anything is drawn."""
    panel.set_yscale(scale)
    panel.set_xlabel("epoch")
    panel.xaxis.set_major_locator(MaxNLocator(integer=True))
    panel.set_ylabel(ylabel)
    panel.grid(alpha=0.3)
    if panel.get_legend_handles_labels()[0]:
        panel.legend()
