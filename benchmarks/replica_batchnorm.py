"""Batch norm on two logical TensorFlow CPU devices: each replica on its own
part of the step's batch (as before issue 34) against the whole step's
batch (`nn.trainingmodel.normalize_over_replicas`, now).

- figures: AlexNet trained 2 epochs through `train_alexnet` on a generated
  sample (40 training, 10 validation photos at 72 x 72, 2 devices x 16),
  `--cache memory` and `device`: the logged epoch-2 `val_loss`, the same
  run stopped after epoch 1 and resumed, and Keras's `evaluate` of the
  saved network on one device;
- speed: training steps a second of AlexNet at 64 x 64, 2 devices x 16
  images, the two ways in turn (`benchmarks.interleave`), 5 rounds.

    python -m benchmarks.replica_batchnorm [--workdir DIR]
"""

import argparse
import contextlib
import json
import os
import tempfile

os.environ["KERAS_BACKEND"] = "tensorflow"
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from benchmarks.interleave import Ratio, interleaved, rate  # noqa: E402


@contextlib.contextmanager
def per_replica():
    """Models traced inside normalise each replica's part on its own."""
    from pyimagesearch.nn import trainingmodel

    synchronise = trainingmodel.normalize_over_replicas
    trainingmodel.normalize_over_replicas = lambda model: None
    try:
        yield
    finally:
        trainingmodel.normalize_over_replicas = synchronise


WAYS = {"per replica": per_replica, "whole step": contextlib.nullcontext}


def build_sample(workdir):
    from dogs_vs_cats import build_dogs_vs_cats
    from pyimagesearch.datasets.synthetic import make_sample

    make_sample(os.path.join(workdir, "photos"), per_class=30, test_images=4, seed=1)
    build_dogs_vs_cats.main(
        [
            *("--images", os.path.join(workdir, "photos", "train")),
            *("--output-dir", os.path.join(workdir, "hdf5")),
            *("--mean", os.path.join(workdir, "mean.json")),
            *("--val-size", "10", "--test-size", "10", "--size", "72", "--workers", "1"),
        ]
    )
    return {
        "train": os.path.join(workdir, "hdf5", "train.hdf5"),
        "val": os.path.join(workdir, "hdf5", "val.hdf5"),
        "mean": os.path.join(workdir, "mean.json"),
    }


def val_loss(splits, out, cache, resume):
    """The logged epoch-2 val_loss of a run, straight or resumed after epoch 1."""
    from pyimagesearch.pipeline.training import train_alexnet

    options = dict(batchSize=16, inputSize=72, workers=1, cache=cache, verbose=0, log=print)
    model = os.path.join(out, "alexnet.keras")
    if resume:
        train_alexnet(splits["train"], splits["val"], splits["mean"], out, model, 1, **options)
    history = train_alexnet(
        splits["train"], splits["val"], splits["mean"], out, model, 2, resume=resume, **options
    ).history
    return history.history["val_loss"][-1]


def evaluate(modelPath, splits):
    """Keras's loss of the saved network on every validation row, one
    batch, one device."""
    import h5py
    import keras
    import numpy as np

    from pyimagesearch.nn.modelfiles import load_model
    from pyimagesearch.preprocessing import MeanPreprocessor

    network = load_model(modelPath)
    plain = keras.Sequential([keras.Input(network.input_shape[1:]), network])
    plain.compile(loss="categorical_crossentropy")
    with h5py.File(splits["val"], "r") as db:
        images, labels = db["images"][:], db["labels"][:]
    images = MeanPreprocessor.from_json(splits["mean"]).preprocess_batch(images)
    return plain.evaluate(images, np.eye(2)[labels], batch_size=len(images), verbose=0)


def figures(workdir):
    splits = build_sample(workdir)
    found = {}
    for cache in ("memory", "device"):
        for name, way in WAYS.items():
            (straight, resumed) = (
                os.path.join(workdir, cache, name, run) for run in ("straight", "resumed")
            )
            with way():
                found[f"{cache}, {name}"] = {
                    "logged": val_loss(splits, straight, cache, resume=False),
                    "resumed": val_loss(splits, resumed, cache, resume=True),
                    "saved": evaluate(os.path.join(straight, "alexnet.keras"), splits),
                }
    return found


def speed(steps=8, rounds=5):
    """{way: steps a second in each round}."""
    import keras
    import numpy as np

    from pyimagesearch.nn.conv import AlexNet
    from pyimagesearch.nn.parallel.replicas import choose_replicas
    from pyimagesearch.nn.trainingmodel import TrainingModel

    replicas = choose_replicas("data-parallel")
    rng = np.random.default_rng(0)
    x = rng.normal(size=(32 * steps, 64, 64, 3)).astype("float32")
    y = np.eye(2, dtype="float32")[rng.integers(0, 2, len(x))]

    def measure(way):
        with replicas.scope():
            model = TrainingModel([AlexNet.build(64, 64, 3, 2)])
            model.compile(optimizer=keras.optimizers.Adam(1e-3))
        fit = lambda: model.fit(x, y, batch_size=32, epochs=1, shuffle=False, verbose=0)

        def once():
            with way():
                return rate(fit, steps)

        return once

    return interleaved({name: measure(way) for name, way in WAYS.items()}, rounds)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--workdir", help="where the sample and runs go (default: a temporary folder)"
    )
    args = parser.parse_args()
    import tensorflow as tf

    tf.config.set_logical_device_configuration(
        tf.config.list_physical_devices("CPU")[0], [tf.config.LogicalDeviceConfiguration()] * 2
    )
    with contextlib.ExitStack() as stack:
        workdir = args.workdir or stack.enter_context(tempfile.TemporaryDirectory())
        rates = speed()
        print(json.dumps({"figures": figures(workdir), "steps_per_second": rates}, indent=1))
        (before, now) = rates.values()
        print(f"whole step / per replica, steps a second: {Ratio(now, before)}")


if __name__ == "__main__":
    main()
