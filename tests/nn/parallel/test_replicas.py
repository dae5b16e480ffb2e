"""`nn.parallel.replicas`: data parallelism on this CPU -- the one-device
choices and the learning-rate rule, and training, evaluating and extracting
on two logical CPU devices (TensorFlow and JAX) against one device: the
first update, each replica's dropout mask, the batch-norm statistics, other
networks, a one-row last batch and a resume.

Keras picks its backend and TensorFlow its devices once per process, so
every multi-device run is in a child process that sees two devices (one
child per backend runs them all, each in a namespace of its own)."""

import json

import h5py
import numpy as np
import pytest

from conftest import BACKENDS, INPUT_SIZE, build_args, run_on_two_devices
from pyimagesearch.errors import ArgumentError
from pyimagesearch.nn.parallel.replicas import (
    Replicas,
    choose_replicas,
    scaled_learning_rate,
)


def test_one_device_choices_and_the_learning_rate_rule(monkeypatch):
    from pyimagesearch.nn.parallel import replicas

    # a process that sees one device, whatever machine runs the test
    monkeypatch.setattr(replicas, "visible_devices", lambda backend: (["cpu:0"], 1, 0, 1))
    assert choose_replicas("none") == Replicas()
    assert choose_replicas("auto") == Replicas()  # this process sees one CPU device
    assert Replicas().isChief and Replicas().describe() == "one device"
    with pytest.raises(ArgumentError, match="'two' is not one of auto, none, data-parallel"):
        choose_replicas("two")
    assert scaled_learning_rate(1e-3, 1) == 1e-3
    assert scaled_learning_rate(1e-3, 4) == pytest.approx(2e-3)


@pytest.mark.parametrize("backend", BACKENDS)
def test_two_devices_make_the_first_update_of_one_device(built, tmp_path, backend):
    """The same global batch of 40 rows, split 20 + 20 or not at all: the
    same loss and the same weights after the first Adam step (a network
    with L2 but without dropout, whose per-replica draws differ by design;
    batch norm is checked on its own below)."""
    stdout = run_on_two_devices(backend, f"""
        import json, keras, numpy as np
        from pyimagesearch.nn.modelfiles import load_model
        from pyimagesearch.pipeline.training import train_alexnet

        def network(size, classes):
            l2 = keras.regularizers.l2(0.05)
            return keras.Sequential([
                keras.Input((size, size, 3)),
                keras.layers.Conv2D(4, 5, strides=4, activation="relu", kernel_regularizer=l2),
                keras.layers.Flatten(),
                keras.layers.Dense(classes, activation="softmax", kernel_regularizer=l2)])

        runs = {{}}
        for (mode, batch) in (("none", 40), ("data-parallel", 20)):
            out = r"{tmp_path}/" + mode
            history = train_alexnet(r"{built['train']}", r"{built['val']}", r"{built['mean']}",
                out, out + "/net.keras", epochs=1, batchSize=batch, learningRate=0.01,
                scaleLearningRate=False, inputSize={INPUT_SIZE}, workers=1, cache="memory",
                augmentation=[], buildNetwork=network, distribute=mode, verbose=0,
                log=print).history
            runs[mode] = (history.history, load_model(out + "/net.keras").get_weights())
        print(json.dumps({{
            "logs": [runs[m][0] for m in runs],
            "diff": max(float(np.abs(a - b).max()) for a, b in zip(*(r[1] for r in runs.values()))),
            "moved": float(np.abs(runs["none"][1][0]).mean()),
        }}))
    """)  # fmt: skip
    assert "2 device(s) x 20 images = 40 per step; learning rate 0.01" in stdout
    assert "data-parallel over 2 devices" in stdout
    result = json.loads(stdout.strip().splitlines()[-1])
    (one, two) = result["logs"]
    for key in ("loss", "val_loss", "accuracy", "val_accuracy"):
        assert two[key] == pytest.approx(one[key], rel=1e-6), key
    assert result["diff"] < 1e-6


@pytest.mark.parametrize("backend", BACKENDS)
def test_each_replica_draws_its_own_dropout_mask(backend):
    """One row per device through the real `fit` of a TrainingModel: ones
    -> Dropout(0.5) -> a zero Dense. Each input unit's first update is
    proportional to how many replicas kept it: 0, 1 or 2 when each replica
    draws its own mask; on TensorFlow it was only ever 0 or 2 (one mask
    for every replica: keras-team/keras#20611)."""
    stdout = run_on_two_devices(backend, """
        import json, keras, numpy as np
        from pyimagesearch.nn.parallel.replicas import choose_replicas
        from pyimagesearch.nn.trainingmodel import TrainingModel

        replicas = choose_replicas("data-parallel")
        with replicas.scope():
            model = TrainingModel([keras.Input((256,)), keras.layers.Dropout(0.5, seed=3),
                                   keras.layers.Dense(2, activation="softmax",
                                                      kernel_initializer="zeros")])
            model.compile(optimizer=keras.optimizers.SGD(1.0))
        x = np.ones((2, 256), "float32")
        y = np.eye(2, dtype="float32")[[0, 0]]
        model.fit(x, y, batch_size=2, epochs=1, shuffle=False, verbose=0)
        update = np.abs(keras.ops.convert_to_numpy(model.layers[-1].kernel)[:, 0])
        print(json.dumps(np.unique(np.round(update / update.max(), 4)).tolist()))
    """)  # fmt: skip
    levels = json.loads(stdout.strip().splitlines()[-1])
    assert levels == [0.0, 0.5, 1.0], levels  # dropped by both, by one, kept by both


@pytest.mark.parametrize("backend", BACKENDS)
def test_every_replica_keeps_the_batch_norm_statistics_of_the_whole_step(tmp_path, backend):
    """Two rows near 0 for replica 0 and two near 10 for replica 1, two
    steps through the real `fit` of a TrainingModel with batch norm. Every
    device's moving mean and variance are the moving averages of the whole
    step's statistics, the weights are one device's, and the logged
    `val_loss` (validation split among the replicas) is the saved model's on
    one device, whose configuration loads on either backend. On TensorFlow
    each replica kept the statistics of its own rows, and only replica 0's
    were saved; masked inputs, whose moments Keras takes per replica, are
    refused there."""
    stdout = run_on_two_devices(backend, f"""
        import json, keras, numpy as np
        from pyimagesearch.nn.modelfiles import load_model
        from pyimagesearch.nn.parallel.replicas import choose_replicas
        from pyimagesearch.nn.trainingmodel import TrainingModel

        def per_device(variable):
            value = variable.value
            if keras.backend.backend() == "jax":
                return [np.asarray(shard.data).tolist() for shard in value.addressable_shards]
            # a MirroredVariable holds one variable per replica
            return [np.asarray(v).tolist() for v in getattr(value, "values", [value])]

        rng = np.random.default_rng(0)
        (x, xVal) = (np.concatenate([rng.normal(0, 1, (2, 3)), rng.normal(10, 2, (2, 3))])
                     .astype("float32") for _ in range(2))
        y = np.eye(2, dtype="float32")[[0, 1, 0, 1]]
        runs = {{}}
        for mode in ("none", "data-parallel"):
            keras.utils.set_random_seed(1)
            replicas = choose_replicas(mode)
            with replicas.scope():
                model = TrainingModel([keras.Input((3,)),
                                       keras.layers.BatchNormalization(momentum=0.5),
                                       keras.layers.Dense(2, activation="softmax")])
                model.compile(optimizer=keras.optimizers.SGD(0.5))
                history = model.fit(x, y, batch_size=4, epochs=2, shuffle=False,
                                    validation_data=(xVal, y), verbose=0)
            norm = model.layers[0]
            runs[mode] = {{"mean": per_device(norm.moving_mean),
                          "variance": per_device(norm.moving_variance),
                          "weights": [w.tolist() for w in model.get_weights()],
                          "val_loss": history.history["val_loss"][-1]}}
        if keras.backend.backend() == "tensorflow":
            with replicas.scope():
                masked = TrainingModel([keras.Input((1, 3)), keras.layers.Masking(),
                                        keras.layers.BatchNormalization(),
                                        keras.layers.Flatten(),
                                        keras.layers.Dense(2, activation="softmax")])
                masked.compile(optimizer="sgd")
            try:
                masked.fit(x[:, None], y, batch_size=4, verbose=0)
            except NotImplementedError as error:
                runs["masked"] = str(error)
        model.save(r"{tmp_path}/saved.keras")
        saved = load_model(r"{tmp_path}/saved.keras")
        runs["synchronized"] = saved.layers[0].synchronized  # JAX refuses True
        probabilities = saved.predict_on_batch(xVal)
        runs["saved_val_loss"] = float(-np.mean(np.log(np.sum(probabilities * y, axis=1))))
        runs["x"] = x.tolist()
        print(json.dumps(runs))
    """)  # fmt: skip
    result = json.loads(stdout.strip().splitlines()[-1])
    (one, two) = (result["none"], result["data-parallel"])
    x = np.array(result["x"])
    # momentum 0.5, two steps on the same rows, from mean 0 and variance 1
    expected = {"mean": 0.75 * x.mean(axis=0), "variance": 0.25 + 0.75 * x.var(axis=0)}
    for key in ("mean", "variance"):
        assert len(two[key]) == 2
        for device in two[key]:
            np.testing.assert_allclose(device, expected[key], rtol=1e-5, err_msg=key)
        np.testing.assert_allclose(one[key][0], expected[key], rtol=1e-5, err_msg=key)
    for a, b in zip(one["weights"], two["weights"]):
        np.testing.assert_allclose(b, a, atol=1e-5)
    assert two["val_loss"] == pytest.approx(result["saved_val_loss"], rel=1e-5)
    assert two["val_loss"] == pytest.approx(one["val_loss"], rel=1e-5)
    assert result["synchronized"] is False
    if backend == "tensorflow":  # Keras's masked moments are per replica: refused
        assert "batch normalisation of masked inputs on 2 TensorFlow replicas" in result["masked"]


def test_networks_of_other_shapes_train_one_after_another_on_two_devices():
    """Two TensorFlow runs in one process, each choosing its replicas: the
    second network's first step aborted ("Shape mismatch in the collective
    instance") when each run made a MirroredStrategy of its own."""
    stdout = run_on_two_devices("tensorflow", """
        import keras, numpy as np
        from pyimagesearch.nn.parallel.replicas import choose_replicas
        from pyimagesearch.nn.trainingmodel import TrainingModel

        x = np.ones((4, 6), "float32")
        y = np.eye(2, dtype="float32")[[0, 1, 0, 1]]
        for units in (3, 5):
            with choose_replicas("data-parallel").scope():
                model = TrainingModel([keras.Input((6,)), keras.layers.Dense(units),
                                       keras.layers.Dense(2, activation="softmax")])
                model.compile(optimizer="adam")
            model.fit(x, y, batch_size=4, verbose=0)
            print("trained", units)
    """)  # fmt: skip
    assert stdout.split() == ["trained", "3", "trained", "5"]


def test_two_devices_train_with_a_one_row_last_batch_and_resume(sample, tmp_path):
    """Batch norm, dropout and L2 (AlexNet's kinds of layer, in a network
    small enough to trace quickly) on two TensorFlow devices over 41 rows in
    steps of 8: the last step holds one row, which left one replica nothing
    and made the loss NaN until the generator padded it. Then the
    two-device run resumes from its checkpoint."""
    from dogs_vs_cats import build_dogs_vs_cats

    argv = build_args(sample["train"], tmp_path, "--val-size", 9)
    build_dogs_vs_cats.main([str(a) for a in argv])
    out = tmp_path / "out"
    with h5py.File(tmp_path / "hdf5/train.hdf5", "r") as db:
        assert len(db["labels"]) == 41
    stdout = run_on_two_devices("tensorflow", f"""
        import keras
        from pyimagesearch.pipeline.training import train_alexnet

        def network(size, classes):
            l2 = keras.regularizers.L2(0.0002)
            return keras.Sequential([
                keras.Input((size, size, 3)), keras.layers.Conv2D(4, 5, strides=4),
                keras.layers.BatchNormalization(), keras.layers.Flatten(),
                keras.layers.Dropout(0.5),
                keras.layers.Dense(classes, activation="softmax", kernel_regularizer=l2)])

        for epochs, resume in ((1, False), (2, True)):
            train_alexnet(r"{tmp_path}/hdf5/train.hdf5", r"{tmp_path}/hdf5/val.hdf5",
                          r"{tmp_path}/mean.json", r"{out}", r"{out}/a.keras", epochs=epochs,
                          batchSize=4, inputSize={INPUT_SIZE}, workers=1, resume=resume,
                          buildNetwork=network)
    """)  # fmt: skip
    assert stdout.count("2 device(s) x 4 images = 8 per step; learning rate 0.00141421") == 2
    assert "resuming from" in stdout and "after epoch 1" in stdout
    history = json.loads((out / "alexnet.json").read_text())
    assert len(history["loss"]) == 2
    assert all(np.isfinite(history[key]).all() for key in history)
    assert sorted(p.name for p in out.iterdir() if not p.name.startswith(".")) == [
        "a.keras", "alexnet.json", "alexnet.png", "checkpoint-epoch-002.keras"]  # fmt: skip


@pytest.mark.parametrize("backend", BACKENDS)
def test_evaluation_and_features_on_two_devices_equal_one_device(trained, built, sample,
                                                                 tmp_path, backend):  # fmt: skip
    """10-crop rank-1 (crops on the CPU and in the graph) and features, with
    batches of 7 images that two devices split only once padded."""
    stdout = run_on_two_devices(backend, f"""
        import json, h5py, numpy as np
        from pyimagesearch.pipeline.evaluation import crop_accuracy
        from pyimagesearch.pipeline.features import extract_backbone_features

        figures, features = {{}}, {{}}
        for mode in ("none", "data-parallel"):
            figures[mode] = [crop_accuracy(r"{built['test']}", r"{built['mean']}",
                                           r"{trained['model']}", batchSize=7, cropPath=path,
                                           distribute=mode) for path in ("cpu", "graph")]
            path = r"{tmp_path}/" + mode + ".hdf5"
            extract_backbone_features(r"{sample['train']}", path, r"{trained['model']}",
                                      meanPath=r"{built['mean']}", batchSize=7, distribute=mode)
            with h5py.File(path, "r") as db:
                features[mode] = (db["features"][:], db["labels"][:])
        print(json.dumps({{
            "figures": figures,
            "labels": bool(np.array_equal(features["none"][1], features["data-parallel"][1])),
            "diff": float(np.abs(features["none"][0] - features["data-parallel"][0]).max()),
            "rows": len(features["none"][0]),
        }}))
    """)  # fmt: skip
    result = json.loads(stdout.strip().splitlines()[-1])
    (one, two) = (result["figures"]["none"], result["figures"]["data-parallel"])
    for a, b in zip(one, two):
        assert (a["rank1"], a["rank1_10_crops"]) == (b["rank1"], b["rank1_10_crops"])
    assert result["rows"] == 60 and result["labels"] and result["diff"] < 1e-4
    assert "data-parallel over 2 devices" in stdout
