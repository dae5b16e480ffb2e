"""`preprocessing.datasetmean`: a mean file that is missing, malformed,
outside the pixel range or a FIFO is refused in one line naming it."""

import json
import os

import pytest

from conftest import call_main
from dogs_vs_cats import crop_accuracy
from helpers import one_line_error


def test_mean_json_missing_or_malformed(built, trained, tmp_path, capsys):
    args = ["--test", built["test"], "--model", trained["model"]]
    code, _, err = call_main(crop_accuracy, args + ["--mean", tmp_path / "none.json"], capsys)
    one_line_error(code, err, "none.json does not exist")
    (tmp_path / "bad.json").write_text("{R: 1")
    code, _, err = call_main(crop_accuracy, args + ["--mean", tmp_path / "bad.json"], capsys)
    one_line_error(code, err, "bad.json is not valid JSON")
    (tmp_path / "keys.json").write_text('{"R": 1, "G": "x"}')
    code, _, err = call_main(crop_accuracy, args + ["--mean", tmp_path / "keys.json"], capsys)
    one_line_error(
        code, err, "keys.json must hold pixel means from 0 to 255 under the keys R, G and B"
    )


@pytest.mark.parametrize("value", [1e39, -1.0, 256.0])
def test_a_mean_outside_the_pixel_range_is_refused(built, trained, tmp_path, capsys, value):
    """A mean of 1e39 is finite but overflows float32: the loss turned NaN."""
    mean = tmp_path / "mean.json"
    mean.write_text(json.dumps({"R": value, "G": 1.0, "B": 1.0}))
    argv = ["--test", built["test"], "--mean", mean, "--model", trained["model"]]
    (code, _, err) = call_main(crop_accuracy, argv, capsys)
    one_line_error(code, err, mean, "pixel means from 0 to 255")


def test_a_fifo_as_mean_is_refused_not_waited_on(built, trained, tmp_path, capsys):
    fifo = tmp_path / "mean.json"
    os.mkfifo(fifo)
    argv = ["--test", built["test"], "--mean", fifo, "--model", trained["model"]]
    (code, _, err) = call_main(crop_accuracy, argv, capsys)
    one_line_error(code, err, fifo, "not a regular file")
