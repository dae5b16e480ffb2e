"""Bad input, user mistakes, interruptions and untrusted files: each gets a
clear one-line error and a non-zero exit, or is skipped and reported, and no
output is left half-written."""

import json
import os
import signal
import subprocess
import sys
import zipfile

import cv2
import h5py
import numpy as np
import pytest

from conftest import SCRIPTS, STORED_SIZE, build_args, call_main, run_script, train_args
from dogs_vs_cats import (
    build_dogs_vs_cats,
    crop_accuracy,
    extract_features,
    train_model,
)


def one_line_error(code, err, *words):
    lines = [line for line in err.splitlines() if line.strip() and "%" not in line]
    assert code == 2, err
    assert len(lines) == 1, err
    assert "Traceback" not in err
    for word in words:
        assert str(word) in lines[0], lines[0]
    return lines[0]


def jpeg_bytes(image, quality=90):
    return cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, quality])[1].tobytes()


def messy_files(good_folder):
    """{name: bytes} of every kind of bad or unusual file, plus the good
    photos of `good_folder`; and the names that must be skipped."""
    import io

    from PIL import Image

    files = {
        name: open(os.path.join(good_folder, name), "rb").read()
        for name in sorted(os.listdir(good_folder))
    }
    whole = jpeg_bytes(np.full((60, 80, 3), 120, np.uint8))
    cmyk = io.BytesIO()
    Image.new("CMYK", (40, 30), (0, 128, 255, 0)).save(cmyk, "JPEG")
    rgba = np.zeros((30, 40, 4), np.uint8)
    rgba[..., 3] = 128
    files.update(
        {
            "cat.900.jpg": b"",  # zero bytes
            "dog.901.jpg": whole[: len(whole) // 2],  # truncated JPEG
            "dog.7.jpg": b"this is not a picture\n" * 20,  # text named like a photo
            "cat.902.png": cv2.imencode(".png", rgba)[1].tobytes(),  # PNG with alpha
            "dog.903.jpg": jpeg_bytes(np.full((50, 40), 90, np.uint8)),  # grayscale
            "cat.904.jpg": cmyk.getvalue(),  # CMYK
            "dog.905.jpg": jpeg_bytes(np.full((1, 1, 3), 200, np.uint8)),  # 1 x 1
            "cat.906.jpg": jpeg_bytes(np.full((10000, 10000, 3), 60, np.uint8), 50),  # huge
            "holiday.jpg": whole,  # no label
            "README.txt": b"photos of cats and dogs\n",  # not an image
            "nested/dog.907.jpg": whole,  # in a sub-folder
        }
    )
    skipped = {"cat.900.jpg", "dog.901.jpg", "dog.7.jpg", "holiday.jpg", "README.txt"}
    return files, skipped


@pytest.fixture(scope="module")
def messy(sample, tmp_path_factory):
    files, skipped = messy_files(sample["train"])
    folder = tmp_path_factory.mktemp("messy") / "train"
    for name, data in files.items():
        os.makedirs(os.path.dirname(folder / name), exist_ok=True)
        (folder / name).write_bytes(data)
    archive = folder.parent / "train.zip"
    with zipfile.ZipFile(archive, "w") as z:
        for name, data in files.items():
            z.writestr(f"train/{name}", data)
    return {"folder": folder, "zip": archive, "files": files, "skipped": skipped}


@pytest.mark.parametrize("source", ["folder", "zip"])
def test_bad_photos_are_skipped_counted_and_reported(messy, source, tmp_path, capsys):
    out = tmp_path / "hdf5"
    code, stdout, _ = call_main(
        build_dogs_vs_cats,
        build_args(messy[source], tmp_path),
        capsys,
    )
    assert code == 0
    report = json.loads((out / "build_record.json").read_text())
    skipped = {os.path.basename(item["file"]): item["reason"] for item in report["skipped"]}
    assert skipped == {
        "cat.900.jpg": "empty file",
        "dog.901.jpg": "truncated JPEG",
        "dog.7.jpg": "not a readable image (no PNG, JPEG, BMP, GIF, WebP or TIFF header)",
        "holiday.jpg": "no class label in the name",
        "README.txt": "not an image file",
    }
    assert report["skipped_count"] == 5 and "skipped 5 file(s)" in stdout
    # 59 good photos (the text replaced dog.7.jpg) and the 6 usable odd ones:
    # alpha, grayscale, CMYK, 1x1, huge, nested
    assert sum(report["used"].values()) == 65
    with h5py.File(out / "train.hdf5", "r") as db:
        assert db["images"].shape == (45, STORED_SIZE, STORED_SIZE, 3)


def test_too_few_usable_photos_fail_with_the_counts_and_leave_nothing(messy, tmp_path, capsys):
    out = tmp_path / "hdf5"
    code, _, err = call_main(
        build_dogs_vs_cats,
        build_args(messy["folder"], tmp_path, "--val-size", 33, "--test-size", 33, "--workers", 1),
        capsys,
    )
    # 68 names carry a label, so the split looks possible until the photos are decoded
    one_line_error(code, err, "only 65 of 70 files are usable photos", "need at least 67")
    assert not out.exists() or os.listdir(out) == []
    assert not (tmp_path / "mean.json").exists()


def test_missing_or_empty_images_folder(tmp_path, capsys):
    args = ["--output-dir", tmp_path / "o", "--mean", tmp_path / "m.json"]
    code, _, err = call_main(build_dogs_vs_cats, ["--images", tmp_path / "nope"] + args, capsys)
    one_line_error(code, err, "nope does not exist")
    (tmp_path / "empty").mkdir()
    code, _, err = call_main(build_dogs_vs_cats, ["--images", tmp_path / "empty"] + args, capsys)
    one_line_error(code, err, "empty holds no image files")


def test_existing_outputs_are_left_untouched_without_force(built, sample, tmp_path, capsys):
    out = tmp_path / "hdf5"
    out.mkdir()
    (out / "val.hdf5").write_bytes(b"my precious data")
    code, _, err = call_main(
        build_dogs_vs_cats,
        build_args(sample["train"], tmp_path),
        capsys,
    )
    one_line_error(code, err, "val.hdf5 already exists", "--force")
    assert (out / "val.hdf5").read_bytes() == b"my precious data"
    assert sorted(os.listdir(out)) == ["val.hdf5"]


@pytest.mark.parametrize("flag,value", [("--size", 0), ("--val-size", -5), ("--workers", "two")])
def test_non_positive_sizes_and_counts(flag, value, capsys):
    code, _, err = call_main(build_dogs_vs_cats, [flag, value], capsys)
    one_line_error(code, err, flag, "positive integer")


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


def test_model_missing_or_not_a_keras_model(built, tmp_path, capsys):
    args = ["--test", built["test"], "--mean", built["mean"]]
    code, _, err = call_main(crop_accuracy, args + ["--model", tmp_path / "no.keras"], capsys)
    one_line_error(code, err, "no.keras does not exist")
    (tmp_path / "fake.keras").write_text("not a model")
    code, _, err = call_main(crop_accuracy, args + ["--model", tmp_path / "fake.keras"], capsys)
    one_line_error(code, err, "fake.keras is not a Keras 3 .keras model file")


def test_hdf5_with_wrong_contents(built, trained, tmp_path, capsys):
    with h5py.File(tmp_path / "nokey.hdf5", "w") as db:
        db["pixels"] = np.zeros((2, 72, 72, 3), np.uint8)
    with h5py.File(tmp_path / "small.hdf5", "w") as db:
        db["images"] = np.zeros((2, 32, 32, 3), np.uint8)
        db["labels"] = np.zeros(2, np.int64)
    with h5py.File(tmp_path / "labels.hdf5", "w") as db:
        db["images"] = np.zeros((2, 72, 72, 3), np.uint8)
        db["labels"] = np.array([0, 5])
    args = ["--mean", built["mean"], "--model", trained["model"]]
    code, _, err = call_main(crop_accuracy, args + ["--test", tmp_path / "nokey.hdf5"], capsys)
    one_line_error(code, err, "nokey.hdf5 has no 'images' data set")
    code, _, err = call_main(crop_accuracy, args + ["--test", tmp_path / "small.hdf5"], capsys)
    one_line_error(code, err, "small.hdf5 holds images of shape (32, 32, 3)")
    code, _, err = call_main(crop_accuracy, args + ["--test", tmp_path / "labels.hdf5"], capsys)
    one_line_error(code, err, "labels.hdf5 has labels from 0 to 5")


def test_features_that_are_not_finite_are_an_error(tmp_path, capsys):
    features = np.random.default_rng(0).normal(size=(20, 4)).astype("float32")
    features[3, 1] = np.nan
    from pyimagesearch.io import HDF5DatasetWriter

    with HDF5DatasetWriter((20, 4), str(tmp_path / "f.hdf5"), dataKey="features") as writer:
        writer.add(features, np.arange(20) % 2)
        writer.storeClassLabels(["cat", "dog"])
    code, _, err = call_main(
        train_model, ["--db", tmp_path / "f.hdf5", "--model", tmp_path / "m.json"], capsys
    )
    one_line_error(code, err, "f.hdf5 holds NaN or infinite features")
    assert not (tmp_path / "m.json").exists()


# Keras warns as it skips the layers a foreign weights file lacks, before it fails.
@pytest.mark.filterwarnings("ignore:Skipping nested container")
def test_backbone_and_weights_mistakes(sample, tmp_path, capsys):
    args = ["--dataset", sample["train"], "--output", tmp_path / "f.hdf5"]
    code, _, err = call_main(extract_features, args + ["--backbone", "alexnet9"], capsys)
    one_line_error(code, err, "--backbone: 'alexnet9'", "mobilenetv2")
    code, _, err = call_main(
        extract_features,
        args + ["--backbone", "mobilenet_v2", "--weights", tmp_path / "missing.weights.h5"],
        capsys,
    )
    one_line_error(code, err, "missing.weights.h5")
    with h5py.File(tmp_path / "other.weights.h5", "w") as f:
        f["x"] = np.zeros(3)
    code, _, err = call_main(
        extract_features,
        args + ["--backbone", "mobilenet_v2", "--weights", tmp_path / "other.weights.h5"],
        capsys,
    )
    one_line_error(code, err, "other.weights.h5 does not fit MobileNetV2")
    assert not (tmp_path / "f.hdf5").exists()


def test_imagenet_weights_offline_say_to_pass_a_path(monkeypatch, sample, tmp_path, capsys):
    import keras

    def no_network(*args, **kwargs):
        raise Exception("URL fetch failure on https://storage.googleapis.com/...: None")

    monkeypatch.setattr(keras.utils, "get_file", no_network)
    monkeypatch.setattr("keras.src.applications.mobilenet_v2.file_utils.get_file", no_network)
    code, _, err = call_main(
        extract_features,
        [
            "--dataset",
            sample["train"],
            "--output",
            tmp_path / "f.hdf5",
            "--backbone",
            "mobilenet_v2",
            "--weights",
            "imagenet",
        ],
        capsys,
    )
    one_line_error(
        code,
        err,
        "could not download the ImageNet weights of MobileNetV2",
        "--weights: could not download",
    )


def test_debug_shows_the_traceback(tmp_path):
    result = run_script("build_dogs_vs_cats", "--images", tmp_path / "nope", "--debug")
    assert result.returncode != 0 and "Traceback" in result.stderr


def test_a_real_command_line_mistake_is_one_line(tmp_path):
    result = run_script("train_model", "--db", tmp_path / "missing.hdf5")
    assert result.returncode == 2
    assert result.stderr.strip().splitlines()[-1].startswith("train_model.py: error: ")
    assert "missing.hdf5 does not exist" in result.stderr and "Traceback" not in result.stderr


def test_a_library_bug_keeps_its_traceback(tmp_path):
    """A TypeError in a script's work is the program's mistake, not the
    user's: Python's traceback and exit 1, not one line and exit 2."""
    code = f"""
import os, runpy, sys
sys.argv = ["train_model.py", "--db", {str(tmp_path / "features.hdf5")!r}]
sys.path.insert(0, os.getcwd())
from pyimagesearch.pipeline import classifier
def bug(*args, **kwargs):
    return len(5)
classifier.train_logistic_regression = bug
runpy.run_path("train_model.py", run_name="__main__")
"""
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=SCRIPTS, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 1, result.stderr
    assert "Traceback" in result.stderr and "in bug" in result.stderr
    assert result.stderr.strip().splitlines()[-1].startswith("TypeError: object of type 'int'")


def test_keras_files_load_in_safe_mode(tmp_path):
    import keras

    from pyimagesearch.nn.modelfiles import load_model

    inputs = keras.Input((2,))
    model = keras.Model(inputs, keras.layers.Lambda(lambda x: x * 2)(inputs))
    model.save(tmp_path / "lambda.keras")
    with pytest.raises(ValueError, match="lambda.keras could not be loaded.*safe_mode"):
        load_model(str(tmp_path / "lambda.keras"))


def test_logistic_regression_is_saved_as_json_not_pickle(tmp_path):
    from sklearn.linear_model import LogisticRegression

    from pyimagesearch.pipeline.classifier import load_logistic_regression, save_logistic_regression

    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(40, 5)), np.arange(40) % 2
    model = LogisticRegression(C=0.5).fit(x, y)
    save_logistic_regression(model, str(tmp_path / "lr.json"), ["cat", "dog"])
    text = (tmp_path / "lr.json").read_text()
    assert json.loads(text)["params"]["C"] == 0.5
    loaded, names = load_logistic_regression(str(tmp_path / "lr.json"))
    assert names == ["cat", "dog"]
    assert np.array_equal(loaded.predict_proba(x), model.predict_proba(x))
    (tmp_path / "evil.json").write_bytes(b"\x80\x04\x95")  # a pickle header
    with pytest.raises(ValueError, match="evil.json is not valid JSON"):
        load_logistic_regression(str(tmp_path / "evil.json"))


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


@pytest.mark.slow
def test_killed_build_leaves_nothing_complete_and_a_rerun_succeeds(messy, tmp_path):
    out = tmp_path / "hdf5"
    args = build_args(messy["folder"], tmp_path, "--workers", 1)
    # killed after 30 of the 65 photos are stored
    code = run_killed_at(
        "build_dogs_vs_cats",
        args,
        "pyimagesearch.io.hdf5datasetwriter",
        "HDF5DatasetWriter.add",
        30,
    )
    assert code == -signal.SIGKILL
    assert [p.name for p in out.iterdir() if ".partial" in p.name]  # killed mid-write
    assert not any((out / f"{s}.hdf5").exists() for s in ("train", "val", "test"))
    assert not (tmp_path / "mean.json").exists()
    rerun = run_script("build_dogs_vs_cats", *args)
    assert rerun.returncode == 0, rerun.stderr
    with h5py.File(out / "train.hdf5", "r") as db:
        assert db["images"].shape[0] == 45
    assert not [p for p in out.iterdir() if ".partial" in p.name]


@pytest.mark.slow
def test_killed_training_resumes_on_the_same_curve(built, tmp_path):
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
    rerun = run_script("train_alexnet", *args, "--resume")
    assert rerun.returncode == 0 and "resuming from" in rerun.stdout, rerun.stderr
    resumed = json.loads((out / "alexnet.json").read_text())
    assert len(resumed["loss"]) == 2 and resumed["loss"][:1] == history["loss"]
    assert (out / "alexnet.keras").exists()
    assert sorted(p.name for p in out.glob("checkpoint-*")) == ["checkpoint-epoch-002.keras"]
    assert not [p for p in out.iterdir() if ".partial" in p.name]


def test_sample_generation_is_all_or_nothing(tmp_path, capsys):
    from dogs_vs_cats import make_sample

    (tmp_path / "s.partial" / "train").mkdir(parents=True)  # left by a killed run
    (tmp_path / "s.partial" / "train" / "cat.0.jpg").write_bytes(b"")
    code, _, _ = call_main(
        make_sample, ["--output-dir", tmp_path / "s", "--per-class", 2, "--test-images", 1], capsys
    )
    assert code == 0 and sorted(os.listdir(tmp_path)) == ["s"]
    assert (tmp_path / "s" / "train" / "cat.0.jpg").stat().st_size > 0
    code, _, err = call_main(make_sample, ["--output-dir", tmp_path / "s"], capsys)
    one_line_error(code, err, "already exists", "--force")
