"""predict.py end to end: features, the logistic regression and the
submission, and what the submission dropped listed."""

import csv
import json
import re

import h5py
import numpy as np
import pytest

from conftest import STORED_SIZE, assert_held_out_by_name, call_main
from dogs_vs_cats import extract_features, predict, train_model
from helpers import kaggle_bundle, one_line_error, predict_with, tiny_classifier


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
         "--record", held],
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


def test_predict_lists_what_the_submission_dropped(sample, tmp_path, capsys):
    from helpers import flat_model

    flat_model(tmp_path / "flat.keras")
    (tmp_path / "mean.json").write_text(json.dumps({"R": 120.0, "G": 110.0, "B": 100.0}))
    bundle = kaggle_bundle(tmp_path / "b.zip", sample, b"id,label\n5,0.5\n999,0.5\n")
    argv = ["--images", bundle, "--model", tmp_path / "flat.keras", "--mean",
            tmp_path / "mean.json", "--size", 16, "--output", tmp_path / "s.csv"]  # fmt: skip
    (code, out, err) = call_main(predict, argv, capsys)
    assert code == 0, err
    assert (tmp_path / "s.csv").read_text().splitlines()[0] == "id,label"
    assert "[WARNING] wrote 0.5 for 1 id(s) of sampleSubmission.csv:\n    id 999:" in out
    assert "[WARNING] left out 11 test photo(s):\n    test1.zip/test1/1.jpg: its id is" in out


@pytest.mark.parametrize(
    "given,words", [(["--feature-size", "224"], "--feature-size: 224 contradicts"),
                    (["--flip"], "--flip: True contradicts")],
)  # fmt: skip
def test_a_flag_contradicting_the_classifier_is_named_as_given(sample, tmp_path, capsys, given,
                                                                words):  # fmt: skip
    """The classifier's file records 96 pixels and no mirrors: a flag saying
    otherwise is refused in one line naming it (--flip, not --no-flip)."""
    argv = predict_with(sample, tmp_path, tiny_classifier(tmp_path / "lr.json"), *given)
    (code, _, err) = call_main(predict, argv, capsys)
    one_line_error(code, err, words, "fitted on features with")
    assert not (tmp_path / "s.csv").exists()
