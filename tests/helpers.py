"""Helpers shared by test files of more than one module: the one-line-error
check, a process killed at a chosen point, small photos, archives, models,
classifier and features records and their corruption tables, and a disk
that fills up. Fixtures live in conftest.py; these are plain functions and
tables, imported as `from helpers import ...`."""

import contextlib
import functools
import io
import json
import os
import signal
import stat
import struct
import subprocess
import sys
import threading
import zipfile

import cv2
import h5py
import keras
import numpy as np
import pytest

from conftest import INPUT_SIZE, SCRIPTS, STORED_SIZE
from pyimagesearch.io import HDF5DatasetWriter
from pyimagesearch.pipeline import chapterstages, submission
from pyimagesearch.pipeline.classifier import FORMAT
from pyimagesearch.utils.checks import LARGEST_SIZE

# The scripts with a command line (a `make_parser`), by module name.
SCRIPT_NAMES = sorted(
    name[:-3]
    for name in os.listdir(SCRIPTS)
    if name.endswith(".py") and "def make_parser" in open(os.path.join(SCRIPTS, name)).read()
)


def snapshot(folder):
    """{relative path: bytes} of every regular file under `folder` (the
    kind of anything else: a FIFO is never opened), but for locks."""

    def content(path):
        mode = os.lstat(path).st_mode
        return open(path, "rb").read() if stat.S_ISREG(mode) else stat.S_IFMT(mode)

    return {
        os.path.relpath(os.path.join(d, f), folder): content(os.path.join(d, f))
        for d, _, files in os.walk(folder)
        for f in files
        if not f.endswith(".lock")
    }


def leftovers(folder):
    return [p for p in snapshot(folder) if ".partial" in p or ".previous" in p]


@contextlib.contextmanager
def small_disk(path, size):
    """A tmpfs of `size` at `path` (root only), unmounted afterwards."""
    os.makedirs(path, exist_ok=True)
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)], capture_output=True
    )
    if mounted.returncode != 0:
        pytest.skip(
            "mounting a small file system needs root; RLIMIT_FSIZE cannot stand in "
            "for a full disk with HDF5, whose metadata lies past any limit"
        )
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], capture_output=True)


def fill(folder, leave):
    """Fill the file system of `folder` but for about `leave` bytes."""
    free = os.statvfs(folder).f_bavail * os.statvfs(folder).f_frsize
    with open(os.path.join(folder, "ballast"), "wb") as f:
        f.write(b"\0" * max(0, free - leave))


def predict_args(images, model, mean, output):
    """predict.py's arguments: the photos of `images` resized to 16 x 16 for `model`."""
    return ["--images", images, "--model", model, "--mean", mean, "--size", 16, "--output", output]


# ---- oversized and lying images ---------------------------------------------


def huge_headers():
    """{name: bytes} of small files whose headers claim huge images."""
    png = (
        b"\x89PNG\r\n\x1a\n"
        + struct.pack(">I", 13)
        + b"IHDR"
        + struct.pack(">IIBBBBB", 30000, 30000, 8, 2, 0, 0, 0)
        + b"\0" * 4
        + b"\0\0\0\x0aIDAT"
        + b"x\x9c"
        + b"\0" * 12
    )
    bmp = (
        b"BM"
        + struct.pack("<IHHI", 126, 0, 0, 54)
        + struct.pack("<IiiHH", 40, 100000, 100000, 1, 24)
        + b"\0" * 72
    )
    jpeg = bytearray(cv2.imencode(".jpg", np.zeros((8, 8, 3), np.uint8))[1].tobytes())
    sof = jpeg.index(b"\xff\xc0")
    jpeg[sof + 5 : sof + 9] = struct.pack(">HH", 60000, 60000)  # patched size fields
    gif = b"GIF89a" + struct.pack("<HH", 65000, 65000) + b"\0" * 20
    tiff = (
        b"II*\x00"
        + struct.pack("<I", 8)
        + struct.pack("<H", 2)
        + struct.pack("<HHII", 256, 4, 1, 200000)
        + struct.pack("<HHII", 257, 4, 1, 200000)
        + b"\0" * 8
    )
    webp = (
        b"RIFF"
        + struct.pack("<I", 30)
        + b"WEBPVP8X"
        + struct.pack("<I", 10)
        + b"\0" * 4
        + (16383).to_bytes(3, "little")
        + (16383).to_bytes(3, "little")
    )
    return {
        "cat.800.png": png,
        "dog.801.bmp": bmp,
        "cat.802.jpg": bytes(jpeg),
        "dog.803.gif": gif,
        "cat.804.tif": tiff,
        "dog.805.webp": webp,
    }


def _write(path, data):
    path.write_text(json.dumps(data))
    return str(path)


def one_line_error(code, err, *words):
    lines = [line for line in err.splitlines() if line.strip() and "%" not in line]
    assert code == 2, err
    assert len(lines) == 1, err
    assert "Traceback" not in err
    for word in words:
        assert str(word) in lines[0], lines[0]
    return lines[0]


def run_killed_at(script, args, module, qualname, after_calls, signum=signal.SIGKILL):
    """Run dogs_vs_cats/<script>.py in a child process that sends itself
    `signum` right after the `after_calls`-th call of `module.qualname`
    returns: a kill at a fixed point, however fast the machine. Returns the
    exit code."""
    owner, method = qualname.rsplit(".", 1)
    code = f"""
import os, signal, sys, runpy
sys.argv = {[f"{script}.py", *map(str, args)]!r}
sys.path.insert(0, os.getcwd())
import {module} as target
cls = target.{owner}
original = cls.{method}
calls = [0]
def killing(*a, **k):
    result = original(*a, **k)
    calls[0] += 1
    if calls[0] == {after_calls}:
        os.kill(os.getpid(), {int(signum)})
    return result
setattr(cls, "{method}", killing)
runpy.run_path("{script}.py", run_name="__main__")
"""
    process = subprocess.run(
        [sys.executable, "-c", code], cwd=SCRIPTS, capture_output=True, text=True, timeout=600
    )
    return process.returncode


def random_images(n, h, w, c=3, seed=0):
    return np.random.default_rng(seed).integers(0, 256, (n, h, w, c), dtype=np.uint8)


def flat_model(path, labelNames=("cat", "dog")):
    """A .keras 'network' whose features are the mean BGR colour (layer
    'colour') and whose softmax says dog when the red is above the mean."""
    from pyimagesearch.nn.modelfiles import save_model

    inputs = keras.Input((12, 12, 3))
    colour = keras.layers.GlobalAveragePooling2D(name="colour")(inputs)
    dense = keras.layers.Dense(2, activation="softmax")
    outputs = dense(colour)
    dog = labelNames.index("dog")
    kernel = np.zeros((3, 2), "float32")
    kernel[2, dog], kernel[2, 1 - dog] = 0.1, -0.1
    dense.set_weights([kernel, np.zeros(2, "float32")])
    save_model(keras.Model(inputs, outputs), str(path), list(labelNames))


def chapter_args(sample, out, *extra):
    """chapter.py's arguments for the sample: small enough for a CPU."""
    return [
        "--train", sample["train"], "--test", sample["test"], "--output-dir", out,
        "--size", STORED_SIZE, "--input-size", INPUT_SIZE, "--epochs", 1, "--batch-size", 16,
        "--val-size", 10, "--test-size", 10, "--backbone", "alexnet", "--workers", 2, *extra,
    ]  # fmt: skip


TOO_LARGE = LARGEST_SIZE + 1


# ---- sampleSubmission.csv ----------------------------------------------------


def kaggle_bundle(path, sample, template):
    """dogs-vs-cats.zip of the sample's test photos (ids 1 to 12), with
    `template` (bytes; None: no sampleSubmission.csv)."""
    inner = io.BytesIO()
    with zipfile.ZipFile(inner, "w") as archive:
        for name in sorted(os.listdir(sample["test"])):
            archive.write(os.path.join(sample["test"], name), f"test1/{name}")
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("test1.zip", inner.getvalue())
        if template is not None:
            archive.writestr(submission.TEMPLATE, template)
    return path


def no_stage_runs(monkeypatch):
    """Make the chapter's first stage fail loudly (a traceback, not one
    line) if it is reached: a template's errors are found before it."""

    def ran(self, log, progress, resume):
        raise AssertionError("the build ran before the template was checked")

    monkeypatch.setattr(chapterstages.BuildStage, "run", ran)


TEMPLATES = {
    # a spreadsheet runs a formula in the header; only id,label is written
    "formula header": (b"=cmd|' /C calc'!A0,<script>\n1,0.5\n", "not Kaggle's header 'id,label'"),
    "no header": (b"1,0.5\n2,0.5\n", "not Kaggle's header"),
    "empty": (b"", "begins ''"),
    "not UTF-8": (b"id,label\n1,0.5\n\xff\xfe,0.5\n", "is not UTF-8 text"),
    # photo names count ASCII digits only: so do the template's ids
    "Arabic-Indic id": ("id,label\n1,0.5\n\u0663,0.5\n".encode(), "line 3 is '\u0663,0.5'"),
    "5,000-digit id": (b"id,label\n" + b"9" * 5000 + b",0.5\n", "1 to 18 ASCII digits"),
    "three columns": (b"id,label\n1,0.5,x\n", "line 2 is '1,0.5,x'"),
    "negative id": (b"id,label\n-1,0.5\n", "line 2"),
    "repeated id": (b"id,label\n1,0.5\n1,0.5\n", "repeats an id"),
    # a submission of nothing but 0.5s, once written with exit 0
    "header only": (b"id,label\n", "none of the 0 ids"),
    "no id of a photo": (b"id,label\n13,0.5\n999,0.5\n", "none of the 2 ids"),
    "too many rows": (
        b"id,label\n" + b"".join(b"%d,0.5\n" % i for i in range(1, 125_002)),
        "has 125001 rows, more than 125000",
    ),
}


def constant_predictor(probability=0.7):
    from pyimagesearch.preprocessing import SimplePreprocessor

    return SimplePreprocessor(8, 8), lambda batch: np.full(len(batch), probability)


def classifier_record(**features):
    """A classifier JSON's data, of 2 features, recording how its features
    were made: MobileNetV2's at 96 pixels, but for `features`' changes."""
    record = {"backbone": "MobileNetV2", "backbone_kind": "keras.applications",
              "input_size": 96, "flip": False, **features}  # fmt: skip
    return {"format": FORMAT, "params": {"C": 1.0}, "classes": [0, 1], "coef": [[1.0, 2.0]],
            "intercept": [0.5], "label_names": ["cat", "dog"], "features": record}  # fmt: skip


def tiny_classifier(path, **features):
    """`classifier_record(**features)` written at `path`."""
    path.write_text(json.dumps(classifier_record(**features)))
    return path


def predict_with(sample, tmp_path, classifier, *extra):
    return ["--images", sample["test"], "--classifier", classifier, "--backbone", "mobilenet_v2",
            "--weights", "none", "--output", tmp_path / "s.csv", *extra]  # fmt: skip


# ---- a classifier's JSON -----------------------------------------------------

CLASSIFIER_CORRUPTIONS = {
    "input_size too large": ({"input_size": TOO_LARGE}, "features.input_size: 2049 is not from"),
    "input_size 10**18": ({"input_size": 10**18}, "features.input_size: 1000000000000000000"),
    "input_size 0": ({"input_size": 0}, "features.input_size: 0 is not from 1 to 2048"),
    "input_size text": ({"input_size": "abc"}, "features.input_size: 'abc' is not an integer"),
    "input_size float": ({"input_size": 96.5}, "features.input_size: 96.5 is not an integer"),
    "input_size true": ({"input_size": True}, "features.input_size: True is not an integer"),
    "input_size list": ({"input_size": [96]}, "features.input_size: [96] is not an integer"),
    "flip text": ({"flip": "yes"}, "features.flip: 'yes' is not true or false"),
    "flip number": ({"flip": 1}, "features.flip: 1 is not true or false"),
    "backbone list": ({"backbone": ["x"]}, "features.backbone: ['x'] is not a name"),
    "kind number": ({"backbone_kind": 3}, "features.backbone_kind: 3 is not a name"),
}


# ---- a features file's attributes --------------------------------------------


def features_file(path, **attributes):
    """A features file of 40 rows as extract_features.py writes it, its
    attributes changed by `attributes` (None: the attribute removed)."""
    rng = np.random.default_rng(0)
    with h5py.File(path, "w") as db:
        db["features"] = rng.normal(size=(40, 4)).astype("float32")
        db["labels"] = np.tile([0, 1], 20)
        db["label_names"] = np.array([b"cat", b"dog"])
        made = {"backbone": "MobileNetV2", "backbone_kind": "keras.applications",
                "input_size": 224, "flip": False, **attributes}  # fmt: skip
        for name, value in made.items():
            if value is not None:
                db.attrs[name] = value
    return path


HDF5_CORRUPTIONS = {
    "input_size too large": ({"input_size": TOO_LARGE}, "input_size: 2049 is not from 1 to 2048"),
    "input_size 10**18": ({"input_size": 10**18}, "input_size: 1000000000000000000 is not from"),
    "input_size negative": ({"input_size": -5}, "input_size: -5 is not from 1 to 2048"),
    "input_size text": ({"input_size": "abc"}, "input_size: 'abc' is not an integer"),
    "input_size array": ({"input_size": np.array([224, 224])}, "input_size: array([224, 224])"),
    "input_size float": ({"input_size": 224.0}, "input_size: np.float64(224.0) is not an integer"),
    "input_size bool": ({"input_size": True}, "input_size: np.True_ is not an integer"),
    "flip array": ({"flip": np.array([True, False])}, "flip: array([ True, False]) is not true"),
    "flip text": ({"flip": "yes"}, "flip: 'yes' is not true or false"),
    "flip integer": ({"flip": 1}, "flip: np.int64(1) is not true or false"),
    "backbone array": ({"backbone": np.array([1, 2])}, "backbone: array([1, 2]) is not a name"),
    "kind number": ({"backbone_kind": 3}, "backbone_kind: np.int64(3) is not a name"),
}


def read_sizes(monkeypatch):
    """The sizes asked of every zip member read from now on."""
    sizes = []
    original = zipfile.ZipExtFile.read

    def counted(self, n=-1):
        data = original(self, n)
        sizes.append(len(data))
        return data

    monkeypatch.setattr(zipfile.ZipExtFile, "read", counted)
    return sizes


def finishes(call, timeout=30):
    """What `call()` returns, or raises, within `timeout` seconds: run in a
    thread, so that one still blocked (on a FIFO, say) fails the test
    instead of hanging it."""
    outcome = {}

    def target():
        try:
            outcome["value"] = call()
        except BaseException as error:  # noqa: BLE001 (raised again below)
            outcome["error"] = error

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    thread.join(timeout)
    assert not thread.is_alive(), f"still running after {timeout} s"
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]


# ---- Kaggle's bundle: damaged, nested, inflated ------------------------------


def jpeg():
    import cv2
    import numpy as np

    return cv2.imencode(".jpg", np.full((8, 8, 3), 128, np.uint8))[1].tobytes()


def zip_bytes(members, compression=zipfile.ZIP_STORED):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as archive:
        for name, data in members:
            archive.writestr(name, data)
    return buffer.getvalue()


def write(path, n, shape=(6, 5, 3), classes=2, **kwargs):
    rng = np.random.default_rng(n)
    images = rng.integers(0, 256, (n,) + shape, dtype=np.uint8)
    labels = np.arange(n) % classes
    with HDF5DatasetWriter((n,) + shape, str(path), bufSize=7, **kwargs) as writer:
        writer.add(images, labels)
        writer.storeClassLabels(["cat", "dög"][:classes] + [f"c{i}" for i in range(2, classes)])
    return images, labels


@functools.cache
def _lively_weights(size):
    """MobileNetV2's untrained weights with each BatchNorm's statistics set
    to those of its inputs on random photos, layer after layer: its own
    initial statistics shrink the activations to nothing (1e-10 at
    block_15_add, 32 x 32), and a fine-tuned top would then learn nothing
    a test could tell apart."""
    import keras

    from pyimagesearch.nn.backbones import application_extractor

    extractor = application_extractor("mobilenetv2", "none", size)
    model = extractor.model
    photos = np.random.default_rng(0).uniform(0, 255, (8, size, size, 3)).astype("float32")
    batch = extractor.preprocess(photos)
    norms = [layer for layer in model.layers if isinstance(layer, keras.layers.BatchNormalization)]
    probe = keras.Model(model.inputs, [layer.input for layer in norms])
    for index, layer in enumerate(norms):
        inputs = np.asarray(probe.predict_on_batch(batch)[index])
        (gamma, beta, _, _) = layer.get_weights()
        moments = (inputs.mean(axis=(0, 1, 2)), inputs.var(axis=(0, 1, 2)) + 1e-3)
        layer.set_weights([gamma, beta, *moments])
    return model.get_weights()


def lively_extractor(size=32):
    """A new MobileNetV2 extractor at `size` x `size`, untrained but with
    activations of about unit size at every layer (`_lively_weights`)."""
    from pyimagesearch.nn.backbones import application_extractor

    extractor = application_extractor("mobilenetv2", "none", size)
    extractor.model.set_weights(_lively_weights(size))
    return extractor


def run_fine_tune(sample, out, splits, resume=False, options=None, **kwargs):
    """`fine_tune` of the `fitted` fixture's files in `out` (`lively_extractor`
    at 32 x 32, cut at block_15_add), writing there too, with `options`
    (one epoch at 1e-3 if None) and `kwargs`: (its record, the predictions
    it saved, the lines it logged)."""
    from pyimagesearch.pipeline import finetune

    lines = []
    report = finetune.fine_tune(
        sample["train"], str(out / "features.hdf5"), str(out / "classifier.json"), splits,
        lively_extractor(32), "block_15_add", str(out / "cache"),
        str(out / "finetuned.keras"), str(out / "finetune.json"), str(out / "predictions.json"),
        options or finetune.FineTuneOptions(epochs=1, learningRate=1e-3), resume=resume,
        log=lines.append, **kwargs,
    )  # fmt: skip
    return report, json.loads((out / "predictions.json").read_text()), lines


def write_split(paths, split, names, value, overwrite=False):
    """The chapter's HDF5 split `split` (`paths`: `ChapterPaths`) holding one
    8 x 8 photo of pixel `value` for each of `names` (labelled dog alone,
    else cat then dog), with its class and photo names."""
    count = len(names)
    with HDF5DatasetWriter((count, 8, 8, 3), paths.split[split], dtype="uint8",
                           overwrite=overwrite) as writer:  # fmt: skip
        writer.add(np.full((count, 8, 8, 3), value, np.uint8), [1] if count == 1 else [0, 1])
        writer.storeClassLabels(["cat", "dog"])
        writer.storeStrings("image_names", names)


def a_built_run(tmp_path):
    """(paths, settings) of a chapter run in `tmp_path` whose build wrote
    its splits and record: dog.5.jpg, the one training photo (also in the
    train folder), and cat.1.jpg, dog.2.jpg, the test split."""
    paths = chapterstages.ChapterPaths(tmp_path)
    os.makedirs(paths.hdf5)
    train = tmp_path / "train"
    os.makedirs(train)
    cv2.imwrite(str(train / "dog.5.jpg"), np.full((20, 30, 3), 200, np.uint8))
    settings = chapterstages.ChapterSettings(train=str(train), outputDir=str(tmp_path))
    write_split(paths, "train", ["dog.5.jpg"], 0)
    write_split(paths, "test", ["cat.1.jpg", "dog.2.jpg"], 0)
    with open(paths.buildRecord, "w") as f:
        json.dump({"label_names": ["cat", "dog"], "used": {"train": 1, "test": 2},
                   "image_names": {"train": ["dog.5.jpg"], "test": ["cat.1.jpg", "dog.2.jpg"]},
                   "photos_found": 3, "skipped_count": 0, "skipped": [], "images": "train"},
                  f)  # fmt: skip
    return paths, settings
