import atexit
import fcntl
import importlib.util
import json
import os
import select
import shutil
import subprocess
import sys
import textwrap

import numpy as np
import pytest

# Quiet TensorFlow's start-up banners in test output.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SCRIPTS = os.path.join(ROOT, "dogs_vs_cats")

# Small enough for a CPU: 72 x 72 stored photos, 64 x 64 AlexNet input.
STORED_SIZE = 72
INPUT_SIZE = 64
FINETUNE_SIZE = 32  # MobileNetV2, untrained: small enough for a CPU


# run first in a child process: two logical devices, whichever the backend
TWO_DEVICES = """
import os
if os.environ["KERAS_BACKEND"] == "tensorflow":
    import tensorflow as tf
    tf.config.set_logical_device_configuration(
        tf.config.list_physical_devices("CPU")[0], [tf.config.LogicalDeviceConfiguration()] * 2)
"""
BACKENDS = ["tensorflow", pytest.param("jax", marks=pytest.mark.skipif(
    importlib.util.find_spec("jax") is None, reason="jax is not installed"))]  # fmt: skip


# Serves run_on_two_devices and run_on_one_device: runs each script it is
# sent (a JSON line on stdin) in a fresh namespace and answers on the stdout
# it started with (fd 1 then goes to stderr, so that nothing else lands in
# the answers).
SERVE = """
import contextlib, io, json, os, sys, traceback
answers = os.fdopen(os.dup(1), "w")
os.dup2(2, 1)
for request in sys.stdin:
    (out, err, ok) = (io.StringIO(), io.StringIO(), True)
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            exec(compile(json.loads(request), "<script>", "exec"), {"__name__": "__main__"})
        except BaseException:
            traceback.print_exc()
            ok = False
    answers.write(json.dumps({"ok": ok, "stdout": out.getvalue(), "stderr": err.getvalue()}))
    answers.write("\\n")
    answers.flush()
"""
_servers = {}


def _server(backend, devices):
    """This pytest process's child for `backend` on `devices` CPU devices,
    started at its first use."""
    server = _servers.get((backend, devices))
    if server is None or server.poll() is not None:
        env = dict(os.environ, KERAS_BACKEND=backend, JAX_NUM_CPU_DEVICES=str(devices),
                   PYTHONPATH=ROOT)  # fmt: skip
        setup = ""
        if devices == 2:
            # two CPU devices on every machine: a GPU, where there is one, would
            # be chosen over them (one device, or another count) and the test
            # would not test what it says
            env.update(CUDA_VISIBLE_DEVICES="", JAX_PLATFORMS="cpu")
            setup = TWO_DEVICES
        server = subprocess.Popen(
            [sys.executable, "-c", setup + SERVE], env=env, cwd=SCRIPTS, text=True,
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        _servers[(backend, devices)] = server
        atexit.register(server.communicate, timeout=60)  # its stdin closed: it ends
    return server


def run_in_child(backend, devices, script, timeout=600):
    """`script`'s stdout, run in a child process on `backend`: one child per
    backend and device count runs every such script, each in a namespace of
    its own (Keras picks its backend and TensorFlow its devices once per
    process, and starting one costs seconds)."""
    server = _server(backend, devices)
    server.stdin.write(json.dumps(textwrap.dedent(script)) + "\n")
    server.stdin.flush()
    if not select.select([server.stdout], [], [], timeout)[0]:
        server.kill()
        raise AssertionError(f"no answer from the {backend} child in {timeout} s")
    answer = server.stdout.readline()
    assert answer, f"the {backend} child ended with exit code {server.wait()}"
    answer = json.loads(answer)
    assert answer["ok"], answer["stderr"][-3000:]
    return answer["stdout"]


def run_on_two_devices(backend, script, timeout=600):
    """`script`'s stdout, run where `backend` sees two CPU devices."""
    return run_in_child(backend, 2, script, timeout)


def run_on_one_device(backend, script, timeout=600):
    """`script`'s stdout, run where `backend` sees one device (JAX one CPU)."""
    return run_in_child(backend, 1, script, timeout)


def build_args(images, out, *extra):
    """build_dogs_vs_cats.py's arguments for `images`: HDF5 files in out/hdf5,
    the mean in out/mean.json, 10 + 10 held out, small photos; `extra`
    flags come last and win."""
    return [
        "--images",
        images,
        "--output-dir",
        out / "hdf5",
        "--mean",
        out / "mean.json",
        "--val-size",
        10,
        "--test-size",
        10,
        "--size",
        STORED_SIZE,
        "--workers",
        2,
        *extra,
    ]


def train_args(built, out, epochs=1):
    """train_alexnet.py's arguments for the built sample, writing to `out`:
    small enough for a CPU (64 x 64 input, batch 16, one worker)."""
    return [
        "--train", built["train"], "--val", built["val"], "--mean", built["mean"],
        "--output-dir", out, "--model", out / "alexnet.keras", "--epochs", epochs,
        "--batch-size", 16, "--input-size", INPUT_SIZE, "--workers", 1,
    ]  # fmt: skip


def run_script(name, *args, cwd=SCRIPTS, timeout=300):
    """Run dogs_vs_cats/<name>.py as a user would; returns the CompletedProcess."""
    return subprocess.run(
        [sys.executable, f"{name}.py", *map(str, args)],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def call_main(module, argv, capsys):
    """Call a script's main(argv) in this process; returns (exit code, stdout, stderr)."""
    code = 0
    try:
        module.main([str(a) for a in argv])
    except SystemExit as exit:
        code = exit.code
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def assert_held_out_by_name(features, report, predictions, record):
    """The classifier's scored rows are exactly the photos of the build's
    test split (by name, against the build's record), and its figures equal
    a recomputation from its predictions."""
    import h5py

    splits = json.loads(record.read_text())["image_names"]
    with h5py.File(features, "r") as db:
        names = list(db["image_names"].asstr()[()])
        labels = db["labels"][:]
    scored = [names[row] for row in predictions["rows"]]
    assert scored == predictions["image_names"]
    assert sorted(scored) == sorted(splits["test"])
    assert not set(scored) & (set(splits["train"]) | set(splits["val"]))
    assert predictions["labels"] == labels[predictions["rows"]].tolist()
    assert report["train_rows"] == len(splits["train"]) + len(splits["val"])
    probabilities = np.array(predictions["probabilities"])
    truth = np.array(predictions["labels"])
    assert report["score"] == np.mean(probabilities.argmax(axis=1) == truth)
    picked = probabilities[np.arange(len(truth)), truth]
    expected = -np.mean(np.log(np.clip(picked, np.finfo(float).eps, None)))
    assert report["log_loss"] == pytest.approx(expected, rel=1e-9)


def made_once(tmp_path_factory, name, make):
    """The folder `name`, filled by `make(folder)` once per test run: the
    first of the pytest-xdist workers to ask makes it while the others wait
    on a lock, then all of them read it (tests must not change it)."""
    root = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        root = root.parent  # the run's folder; each worker has its own below it
    folder = root / name
    with open(root / f"{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (root / f"{name}.made").exists():
            shutil.rmtree(folder, ignore_errors=True)  # a worker that failed halfway
            folder.mkdir()
            make(folder)
            (root / f"{name}.made").touch()
    return folder


@pytest.fixture(scope="session", autouse=True)
def shared_jax_compilations(tmp_path_factory):
    """XLA compiles every new Keras model's steps, seconds apiece on JAX,
    and the tests build many identical small models in many processes:
    JAX's persistent cache lets them share the compiled programs (the same
    program, so the same results)."""
    cache = made_once(tmp_path_factory, "jax-cache", lambda folder: None)
    os.environ.update(JAX_COMPILATION_CACHE_DIR=str(cache),
                      JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS="0",
                      JAX_PERSISTENT_CACHE_MIN_ENTRY_SIZE_BYTES="0")  # fmt: skip


@pytest.fixture(scope="session")
def sample(tmp_path_factory):
    """A tiny generated data set: 30 cats and 30 dogs, 12 unlabelled photos."""
    from pyimagesearch.datasets.synthetic import make_sample

    make = lambda folder: make_sample(str(folder), per_class=30, test_images=12, seed=1)
    folder = made_once(tmp_path_factory, "sample", make)
    return {"train": str(folder / "train"), "test": str(folder / "test1"), "root": folder}


@pytest.fixture(scope="session")
def built(sample, tmp_path_factory):
    """The sample built into HDF5 files (val 10, test 10, train 40)."""
    from dogs_vs_cats import build_dogs_vs_cats

    make = lambda out: build_dogs_vs_cats.main([str(a) for a in build_args(sample["train"], out)])
    out = made_once(tmp_path_factory, "built", make)
    paths = {"dir": out / "hdf5", "mean": out / "mean.json"}
    for split in ("train", "val", "test"):
        paths[split] = paths["dir"] / f"{split}.hdf5"
    return paths


@pytest.fixture(scope="session")
def fitted(sample, built, tmp_path_factory):
    """The sample's MobileNetV2 features (`helpers.lively_extractor`, at
    32 x 32) and the chapter's logistic regression on them, fitted on the
    build's train and val photos: (their folder, the build's splits)."""
    from helpers import lively_extractor
    from pyimagesearch.io.splitrecord import read_build_record
    from pyimagesearch.pipeline.classifier import FINE_C_VALUES, train_logistic_regression
    from pyimagesearch.pipeline.features import extract_features

    out = tmp_path_factory.mktemp("finetune")
    extract_features(sample["train"], out / "features.hdf5", lively_extractor(FINETUNE_SIZE))
    splits = read_build_record(built["dir"] / "build_record.json")["image_names"]
    train_logistic_regression(out / "features.hdf5", out / "classifier.json", splits=splits,
                              scoring="neg_log_loss", Cs=FINE_C_VALUES,
                              log=lambda line: None)  # fmt: skip
    return out, splits


@pytest.fixture(scope="session")
def trained(built, tmp_path_factory):
    """AlexNet trained for one epoch on the built sample, its training
    split held in memory on every machine (the default, "auto", holds it on
    a GPU there), so that tests comparing with it compare like with like."""
    from dogs_vs_cats import train_alexnet

    def make(out):
        train_alexnet.main([str(a) for a in [*train_args(built, out), "--cache", "memory"]])

    out = made_once(tmp_path_factory, "trained", make)
    return {"dir": out, "model": out / "alexnet.keras"}


def write_build_record(folder, splits, labelNames=("cat", "dog")):
    """A build's record for {split: [photo names]} in `folder`, with the
    split files it is checked against (one black 2 x 2 photo a row, labelled
    by the name's prefix): for tests that choose the splits themselves."""
    import h5py

    from pyimagesearch.io import HDF5DatasetWriter

    os.makedirs(folder, exist_ok=True)
    for split, names in splits.items():
        labels = [next(k for k, n in enumerate(labelNames) if name.startswith(n)) for name in names]
        path = os.path.join(folder, f"{split}.hdf5")
        with HDF5DatasetWriter((len(names), 2, 2, 3), path, dtype="uint8") as writer:
            writer.add(np.zeros((len(names), 2, 2, 3), np.uint8), labels)
            writer.storeClassLabels(labelNames)
            # the names as recorded (storeStrings would escape escapes again)
            writer.db.create_dataset("image_names", data=names, dtype=h5py.string_dtype("utf-8"))
    record = {"images": "photos", "photos_found": sum(map(len, splits.values())),
              "used": {split: len(names) for split, names in splits.items()},
              "label_names": list(labelNames), "skipped_count": 0, "skipped": [],
              "image_names": splits}  # fmt: skip
    path = os.path.join(folder, "build_record.json")
    with open(path, "w") as f:
        json.dump(record, f)
    return path


# crop_accuracy.py's figures for a run of 16 test photos (the report's tests;
# here, not in helpers.py, so that a process importing them loads no backend)
CROPS = {
    "images": 16, "rank1": 0.8125, "rank1_10_crops": 0.875, "log_loss": 0.41234,
    "log_loss_10_crops": 0.35678, "confusion": [[7, 1], [2, 6]],
    "confusion_10_crops": [[7, 1], [1, 7]],
    "submission_clip": {"clip": None, "log_loss": 0.35678},
}  # fmt: skip
