"""Data parallelism on this CPU: shards and padding of the generator,
training on two logical CPU devices (TensorFlow and JAX) against one
device, and two processes training together over 127.0.0.1 (JAX).

Keras picks its backend and TensorFlow its devices once per process, so
every multi-device run is a process of its own."""

import json
import os
import signal
import socket
import subprocess
import sys
import textwrap

import h5py
import numpy as np
import pytest

from conftest import (
    BACKENDS,
    INPUT_SIZE,
    ROOT,
    SCRIPTS,
    build_args,
    call_main,
    run_on_two_devices,
    train_args,
)
from pyimagesearch.errors import ArgumentError
from pyimagesearch.io import HDF5DatasetGenerator, HDF5DatasetWriter
from pyimagesearch.nn.parallel.replicas import (
    Replicas,
    choose_replicas,
    scaled_learning_rate,
)
from pyimagesearch.preprocessing import PatchPreprocessor


def write_numbered(path, n):
    """n rows whose pixels are their row number, labels row % 2."""
    images = np.repeat(np.arange(n, dtype=np.uint8), 2 * 2 * 3).reshape(n, 2, 2, 3)
    with HDF5DatasetWriter((n, 2, 2, 3), str(path), bufSize=5) as writer:
        writer.add(images, np.arange(n) % 2)
        writer.storeClassLabels(["cat", "dog"])


@pytest.mark.parametrize("n,batch,shards,padTo", [
    (23, 4, 1, 1), (23, 4, 1, 2), (23, 4, 2, 1), (23, 4, 3, 2), (23, 4, 2, 4), (5, 3, 4, 1),
    (41, 4, 1, 2),
])  # fmt: skip
@pytest.mark.parametrize("inMemory", [False, True])
def test_shards_cover_every_row_once_with_equal_batches(tmp_path, n, batch, shards, padTo,
                                                        inMemory):  # fmt: skip
    write_numbered(tmp_path / "d.hdf5", n)
    for epoch in range(2):
        (seen, shapes) = ([], set())
        for index in range(shards):
            gen = HDF5DatasetGenerator(
                str(tmp_path / "d.hdf5"), batch, shuffle=True, seed=3, inMemory=inMemory,
                shardIndex=index, shardCount=shards, padTo=padTo,
            )  # fmt: skip
            gen.epoch = epoch
            sizes = []
            for b in range(len(gen)):
                out = gen[b]
                assert len(out) == (3 if shards > 1 or padTo > 1 else 2)
                (images, labels) = out[:2]
                weights = out[2] if len(out) == 3 else np.ones(len(images))
                assert len(images) == len(labels) == len(weights) and len(images) % padTo == 0
                rows = images[:, 0, 0, 0].astype(int)
                assert np.array_equal(labels.argmax(axis=1), rows % 2)  # each image its label
                assert set(np.unique(weights)) <= {0.0, 1.0}
                seen += rows[weights == 1].tolist()
                sizes.append(len(images))
            shapes.add(tuple(sizes))
            if inMemory:  # each shard holds only its own rows
                assert len(gen.data) == sum(end - start for (start, end) in gen.parts)
        assert sorted(seen) == list(range(n))
        assert len(shapes) == 1  # every shard: the same number of batches, of the same sizes


def test_padding_keeps_the_random_draws_of_the_real_rows(tmp_path):
    write_numbered(tmp_path / "d.hdf5", 23)
    (plain, padded) = (
        HDF5DatasetGenerator(
            str(tmp_path / "d.hdf5"),
            4,
            [PatchPreprocessor(1, 1)],
            shuffle=True,
            seed=5,
            padTo=padTo,
        )  # fmt: skip
        for padTo in (1, 8)
    )
    for b in range(len(plain)):
        (images, weights) = (padded[b][0], padded[b][2])
        assert np.array_equal(images[weights == 1], plain[b][0])


def test_shards_refuse_what_cannot_be_shared(tmp_path):
    write_numbered(tmp_path / "d.hdf5", 3)
    with pytest.raises(ValueError, match="too few for 4 shard"):
        HDF5DatasetGenerator(str(tmp_path / "d.hdf5"), 2, seed=1, shardCount=4)
    with pytest.raises(ValueError, match="share a seed"):
        HDF5DatasetGenerator(str(tmp_path / "d.hdf5"), 2, shuffle=True, shardCount=2)
    with pytest.raises(ValueError, match=r"shardIndex must lie in \[0, 2\), received 2"):
        HDF5DatasetGenerator(str(tmp_path / "d.hdf5"), 2, seed=1, shardIndex=2, shardCount=2)


def test_one_device_choices_and_the_learning_rate_rule():
    assert choose_replicas("none") == Replicas()
    assert choose_replicas("auto") == Replicas()  # this process sees one CPU device
    assert Replicas().isChief and Replicas().describe() == "one device"
    with pytest.raises(ArgumentError, match="'two' is not one of auto, none, data-parallel"):
        choose_replicas("two")
    assert scaled_learning_rate(1e-3, 1) == 1e-3
    assert scaled_learning_rate(1e-3, 4) == pytest.approx(2e-3)


def test_several_processes_on_tensorflow_are_refused_with_the_reason(built, tmp_path, capsys):
    from conftest import train_args
    from dogs_vs_cats import train_alexnet

    argv = train_args(built, tmp_path) + ["--coordinator", "127.0.0.1:1", "--num-processes", 2,
                                          "--process-id", 0]  # fmt: skip
    (code, _, err) = call_main(train_alexnet, argv, capsys)
    assert code == 2 and "--coordinator" in err and "KERAS_BACKEND=jax" in err
    assert "Traceback" not in err and not list(tmp_path.iterdir())


@pytest.mark.parametrize("flags,message", [
    (["--num-processes", "2", "--process-id", "1"], "--coordinator: give process 0's HOST:PORT"),
    (["--coordinator", "127.0.0.1:1", "--num-processes", "2", "--process-id", "2"],
     "--process-id: 2 is not in [0, 2) for 2 processes"),
])  # fmt: skip
def test_jax_processes_missing_or_wrong_flags_are_one_line(built, tmp_path, flags, message):
    pytest.importorskip("jax")
    argv = [str(a) for a in train_args(built, tmp_path)] + flags
    result = subprocess.run(
        [sys.executable, "train_alexnet.py", *argv], cwd=SCRIPTS, capture_output=True,
        text=True, timeout=300, env=dict(os.environ, KERAS_BACKEND="jax"),
    )  # fmt: skip
    assert result.returncode == 2 and message in result.stderr
    assert "Traceback" not in result.stderr and not list(tmp_path.iterdir())


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
                                           r"{trained['model']}", batchSize=7, cropPath=crops,
                                           distribute=mode) for crops in ("cpu", "graph")]
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


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.slow
def test_two_processes_train_one_epoch_together(built, tmp_path):
    """Two JAX processes on 127.0.0.1, one CPU device each, each reading its
    own shard: both exit 0 with identical weights; process 0 alone writes
    the model, the history, the plot and the checkpoint."""
    pytest.importorskip("jax")
    out = tmp_path / "out"
    address = f"127.0.0.1:{free_port()}"
    script = textwrap.dedent(f"""
        import sys, numpy as np
        from pyimagesearch.nn.parallel.processes import join_processes
        from pyimagesearch.pipeline.training import train_alexnet

        def network(size, classes):  # small: the processes, not AlexNet, are tested here
            import keras
            layers = [keras.layers.Dense(8, activation="relu") for _ in range(5)]
            return keras.Sequential([keras.Input((size, size, 3)), keras.layers.Flatten(),
                                     *layers, keras.layers.Dense(classes, activation="softmax")])

        process = int(sys.argv[1])
        join_processes("{address}", 2, process)
        history = train_alexnet(r"{built['train']}", r"{built['val']}", r"{built['mean']}",
            r"{out}", r"{out}/alexnet.keras", epochs=1, batchSize=8, inputSize={INPUT_SIZE},
            workers=1, cache="memory", buildNetwork=network, verbose=0).history
        np.savez(r"{tmp_path}/weights" + str(process), *history.model.get_weights())
    """)  # fmt: skip
    env = dict(os.environ, KERAS_BACKEND="jax", JAX_NUM_CPU_DEVICES="1", PYTHONPATH=ROOT)
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", script, str(i)],
            env=env,
            text=True,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )  # fmt: skip
        for i in (0, 1)
    ]
    outputs = [p.communicate(timeout=600)[0] for p in processes]
    assert [p.returncode for p in processes] == [0, 0], outputs[0][-2000:] + outputs[1][-2000:]
    assert all("2 device(s) x 8 images = 16 per step" in o for o in outputs)
    assert all("data-parallel over 2 devices in 2 processes" in o for o in outputs)
    (first, second) = (np.load(tmp_path / f"weights{i}.npz") for i in (0, 1))
    assert len(first.files) > 10
    assert all(np.array_equal(first[key], second[key]) for key in first.files)
    assert sorted(p.name for p in out.iterdir() if not p.name.startswith(".")) == [
        "alexnet.json", "alexnet.keras", "alexnet.png", "checkpoint-epoch-001.keras"]  # fmt: skip
    assert len(json.loads((out / "alexnet.json").read_text())["loss"]) == 1


JAX_ENV = dict(os.environ, KERAS_BACKEND="jax", JAX_NUM_CPU_DEVICES="1", PYTHONPATH=ROOT)
# train_alexnet.py as a user runs it, with a small network in place of AlexNet
TRAIN_SMALL = """
import functools, sys
import keras
from dogs_vs_cats import train_alexnet
from pyimagesearch.pipeline import training

def network(size, classes):
    return keras.Sequential([keras.Input((size, size, 3)), keras.layers.Flatten(),
                             keras.layers.Dense(8, activation="relu"),
                             keras.layers.Dense(classes, activation="softmax")])

training.train_alexnet = functools.partial(training.train_alexnet, buildNetwork=network)
train_alexnet.main(sys.argv[1:])
"""


def start_processes(built, out, address, count=2, epochs=1000):
    """`count` JAX processes of one run of train_alexnet.py (small network)."""
    env = dict(JAX_ENV, PYTHONUNBUFFERED="1")
    argv = [*train_args(built, out, epochs=epochs), "--batch-size", 8, "--cache", "memory",
            "--coordinator", address, "--num-processes", count]  # fmt: skip
    return [
        subprocess.Popen(
            [sys.executable, "-c", TRAIN_SMALL, *map(str, argv), "--process-id", str(i)],
            env=env,
            text=True,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            cwd=SCRIPTS,
        )
        for i in range(count)
    ]


@pytest.mark.slow
def test_a_signal_to_one_process_stops_every_process_of_the_run(built, tmp_path):
    """Two runs of two processes at once, once training runs: SIGTERM to
    process 0 of one, SIGINT to process 1 of the other. Every process stops
    at the same step as its partner with 143 (130), says so in one line, and
    no final model or partial file is left (a finished epoch's checkpoint
    may be). Both used to ignore the signal and train to the end."""
    pytest.importorskip("jax")
    runs = [(signal.SIGTERM, 0, 143, tmp_path / "term"), (signal.SIGINT, 1, 130, tmp_path / "int")]
    started = [start_processes(built, out, f"127.0.0.1:{free_port()}") for *_, out in runs]
    seen = []
    for (number, target, _, _), processes in zip(runs, started):
        lines = []
        for line in processes[target].stdout:  # training has begun once epoch 2 starts
            lines.append(line)
            if line.startswith("Epoch 2/"):
                break
        processes[target].send_signal(number)
        seen.append("".join(lines))
    for (_, target, status, out), processes, before in zip(runs, started, seen):
        outputs = [p.communicate(timeout=120)[0] for p in processes]
        outputs[target] = before + outputs[target]
        assert [p.returncode for p in processes] == [status, status], outputs
        for output in outputs:
            assert output.rstrip().endswith(": interrupted") and "Traceback" not in output
        left = sorted(p.name for p in out.iterdir())
        assert "alexnet.keras" not in left and not any("partial" in name for name in left), left


def test_a_coordinator_that_never_answers_or_a_busy_port_is_one_line(built, tmp_path):
    """Process 1 waiting on a port nobody serves gives up after
    --coordinator-timeout, and process 0 refuses a port already in use:
    one line each, exit 2, nothing written (JAX alone waits 300 s and aborts
    with a C++ stack, or crashes on the busy port)."""
    pytest.importorskip("jax")
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        cases = [
            (f"127.0.0.1:{free_port()}", 1, ["--coordinator-timeout", "2"],
             "--coordinator-timeout: the 2 processes did not all reach"),
            (f"127.0.0.1:{port}", 0, [], f"--coordinator: port {port} of 127.0.0.1:{port} is in"),
        ]  # fmt: skip
        for address, process, extra, message in cases:
            flags = ["--coordinator", address, "--num-processes", 2, "--process-id", process]
            argv = [*train_args(built, tmp_path / "out"), *flags, *extra]
            result = subprocess.run(
                [sys.executable, "train_alexnet.py", *map(str, argv)], cwd=SCRIPTS,
                capture_output=True, text=True, timeout=120, env=JAX_ENV,
            )  # fmt: skip
            assert result.returncode == 2 and len(result.stderr.splitlines()) == 1, result.stderr
            assert result.stderr.startswith("train_alexnet.py: error: " + message)
    assert not (tmp_path / "out").exists()
