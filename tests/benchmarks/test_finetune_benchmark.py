"""benchmarks/finetune.py's own arithmetic: a lever read from the command
line, and the average of the two models' test probabilities, matched by
photo name (no model is trained here)."""

import argparse
import math

import numpy as np
import pytest

from benchmarks.finetune import averaged_with_classifier, lever


def test_a_lever_is_a_known_name_and_a_value_of_its_type():
    assert lever("rate=1e-4") == ("rate", 1e-4) and lever("views=2") == ("views", 2)
    assert lever("cut=block_14_add") == ("cut", "block_14_add")
    assert lever("mode=end-to-end") == ("mode", "end-to-end")
    for bad in ("speed=2", "views=two", "rate=", "views", "mode=gpu"):
        with pytest.raises(argparse.ArgumentTypeError):
            lever(bad)


def test_the_average_matches_the_photos_by_name_and_is_scored_on_them():
    tuned = {"test": {"image_names": ["b.jpg", "a.jpg"], "labels": [1, 0],
                      "probabilities": [[0.2, 0.8], [0.6, 0.4]]}}  # fmt: skip
    chapter = {"predictions": {"image_names": ["a.jpg", "b.jpg"], "labels": [0, 1],
                               "probabilities": [[0.9, 0.1], [0.4, 0.6]]}}  # fmt: skip
    found = averaged_with_classifier(tuned, chapter)
    # b: (0.8 + 0.6) / 2 = 0.7 for its class; a: (0.6 + 0.9) / 2 = 0.75 for its class
    assert found["log_loss"] == pytest.approx(-(math.log(0.7) + math.log(0.75)) / 2)
    assert found["score"] == 1.0
    chapter["predictions"]["labels"] = [1, 1]
    with pytest.raises(SystemExit, match="labelled differently"):
        averaged_with_classifier(tuned, chapter)
    assert np.isfinite(found["log_loss"])
