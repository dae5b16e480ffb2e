"""Numbers that overflow or diverge, and mistakes that once gave a
traceback, a hang or a message without the file or flag: each is now one
line naming it, exit 2, and nothing written that should not be."""

import json
import os
import subprocess
import sys

import keras
import numpy as np
import pytest
from test_faults import one_line_error

from conftest import INPUT_SIZE, SCRIPTS, call_main, train_args
from dogs_vs_cats import crop_accuracy, predict, train_alexnet
from pyimagesearch.errors import ArgumentError
from pyimagesearch.nn.parallel.processes import check_address


def strict_json(path):
    """The JSON in `path`, refusing NaN and Infinity as JSON itself does."""

    def refuse(name):
        raise ValueError(f"{path} holds {name}")

    return json.loads(open(path).read(), parse_constant=refuse)


@pytest.mark.parametrize("value", [1e39, -1.0, 256.0])
def test_a_mean_outside_the_pixel_range_is_refused(built, trained, tmp_path, capsys, value):
    """A mean of 1e39 is finite but overflows float32: the loss turned NaN."""
    mean = tmp_path / "mean.json"
    mean.write_text(json.dumps({"R": value, "G": 1.0, "B": 1.0}))
    argv = ["--test", built["test"], "--mean", mean, "--model", trained["model"]]
    (code, _, err) = call_main(crop_accuracy, argv, capsys)
    one_line_error(code, err, mean, "pixel means from 0 to 255")


@pytest.mark.parametrize("flag,value", [("--lr", "inf"), ("--lr", "nan"), ("--seed", "-1")])
def test_numbers_out_of_range_name_their_flag(built, tmp_path, capsys, flag, value):
    (code, _, err) = call_main(train_alexnet, train_args(built, tmp_path) + [flag, value], capsys)
    one_line_error(code, err, flag)
    assert not list(tmp_path.iterdir())


def test_a_diverging_run_stops_saves_no_model_and_writes_strict_json(built, tmp_path):
    """A loss that turns NaN once ran to the end, saved the NaN model as
    final and wrote bare NaN into alexnet.json."""
    from pyimagesearch.pipeline.training import train_alexnet as train

    def exploding(size, classes):
        return keras.Sequential([
            keras.Input((size, size, 3)), keras.layers.Flatten(),
            keras.layers.Dense(classes, activation="softmax",
                               kernel_initializer=keras.initializers.Constant(1e38))])  # fmt: skip

    with pytest.raises(ArgumentError, match="NaN or infinite in epoch 1") as raised:
        train(built["train"], built["val"], built["mean"], str(tmp_path),
              str(tmp_path / "net.keras"), epochs=2, batchSize=16, inputSize=INPUT_SIZE,
              workers=1, cache="memory", augmentation=[], buildNetwork=exploding, verbose=0,
              log=lambda line: None)  # fmt: skip
    assert raised.value.argument == "learningRate"
    assert not (tmp_path / "net.keras").exists()
    assert not list(tmp_path.glob("checkpoint-*"))
    history = strict_json(tmp_path / "alexnet.json")
    assert history["loss"] == [None]


def test_a_classifier_whose_classes_are_not_its_names_is_refused(sample, tmp_path, capsys):
    """Classes [5, 7] with two names gave "1 is not in list"."""
    from test_alignment import flat_model

    flat_model(tmp_path / "flat.keras")
    classifier = tmp_path / "c.json"
    classifier.write_text(json.dumps({
        "format": "pyimagesearch.logistic_regression.v1", "params": {}, "classes": [5, 7],
        "coef": [[0.1, 0.2, 0.3]], "intercept": [0.0], "label_names": ["cat", "dog"]}))  # fmt: skip
    mean = tmp_path / "mean.json"
    mean.write_text('{"R": 1.0, "G": 2.0, "B": 3.0}')
    argv = ["--images", sample["test"], "--classifier", classifier, "--backbone",
            tmp_path / "flat.keras", "--layer", "colour", "--mean", mean,
            "--output", tmp_path / "s.csv"]  # fmt: skip
    (code, _, err) = call_main(predict, argv, capsys)
    one_line_error(code, err, classifier, "must be indexes into 'label_names'")
    assert not (tmp_path / "s.csv").exists()


def test_a_submission_of_nan_probabilities_is_refused(sample, tmp_path):
    """A classifier with finite coefficients of 1e308 wrote a submission of
    nan with exit 0: whatever predicts, NaN or infinite probabilities stop
    the submission before a row is written."""
    from pyimagesearch.pipeline.submission import write_submission
    from pyimagesearch.preprocessing import SimplePreprocessor

    predictor = (SimplePreprocessor(8, 8), lambda batch: np.full(len(batch), np.nan))
    with pytest.raises(ValueError, match="NaN or infinite probabilities"):
        write_submission(sample["test"], tmp_path / "s.csv", predictor)
    assert [p.name for p in tmp_path.iterdir()] == [".s.csv.lock"]  # no CSV, nothing partial


def test_resume_mistakes_are_one_line(built, trained, tmp_path, capsys):
    """A malformed history ([1, 2]) gave an AttributeError, another
    --input-size a raw Keras message with colour codes; and a run started
    again without --resume names the checkpoint and the flag."""
    import shutil

    run = tmp_path / "run"
    shutil.copytree(trained["dir"], run)
    os.remove(run / "alexnet.keras")
    (code, _, err) = call_main(train_alexnet, train_args(built, run, epochs=2), capsys)
    one_line_error(code, err, "--resume: ", "checkpoint-epoch-001.keras exists")
    argv = train_args(built, run, epochs=2) + ["--resume"]
    (code, _, err) = call_main(train_alexnet, argv + ["--input-size", 72], capsys)
    one_line_error(code, err, "--input-size", "trained at 64x64")
    (run / "alexnet.json").write_text("[1, 2]")
    (code, _, err) = call_main(train_alexnet, argv, capsys)
    one_line_error(code, err, run / "alexnet.json", "not a training history")
    (run / "alexnet.json").write_text('{"loss": [1.0')
    (code, _, err) = call_main(train_alexnet, argv, capsys)
    one_line_error(code, err, run / "alexnet.json", "not valid JSON")
    assert not (run / "alexnet.keras").exists()


def test_a_fifo_as_mean_is_refused_not_waited_on(built, trained, tmp_path, capsys):
    fifo = tmp_path / "mean.json"
    os.mkfifo(fifo)
    argv = ["--test", built["test"], "--mean", fifo, "--model", trained["model"]]
    (code, _, err) = call_main(crop_accuracy, argv, capsys)
    one_line_error(code, err, fifo, "not a regular file")


def test_a_model_of_no_fixed_input_size_is_refused(built, sample, tmp_path, capsys):
    """A model taking (None, None, 3) inputs gave "int() ... NoneType"."""
    from pyimagesearch.nn.modelfiles import save_model

    model = keras.Sequential([keras.Input((None, None, 3)), keras.layers.GlobalAveragePooling2D(),
                              keras.layers.Dense(2, activation="softmax")])  # fmt: skip
    save_model(model, str(tmp_path / "any.keras"), ["cat", "dog"])
    argv = ["--test", built["test"], "--mean", built["mean"], "--model", tmp_path / "any.keras"]
    (code, _, err) = call_main(crop_accuracy, argv, capsys)
    one_line_error(code, err, tmp_path / "any.keras", "of a fixed height and width")


@pytest.mark.parametrize("address", ["not-a-host", "127.0.0.1:99999", "[::1", "host:-1", ":80",
                                     "[::1]:0"])  # fmt: skip
def test_a_coordinator_that_is_not_host_port_is_refused_at_once(address):
    with pytest.raises(ArgumentError, match="is not HOST:PORT") as raised:
        check_address(address)
    assert raised.value.argument == "coordinator"
    for good in ("127.0.0.1:1234", "[::1]:1234", "node-1.cluster:65535"):
        check_address(good)


def test_a_bad_coordinator_is_one_line_from_the_script(built, tmp_path):
    """'not-a-host' was an IndexError traceback from JAX."""
    pytest.importorskip("jax")
    argv = [str(a) for a in train_args(built, tmp_path)]
    result = subprocess.run(
        [sys.executable, "train_alexnet.py", *argv, "--coordinator", "not-a-host",
         "--num-processes", "2", "--process-id", "0"],
        cwd=SCRIPTS, capture_output=True, text=True, timeout=120,
        env=dict(os.environ, KERAS_BACKEND="jax"),
    )  # fmt: skip
    one_line_error(result.returncode, result.stderr, "--coordinator", "'not-a-host'")
    assert not list(tmp_path.iterdir())
