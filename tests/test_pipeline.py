"""Every dogs_vs_cats script end to end on a tiny generated data set, with
what each writes checked."""

import csv
import json
import os
import re
import subprocess
import sys

import h5py
import numpy as np
import pytest

from conftest import (
    INPUT_SIZE,
    SCRIPTS,
    STORED_SIZE,
    assert_held_out_by_name,
    call_main,
    run_script,
)
from dogs_vs_cats import (
    build_dogs_vs_cats,
    crop_accuracy,
    extract_features,
    predict,
    train_model,
)


def test_build_writes_balanced_uint8_splits_and_the_exact_mean(built):
    sizes = {}
    for split in ("train", "val", "test"):
        with h5py.File(built[split], "r") as db:
            images, labels = db["images"][:], db["labels"][:]
            assert images.dtype == np.uint8
            assert images.shape[1:] == (STORED_SIZE, STORED_SIZE, 3)
            assert list(db["label_names"].asstr()[()]) == ["cat", "dog"]
            sizes[split] = np.bincount(labels, minlength=2).tolist()
            if split == "train":
                direct = images.reshape(-1, 3).astype(np.float64).mean(axis=0)
    assert sizes == {"train": [20, 20], "val": [5, 5], "test": [5, 5]}
    mean = json.loads(built["mean"].read_text())
    assert mean == pytest.approx({"R": direct[2], "G": direct[1], "B": direct[0]}, abs=1e-9)
    report = json.loads((built["dir"] / "build_record.json").read_text())
    assert report["used"] == {"train": 40, "val": 10, "test": 10} and report["skipped"] == []


def test_build_splits_hold_every_photo_once(built, sample):
    import cv2

    from pyimagesearch.preprocessing import AspectAwarePreprocessor

    stored = np.concatenate(
        [h5py.File(built[s], "r")["images"][:] for s in ("train", "val", "test")]
    )
    aap = AspectAwarePreprocessor(STORED_SIZE, STORED_SIZE)
    image = aap.preprocess(cv2.imread(f"{sample['train']}/dog.7.jpg"))
    assert sum(np.array_equal(image, row) for row in stored) == 1
    assert len(stored) == 60


def test_train_writes_model_history_plot_and_checkpoint(trained):
    history = json.loads((trained["dir"] / "alexnet.json").read_text())
    assert set(history) >= {"loss", "accuracy", "val_loss", "val_accuracy"}
    assert all(len(values) == 1 for values in history.values())
    assert (trained["dir"] / "alexnet.png").read_bytes()[:4] == b"\x89PNG"
    assert (trained["dir"] / "checkpoint-epoch-001.keras").exists()
    from pyimagesearch.nn.modelfiles import load_model

    model = load_model(str(trained["model"]))
    assert model.input_shape == (None, INPUT_SIZE, INPUT_SIZE, 3)
    assert [type(layer).__name__ for layer in model.layers].count("ImageAugmenter") == 0


@pytest.mark.slow
def test_crop_accuracy_prints_and_writes_both_figures(built, trained, tmp_path, capsys):
    report = tmp_path / "crops.json"
    code, out, _ = call_main(
        crop_accuracy,
        [
            "--test",
            built["test"],
            "--mean",
            built["mean"],
            "--model",
            trained["model"],
            "--batch-size",
            3,
            "--output",
            report,
            "--predictions",
            tmp_path / "rows.json",
        ],
        capsys,
    )
    assert code == 0
    printed = re.findall(r"rank-1: (\d+\.\d\d)%, log loss: (\d+\.\d{4})", out)
    figures = json.loads(report.read_text())
    assert figures["images"] == 10
    assert [(float(a), float(b)) for a, b in printed] == [
        (round(figures["rank1"] * 100, 2), round(figures["log_loss"], 4)),
        (round(figures["rank1_10_crops"] * 100, 2), round(figures["log_loss_10_crops"], 4)),
    ]
    assert all(f * 10 == int(f * 10) for f in (figures["rank1"], figures["rank1_10_crops"]))
    # the figures, recomputed from the rows written, against the test split
    rows = json.loads((tmp_path / "rows.json").read_text())
    with h5py.File(built["test"], "r") as db:
        assert rows["labels"] == db["labels"][:].tolist()
        assert rows["image_names"] == list(db["image_names"].asstr()[()])
    for suffix in ("", "_10_crops"):
        probabilities = np.array(rows["probabilities" + suffix])
        truth = np.array(rows["labels"])
        picked = probabilities[np.arange(len(truth)), truth]
        expected = -np.mean(np.log(np.clip(picked, np.finfo(float).eps, None)))
        assert figures["log_loss" + suffix] == pytest.approx(expected, rel=1e-9)
        assert figures["rank1" + suffix] == np.mean(probabilities.argmax(axis=1) == truth)


def test_features_logistic_regression_and_submission(sample, built, trained, tmp_path, capsys):
    features = tmp_path / "features.hdf5"
    code, _, _ = call_main(
        extract_features,
        [
            "--dataset",
            sample["train"],
            "--output",
            features,
            "--backbone",
            trained["model"],
            "--mean",
            built["mean"],
            "--batch-size",
            8,
            "--workers",
            2,
        ],
        capsys,
    )
    assert code == 0
    with h5py.File(features, "r") as db:
        assert db["features"].shape == (60, 4096) and db["features"].dtype == np.float32
        assert np.bincount(db["labels"][:]).tolist() == [30, 30]
        assert list(db["label_names"].asstr()[()]) == ["cat", "dog"]

    classifier = tmp_path / "lr.json"
    # the AlexNet trained on the build's training photos: the book's split
    # would score the classifier on them
    code, _, err = call_main(
        train_model, ["--db", features, "--model", classifier, "--jobs", 1], capsys
    )
    assert code == 2 and not classifier.exists()
    assert err.count("\n") == 1 and "--splits: " in err and "may have trained" in err
    record = built["dir"] / "build_record.json"
    held = tmp_path / "train_model.json"
    code, out, _ = call_main(
        train_model,
        ["--db", features, "--model", classifier, "--jobs", 1, "--splits", record,
         "--report", held],
        capsys,
    )  # fmt: skip
    assert code == 0 and re.search(r"\[INFO\] score: (0\.\d{4}|1\.0000), log loss: ", out)
    from pyimagesearch.io.splitrecord import read_split_record
    from pyimagesearch.pipeline.classifier import fit_classifier

    (_, _, again) = fit_classifier(features, 1, splits=read_split_record(record))
    report = json.loads(held.read_text())
    # the AlexNet is a model file: train_model.py cannot tell what it trained on
    assert report["held_out"].startswith("the build's test split; the features' model ")
    assert report["test_rows"] == 10
    assert {k: again[k] for k in report} == report
    assert_held_out_by_name(features, report, again["predictions"], record)
    assert "best hyperparameters: {'C': " in out and "cat" in out and "dog" in out
    assert json.loads(classifier.read_text())["label_names"] == ["cat", "dog"]

    for extra in ([], ["--classifier", classifier, "--backbone", trained["model"]]):
        submission = tmp_path / f"submission{len(extra)}.csv"
        code, _, _ = call_main(
            predict,
            [
                "--images",
                sample["test"],
                "--model",
                trained["model"],
                "--mean",
                built["mean"],
                "--size",
                STORED_SIZE,
                "--output",
                submission,
                "--workers",
                2,
            ]
            + extra,
            capsys,
        )
        assert code == 0
        rows = list(csv.reader(submission.open()))
        assert rows[0] == ["id", "label"]
        assert [int(r[0]) for r in rows[1:]] == list(range(1, 13))
        assert all(0.0 <= float(r[1]) <= 1.0 for r in rows[1:])


@pytest.mark.parametrize("how", ["file", "module", "help"])
def test_scripts_run_from_anywhere(how, tmp_path):
    from conftest import ROOT

    if how == "file":
        result = run_script(
            "make_sample", "--output-dir", tmp_path / "s", "--per-class", 2, "--test-images", 1
        )
    elif how == "module":
        result = subprocess.run(
            [
                sys.executable,
                "-m",
                "dogs_vs_cats.make_sample",
                "--output-dir",
                str(tmp_path / "s"),
                "--per-class",
                "2",
                "--test-images",
                "1",
            ],
            cwd=tmp_path,
            capture_output=True,
            text=True,
        )
    else:
        result = subprocess.run(
            [sys.executable, f"{ROOT}/dogs_vs_cats/build_dogs_vs_cats.py", "--help"],
            cwd=tmp_path,
            capture_output=True,
            text=True,
        )
        assert "--val-size" in result.stdout and result.returncode == 0
        return
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in (tmp_path / "s" / "train").iterdir()) == [
        "cat.0.jpg",
        "cat.1.jpg",
        "dog.0.jpg",
        "dog.1.jpg",
    ]


def test_config_paths_do_not_depend_on_the_working_directory(tmp_path, monkeypatch):
    import importlib
    import os

    monkeypatch.chdir(tmp_path)
    from dogs_vs_cats.config import dogs_vs_cats_config as config

    importlib.reload(config)
    assert os.path.isabs(config.TRAIN_HDF5) and config.TRAIN_HDF5.startswith(config.BASE_PATH)
    assert config.MODEL_PATH.endswith(".keras") and config.NUM_VAL_IMAGES == 2500
    assert build_dogs_vs_cats.make_parser().parse_args([]).val_size == config.NUM_VAL_IMAGES


def test_logs_get_a_few_progress_lines_and_no_tensorflow_banners(built, trained, sample, tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "TF_CPP_MIN_LOG_LEVEL"}
    result = subprocess.run(
        [sys.executable, "build_dogs_vs_cats.py", "--images", str(sample["train"]),
         "--output-dir", str(tmp_path / "h"), "--mean", str(tmp_path / "m.json"),
         "--val-size", "10", "--test-size", "10", "--size", "40"],
        cwd=SCRIPTS, capture_output=True, text=True, env=env,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    lines = result.stderr.splitlines()
    assert 1 <= len(lines) <= 10 and all(line.startswith("Building: ") for line in lines)
    assert lines[-1] == "Building: 100% (60/60)"
    result = subprocess.run(
        [sys.executable, "crop_accuracy.py", "--test", str(built["test"]), "--mean",
         str(built["mean"]), "--model", str(trained["model"])],
        cwd=SCRIPTS, capture_output=True, text=True, env=env,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert all(line.startswith("Evaluating: ") for line in result.stderr.splitlines()), (
        result.stderr
    )
