"""The library and one end-to-end chain on the JAX backend, in child
processes on JAX (Keras picks its backend once per process): the same results as
TensorFlow for the same inputs and the same saved model."""

import json
import os
import subprocess
import sys
import textwrap

import h5py
import numpy as np
import pytest

from conftest import INPUT_SIZE, ROOT, SCRIPTS, STORED_SIZE, call_main, run_on_one_device

pytest.importorskip("jax")


def run_on(backend, *command, **kwargs):
    env = dict(os.environ, KERAS_BACKEND=backend, PYTHONPATH=ROOT)
    result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=600,
                            **kwargs)  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    return result


def test_the_library_layers_compute_the_same_on_jax():
    script = textwrap.dedent("""
        import keras, numpy as np
        from pyimagesearch.nn.conv import AlexNet
        from pyimagesearch.preprocessing import (
            CropPreprocessor, ImageAugmenter, MeanPreprocessor, MeanSubtraction, RandomPatch,
            TenCrop)
        assert keras.backend.backend() == "jax"
        images = np.random.default_rng(1).integers(0, 256, (2, 40, 52, 3), dtype=np.uint8)
        means = MeanPreprocessor(124.4, 115.1, 105.3)
        expected = CropPreprocessor(31, 24).preprocess_batch(means.preprocess_batch(images))
        got = keras.ops.convert_to_numpy(
            TenCrop(31, 24)(MeanSubtraction(124.4, 115.1, 105.3)(images))).reshape(expected.shape)
        corners = [0, 1, 2, 3, 5, 6, 7, 8]
        assert np.array_equal(got[:, corners], expected[:, corners])
        assert np.abs(got - expected).max() < 1e-3
        patches = keras.ops.convert_to_numpy(RandomPatch(31, 24, seed=1)(images, training=True))
        assert patches.shape == (2, 24, 31, 3)
        warped = ImageAugmenter(rotation_range=20, horizontal_flip=True, seed=1)(
            keras.ops.convert_to_tensor(images.astype("float32")), training=True)
        assert warped.shape == images.shape
        model = AlexNet.build(227, 227, 3, 2)
        assert model.count_params() == 58327810
        print("ok")
    """)
    assert run_on_one_device("jax", script).strip().endswith("ok")


def chain(built, sample, model, out, prefix):
    """The argument lists of crop_accuracy, extract_features and predict
    for `model`, writing `out`/`prefix`.json, .hdf5 and .csv."""
    return {
        "crop_accuracy": ["--test", built["test"], "--mean", built["mean"], "--model", model,
                          "--crop-path", "graph", "--output", out / f"{prefix}.json"],
        "extract_features": ["--dataset", sample["train"], "--output", out / f"{prefix}.hdf5",
                             "--backbone", model, "--mean", built["mean"]],
        "predict": ["--images", sample["test"], "--model", model, "--mean", built["mean"],
                    "--size", STORED_SIZE, "--output", out / f"{prefix}.csv"],
    }  # fmt: skip


@pytest.mark.slow
def test_one_chain_on_jax_gives_tensorflows_figures_for_the_same_model(built, sample, tmp_path,
                                                                       capsys):  # fmt: skip
    """Train on JAX; then both backends score the JAX-trained model with 10
    crops in the graph, extract its features and write a submission: the
    same rank-1, and features and probabilities within 1e-4. The JAX side
    runs the scripts' main() in one process of its own, the TensorFlow side
    in this one."""
    import importlib

    out = tmp_path / "jax"
    model = out / "alexnet.keras"
    stages = {"train_alexnet": ["--train", built["train"], "--val", built["val"], "--mean",
                                built["mean"], "--output-dir", out, "--model", model,
                                "--epochs", 1, "--batch-size", 16, "--input-size", INPUT_SIZE,
                                "--workers", 1],
              **chain(built, sample, model, tmp_path, "jax")}  # fmt: skip
    calls = "".join(
        f"from dogs_vs_cats import {name}\n{name}.main({[str(a) for a in argv]!r})\n"
        for name, argv in stages.items()
    )
    run_on("jax", sys.executable, "-c", calls, cwd=SCRIPTS)
    assert len(json.loads((out / "alexnet.json").read_text())["loss"]) == 1
    for name, argv in chain(built, sample, model, tmp_path, "tensorflow").items():
        (code, _, err) = call_main(importlib.import_module(f"dogs_vs_cats.{name}"), argv, capsys)
        assert code == 0, err
    figures, features, submissions = {}, {}, {}
    for backend in ("jax", "tensorflow"):
        figures[backend] = json.loads((tmp_path / f"{backend}.json").read_text())
        with h5py.File(tmp_path / f"{backend}.hdf5", "r") as db:
            features[backend] = (db["features"][:], db["labels"][:])
        submissions[backend] = np.loadtxt(tmp_path / f"{backend}.csv", delimiter=",", skiprows=1)
    assert len(submissions["jax"]) == 12
    assert np.array_equal(submissions["jax"][:, 0], submissions["tensorflow"][:, 0])
    assert np.abs(submissions["jax"][:, 1] - submissions["tensorflow"][:, 1]).max() < 1e-4
    for key in ("rank1", "rank1_10_crops"):
        assert figures["jax"][key] == figures["tensorflow"][key]
    assert np.array_equal(features["jax"][1], features["tensorflow"][1])
    assert np.abs(features["jax"][0] - features["tensorflow"][0]).max() < 1e-4
