"""`pipeline.training`: every figure training prints or saves equals an
independent computation on the saved model -- on two devices with padded
batches and across a resume (which takes the asked learning rate and
continues the uninterrupted run's draws) -- and a run that diverges, is
killed, or cannot save its model fails or resumes as it should.

The independent computation is a plain `keras.Sequential` compiled with
Keras's own loss and accuracy, scoring the saved network on the real rows
in one batch on one device."""

import json
import os
import signal
import subprocess
import textwrap

import h5py
import keras
import numpy as np
import pytest

from conftest import (
    BACKENDS,
    INPUT_SIZE,
    STORED_SIZE,
    build_args,
    call_main,
    run_on_one_device,
    run_on_two_devices,
    train_args,
)
from dogs_vs_cats import train_alexnet
from helpers import one_line_error, run_killed_at
from pyimagesearch.errors import ArgumentError

# Runs in this process or a child: trains small networks with
# train_alexnet and scores them independently.
HELPERS = textwrap.dedent("""
    import json, os, h5py, keras, numpy as np
    from pyimagesearch.nn.modelfiles import load_model
    from pyimagesearch.pipeline.training import AUGMENTATION, train_alexnet
    from pyimagesearch.preprocessing import ImageAugmenter, MeanPreprocessor

    def linear(scale=0.05, dropout=0.0):
        def build(size, classes):
            return keras.Sequential([
                keras.Input((size, size, 3)), keras.layers.Flatten(), keras.layers.Dropout(dropout),
                keras.layers.Dense(classes, activation="softmax", kernel_regularizer="l2",
                                   kernel_initializer=keras.initializers.RandomNormal(0, scale))])
        return build

    def train(built, out, epochs, **options):
        options = dict(dict(epochs=epochs, batchSize=4, inputSize=built["size"], workers=1,
                            cache="memory", augmentation=[], verbose=0), **options)
        return train_alexnet(built["train"], built["val"], built["mean"], out,
                             os.path.join(out, "net.keras"), **options).history

    def score(modelPath, split, meanPath):
        # Keras's own loss and accuracy on every row, one batch, one device
        network = load_model(modelPath)
        plain = keras.Sequential([keras.Input(network.input_shape[1:]), network])
        plain.compile(loss="categorical_crossentropy", metrics=["accuracy"])
        with h5py.File(split, "r") as db:
            images, labels = db["images"][:], db["labels"][:]
        images = MeanPreprocessor.from_json(meanPath).preprocess_batch(images)
        onehot = np.eye(2, dtype="float32")[labels]
        return plain.evaluate(images, onehot, batch_size=len(images), verbose=0,
                              return_dict=True)
""")  # fmt: skip


def helpers():
    namespace = {}
    exec(HELPERS, namespace)
    return namespace


@pytest.fixture(scope="module")
def odd(sample, tmp_path_factory):
    """The sample built at the network's input size (so a training patch
    is the whole photo) with odd splits: train 37, val 13."""
    from dogs_vs_cats import build_dogs_vs_cats

    out = tmp_path_factory.mktemp("odd")
    build_dogs_vs_cats.main([str(a) for a in build_args(sample["train"], out, "--val-size", 13)])
    paths = {split: str(out / "hdf5" / f"{split}.hdf5") for split in ("train", "val", "test")}
    with h5py.File(paths["train"], "r") as db:
        assert len(db["labels"]) == 37
    return dict(paths, mean=str(out / "mean.json"), size=STORED_SIZE)


@pytest.mark.parametrize("backend", BACKENDS)
def test_two_devices_report_what_the_saved_model_scores_on_the_real_rows(odd, tmp_path, backend):
    """37 training and 13 validation rows, 2 devices x 4 images: the last
    batch of each is padded with a weight-0 copy, which Keras counted in
    accuracy and in the epoch loss. A rate of 1e-12 leaves the network as
    it was, so the training figures are the saved model's too."""
    stdout = run_on_two_devices(backend, HELPERS + textwrap.dedent(f"""
        built = {odd!r}
        out = r"{tmp_path}"
        history = train(built, out, 1, learningRate=1e-12, scaleLearningRate=False,
                        buildNetwork=linear(), distribute="data-parallel")
        print(json.dumps({{"logs": history.history,
            "train": score(out + "/net.keras", built["train"], built["mean"]),
            "val": score(out + "/net.keras", built["val"], built["mean"])}}))
    """))  # fmt: skip
    assert "data-parallel over 2 devices" in stdout
    result = json.loads(stdout.strip().splitlines()[-1])
    logs = {key: values[0] for key, values in result["logs"].items()}
    for prefix, split in (("", "train"), ("val_", "val")):
        assert logs[prefix + "loss"] == pytest.approx(result[split]["loss"], rel=1e-5)
        assert logs[prefix + "accuracy"] == pytest.approx(result[split]["accuracy"], abs=1e-7)
    assert round(logs["val_accuracy"] * 13) == pytest.approx(logs["val_accuracy"] * 13, abs=1e-4)


def test_resume_takes_the_asked_learning_rate_and_prints_it(odd, tmp_path):
    ns = helpers()
    lines = []
    ns["train"](odd, str(tmp_path), 1, buildNetwork=ns["linear"](), log=lines.append)
    assert any(line.endswith("learning rate 0.001") for line in lines)
    os.remove(tmp_path / "net.keras")
    lines.clear()
    ns["train"](odd, str(tmp_path), 2, learningRate=1e-5, scaleLearningRate=False, resume=True,
                log=lines.append)  # fmt: skip
    assert any(line.endswith("learning rate 1e-05") for line in lines), lines
    checkpoint = ns["load_model"](str(tmp_path / "checkpoint-epoch-002.keras"))
    assert float(np.asarray(checkpoint.optimizer.learning_rate)) == pytest.approx(1e-5)


# `built` and `out` come first
RESUME = textwrap.dedent("""
    result = {}
    for cache in ("memory", "device"):
        options = dict(cache=cache, augmentation=[ImageAugmenter(**AUGMENTATION, seed=3)],
                       buildNetwork=linear(dropout=0.5), inputSize=64, learningRate=0.01)
        train(built, f"{out}/{cache}/straight", 2, **options)
        train(built, f"{out}/{cache}/resumed", 1, **options)
        os.remove(f"{out}/{cache}/resumed/net.keras")
        options["augmentation"] = [ImageAugmenter(**AUGMENTATION, seed=3)]
        train(built, f"{out}/{cache}/resumed", 2, resume=True, **options)
        (a, b) = (load_model(f"{out}/{cache}/{run}/net.keras").get_weights()
                  for run in ("straight", "resumed"))
        result[cache] = {"diff": max(float(np.abs(x - y).max()) for x, y in zip(a, b)),
                         "moved": float(np.abs(a[0]).mean())}
    # the device cache's validation of a saturated network, against evaluate
    history = train(built, f"{out}/saturated", 1, cache="device", buildNetwork=linear(5.0))
    figures = score(f"{out}/saturated/net.keras", built["val"], built["mean"])
    result["saturated"] = {"logs": history.history, "figures": figures}
    print(json.dumps(result))
""")  # fmt: skip


@pytest.mark.parametrize("backend", BACKENDS)
def test_two_epochs_straight_equal_one_and_a_resume(odd, tmp_path, backend):
    """With the book's augmentation and dropout, whose random state a
    checkpoint does not hold, for --cache memory and device: the resumed
    run replayed the first epoch's draws until every random layer was
    seeded from (seed, epoch). The same child also checks the device
    cache's validation figures of a saturated network against evaluate."""
    stdout = run_on_one_device(backend, HELPERS + f"built, out = {odd!r}, r'{tmp_path}'" + RESUME)
    figures = json.loads(stdout.strip().splitlines()[-1])
    for cache in ("memory", "device"):
        assert figures[cache]["moved"] > 0 and figures[cache]["diff"] < 1e-6, cache
    # the device cache scores validation outside fit; its val_loss once came
    # from clipped probabilities (9.23 where TensorFlow's evaluate said
    # 47.01); JAX clips in fit and evaluate alike, at -log(1e-7) = 16.1
    (logs, scored) = (figures["saturated"]["logs"], figures["saturated"]["figures"])
    assert scored["loss"] > (20 if backend == "tensorflow" else 10)  # saturated
    assert logs["val_loss"][0] == pytest.approx(scored["loss"], rel=1e-5)
    assert logs["val_accuracy"][0] == pytest.approx(scored["accuracy"], abs=1e-7)


def test_mixed_precision_training_leaves_the_callers_dtype_policy(odd, tmp_path):
    """`mixedPrecision` computes in float16 during the training only: the
    global policy the caller had is back when training returns (else the
    chapter's later stages would build their networks in float16)."""
    import keras

    namespace = helpers()
    keras.mixed_precision.set_global_policy("float32")
    layers = []

    def build(size, classes):
        network = namespace["linear"]()(size, classes)
        layers.append(network.layers[-1])
        return network

    namespace["train"](odd, str(tmp_path), 1, mixedPrecision=True, buildNetwork=build)
    assert layers[0].compute_dtype == "float16"  # it did train in float16
    assert keras.mixed_precision.global_policy().name == "float32"
    assert keras.layers.Dense(2).compute_dtype == "float32"


def test_train_alexnet_takes_the_train_configs_fields_in_their_order():
    """The book-style call, train_alexnet(trainPath, valPath, meanPath,
    outputDir, modelPath, epochs=...), is a `TrainConfig` and the run of it;
    a config no run could use is refused before anything is opened."""
    import dataclasses
    import inspect

    from pyimagesearch.errors import ArgumentError
    from pyimagesearch.pipeline.training import TrainConfig, train_alexnet

    fields = [field.name for field in dataclasses.fields(TrainConfig)]
    assert list(inspect.signature(train_alexnet).parameters) == fields
    assert fields[:6] == ["trainPath", "valPath", "meanPath", "outputDir", "modelPath", "epochs"]
    with pytest.raises(ArgumentError, match="56 is too small for AlexNet: use 57 or more"):
        train_alexnet("none.hdf5", "none.hdf5", "none.json", "out", "out/m.keras", inputSize=56)


def test_a_read_only_model_folder_fails_before_training(built, tmp_path, capsys):
    from conftest import train_args
    from dogs_vs_cats import train_alexnet

    readonly = tmp_path / "readonly"
    readonly.mkdir()
    if (
        subprocess.run(
            ["mount", "-t", "tmpfs", "-o", "ro,size=1m", "tmpfs", str(readonly)],
            capture_output=True,
        ).returncode
        != 0
    ):
        os.chmod(readonly, 0o500)
        if os.access(readonly, os.W_OK):
            pytest.skip("cannot make a folder this user may not write")
    try:
        argv = train_args(built, tmp_path / "run") + ["--model", readonly / "alexnet.keras"]
        code, out, err = call_main(train_alexnet, argv, capsys)
        one_line_error(code, err, readonly / "alexnet.keras", "cannot be written")
        assert "compiling" not in out and not (tmp_path / "run").exists()
    finally:
        subprocess.run(["umount", "-l", str(readonly)], capture_output=True)


def test_a_finished_run_whose_model_save_failed_writes_it_on_resume(
    built, trained, tmp_path, capsys
):
    import shutil

    from conftest import train_args
    from dogs_vs_cats import train_alexnet

    out = tmp_path / "run"
    shutil.copytree(trained["dir"], out)
    os.remove(out / "alexnet.keras")  # the final save failed
    code, text, err = call_main(train_alexnet, train_args(built, out) + ["--resume"], capsys)
    assert code == 0, err
    assert "has trained all 1 epochs" in text and (out / "alexnet.keras").exists()


@pytest.mark.slow
def test_killed_training_resumes_on_the_same_curve(built, tmp_path, capsys):
    out = tmp_path / "run"
    args = train_args(built, out, epochs=2)
    # killed right after the first epoch's checkpoint is written
    code = run_killed_at(
        "train_alexnet",
        args,
        "pyimagesearch.callbacks.epochcheckpoint",
        "EpochCheckpoint.on_epoch_end",
        1,
    )
    assert code == -signal.SIGKILL
    assert not (out / "alexnet.keras").exists()
    assert sorted(p.name for p in out.glob("checkpoint-epoch-*.keras")) == [
        "checkpoint-epoch-001.keras"
    ]
    history = json.loads((out / "alexnet.json").read_text())
    assert len(history["loss"]) == 1
    # the rerun in this process: the kill needed a child, the resume does not
    (code, text, err) = call_main(train_alexnet, [*args, "--resume"], capsys)
    assert code == 0 and "resuming from" in text, err
    resumed = json.loads((out / "alexnet.json").read_text())
    assert len(resumed["loss"]) == 2 and resumed["loss"][:1] == history["loss"]
    assert (out / "alexnet.keras").exists()
    assert sorted(p.name for p in out.glob("checkpoint-*")) == ["checkpoint-epoch-002.keras"]
    assert not [p for p in out.iterdir() if ".partial" in p.name]


def strict_json(path):
    """The JSON in `path`, refusing NaN and Infinity as JSON itself does."""

    def refuse(name):
        raise ValueError(f"{path} holds {name}")

    return json.loads(open(path).read(), parse_constant=refuse)


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
