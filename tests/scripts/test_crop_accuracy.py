"""crop_accuracy.py end to end: it prints and writes both figures, and its
output needs --force and is never one of its inputs."""

import json
import re

import h5py
import numpy as np
import pytest

from conftest import call_main
from dogs_vs_cats import crop_accuracy
from helpers import one_line_error


def test_crop_accuracy_output_needs_force_and_is_never_an_input(built, trained, tmp_path, capsys):
    """crop_accuracy.py --output once replaced the mean JSON it had read."""
    mean = tmp_path / "mean.json"
    mean.write_bytes(open(built["mean"], "rb").read())
    base = ["--test", built["test"], "--mean", mean, "--model", trained["model"]]
    (code, _, err) = call_main(crop_accuracy, base + ["--output", mean, "--force"], capsys)
    one_line_error(code, err, "--output", mean, "an input of this run")
    assert mean.read_bytes() == open(built["mean"], "rb").read()
    output = tmp_path / "figures.json"
    output.write_text("{}")
    (code, _, err) = call_main(crop_accuracy, base + ["--output", output], capsys)
    one_line_error(code, err, output, "already exists: pass --force")
    assert call_main(crop_accuracy, base + ["--output", output, "--force"], capsys)[0] == 0
    assert json.loads(output.read_text())["images"] == 10


@pytest.mark.slow
def test_crop_accuracy_prints_and_writes_both_figures(built, trained, tmp_path, capsys):
    record = tmp_path / "crop_accuracy.json"
    code, out, _ = call_main(
        crop_accuracy,
        [
            "--test",
            built["test"],
            "--mean",
            built["mean"],
            "--model",
            trained["model"],
            "--batch-size",
            3,
            "--output",
            record,
            "--predictions",
            tmp_path / "rows.json",
        ],
        capsys,
    )
    assert code == 0
    printed = re.findall(r"rank-1: (\d+\.\d\d)%, log loss: (\d+\.\d{4})", out)
    figures = json.loads(record.read_text())
    assert figures["images"] == 10
    assert [(float(a), float(b)) for a, b in printed] == [
        (round(figures["rank1"] * 100, 2), round(figures["log_loss"], 4)),
        (round(figures["rank1_10_crops"] * 100, 2), round(figures["log_loss_10_crops"], 4)),
    ]
    assert all(f * 10 == int(f * 10) for f in (figures["rank1"], figures["rank1_10_crops"]))
    # the figures, recomputed from the rows written, against the test split
    rows = json.loads((tmp_path / "rows.json").read_text())
    with h5py.File(built["test"], "r") as db:
        assert rows["labels"] == db["labels"][:].tolist()
        assert rows["image_names"] == list(db["image_names"].asstr()[()])
    for suffix in ("", "_10_crops"):
        probabilities = np.array(rows["probabilities" + suffix])
        truth = np.array(rows["labels"])
        picked = probabilities[np.arange(len(truth)), truth]
        expected = -np.mean(np.log(np.clip(picked, np.finfo(float).eps, None)))
        assert figures["log_loss" + suffix] == pytest.approx(expected, rel=1e-9)
        assert figures["rank1" + suffix] == np.mean(probabilities.argmax(axis=1) == truth)
