"""`utils.plots`: the loss panel is on a log axis only when the loss spans a
decade."""

import numpy as np


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
