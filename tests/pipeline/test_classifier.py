"""`pipeline.classifier`: the logistic regression is saved as JSON, never a
pickle, and its file and the features file are untrusted input -- checked
whole, in one place, before any network runs; non-finite or one-class
features, classes that are not their names, and a backbone other than the
classifier's. train_model.py's outputs are tested in
tests/scripts/test_train_model.py."""

import json

import h5py
import numpy as np
import pytest

from conftest import call_main
from dogs_vs_cats import predict, train_model
from helpers import (
    CLASSIFIER_CORRUPTIONS,
    HDF5_CORRUPTIONS,
    _write,
    features_file,
    one_line_error,
    predict_with,
    tiny_classifier,
)
from pyimagesearch.pipeline.classifier import FORMAT, load_feature_record, read_feature_source
from pyimagesearch.utils.checks import LARGEST_SIZE


def test_corrupt_hdf5_metadata_and_single_class_features(built, tmp_path, capsys):
    data = bytearray(open(built["test"], "rb").read())
    data[100:400] = b"\xff" * 300  # the superblock and root group
    (tmp_path / "corrupt.hdf5").write_bytes(bytes(data))
    code, _, err = call_main(
        train_model,
        ["--db", tmp_path / "corrupt.hdf5", "--classifier", tmp_path / "lr.json"],
        capsys,
    )
    one_line_error(code, err, "corrupt.hdf5")
    with h5py.File(tmp_path / "one.hdf5", "w") as db:
        db["features"] = np.random.default_rng(0).normal(size=(20, 4)).astype("float32")
        db["labels"] = np.zeros(20, int)
        db["label_names"] = np.array([b"cat", b"dog"])
    code, _, err = call_main(
        train_model, ["--db", tmp_path / "one.hdf5", "--classifier", tmp_path / "lr.json"], capsys
    )
    one_line_error(code, err, "one.hdf5", "one class only")
    assert not (tmp_path / "lr.json").exists()


# ---- untrusted classifier and model files ---------------------------------------


@pytest.mark.parametrize(
    "change",
    [
        {"coef": [[float("nan"), 1.0]]},
        {"coef": [[1e400, 1.0]]},
        {"intercept": [0.0, 1.0]},
        {"coef": [[1.0], [2.0, 3.0]]},
        {"classes": [0]},
        {"classes": None},
        {"coef": "x"},
    ],
)
def test_classifier_files_are_checked_as_untrusted(tmp_path, change):
    from pyimagesearch.pipeline.classifier import FORMAT, load_logistic_regression

    data = {
        "format": FORMAT,
        "params": {"C": 1.0},
        "classes": [0, 1],
        "coef": [[1.0, 2.0]],
        "intercept": [0.5],
        "label_names": ["cat", "dog"],
    }
    load_logistic_regression(_write(tmp_path / "ok.json", data))
    text = json.dumps({**data, **change}).replace("Infinity", "1e400")
    path = tmp_path / "bad.json"
    path.write_text(text)
    with pytest.raises(ValueError, match="bad.json"):
        load_logistic_regression(str(path))


def test_absurdly_nested_or_nan_classifier_json_is_one_line(sample, tmp_path, capsys):
    (tmp_path / "deep.json").write_text("[" * 100000 + "]" * 100000)
    (tmp_path / "nan.json").write_text('{"format": "x", "coef": NaN}')
    for name in ("deep.json", "nan.json"):
        code, _, err = call_main(
            predict,
            [
                "--images",
                sample["test"],
                "--classifier",
                tmp_path / name,
                "--backbone",
                "mobilenet_v2",
                "--weights",
                "none",
                "--output",
                tmp_path / "s.csv",
            ],
            capsys,
        )
        one_line_error(code, err, name)


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


def test_a_classifier_whose_classes_are_not_its_names_is_refused(sample, tmp_path, capsys):
    """Classes [5, 7] with two names gave "1 is not in list"."""
    from helpers import flat_model

    flat_model(tmp_path / "flat.keras")
    classifier = tmp_path / "c.json"
    classifier.write_text(json.dumps({
        "format": "pyimagesearch.logistic_regression.v1", "params": {}, "classes": [5, 7],
        "coef": [[0.1, 0.2, 0.3]], "intercept": [0.0], "label_names": ["cat", "dog"]}))  # fmt: skip
    mean = tmp_path / "mean.json"
    mean.write_text('{"R": 1.0, "G": 2.0, "B": 3.0}')
    argv = ["--images", sample["test"], "--classifier", classifier, "--backbone",
            tmp_path / "flat.keras", "--layer", "colour", "--mean", mean,
            "--output", tmp_path / "s.csv"]  # fmt: skip
    (code, _, err) = call_main(predict, argv, capsys)
    one_line_error(code, err, classifier, "must be indexes into 'label_names'")
    assert not (tmp_path / "s.csv").exists()


@pytest.mark.parametrize("case", CLASSIFIER_CORRUPTIONS)
def test_a_classifier_json_is_checked_whole_before_any_network(sample, tmp_path, capsys, case):
    (change, words) = CLASSIFIER_CORRUPTIONS[case]
    path = tiny_classifier(tmp_path / "lr.json", **change)
    (code, _, err) = call_main(predict, predict_with(sample, tmp_path, path), capsys)
    one_line_error(code, err, path, words)
    assert not (tmp_path / "s.csv").exists()


def test_a_classifier_json_is_checked_whole_wherever_it_is_read(tmp_path):
    """The features' record and the model are one record, checked by one
    function: a file without the format is refused by either reader, and
    missing features fields are files from before they were recorded."""
    data = json.loads(tiny_classifier(tmp_path / "lr.json").read_text())
    del data["format"]
    (tmp_path / "bad.json").write_text(json.dumps(data))
    with pytest.raises(ValueError, match="bad.json is not a JSON model file"):
        load_feature_record(tmp_path / "bad.json")
    (tmp_path / "coef.json").write_text(json.dumps({**data, "format": FORMAT, "coef": "x"}))
    with pytest.raises(ValueError, match="coef.json .*'coef'"):
        load_feature_record(tmp_path / "coef.json")
    record = {"input_size": LARGEST_SIZE, "flip": True}
    assert load_feature_record(tiny_classifier(tmp_path / "ok.json", **record)) == {
        **record,
        "backbone": "MobileNetV2",
        "backbone_kind": "keras.applications",
    }
    for features in (None, {}):
        (tmp_path / "old.json").write_text(json.dumps({**data, "format": FORMAT,
                                                       "features": features}))  # fmt: skip
        assert load_feature_record(tmp_path / "old.json") == {
            "input_size": None,
            "flip": None,
            "backbone": "unknown",
            "backbone_kind": "unknown",
        }


@pytest.mark.parametrize("case", HDF5_CORRUPTIONS)
def test_a_features_files_attributes_are_checked_in_one_place(tmp_path, capsys, case):
    (change, words) = HDF5_CORRUPTIONS[case]
    path = features_file(tmp_path / "features.hdf5", **change)
    argv = ["--db", path, "--classifier", tmp_path / "lr.json"]
    (code, _, err) = call_main(train_model, argv, capsys)
    one_line_error(code, err, f"{path}: attribute {words}")
    assert not (tmp_path / "lr.json").exists()


def test_a_features_files_attributes_within_bounds_or_missing_are_read(tmp_path, capsys):
    path = features_file(tmp_path / "top.hdf5", input_size=LARGEST_SIZE, flip=True)
    source = read_feature_source(path)
    assert (source.backbone, source.kind, source.inputSize, source.flip) == (
        "MobileNetV2", "keras.applications", LARGEST_SIZE, True)  # fmt: skip
    assert type(source.inputSize) is int and type(source.flip) is bool
    # a file from before they were recorded
    old = features_file(tmp_path / "old.hdf5", backbone=None, backbone_kind=None,
                        input_size=None, flip=None)  # fmt: skip
    source = read_feature_source(old)
    assert (source.backbone, source.kind, source.inputSize, source.flip) == (
        "unknown", "unknown", None, None)  # fmt: skip
    argv = ["--db", path, "--classifier", tmp_path / "lr.json"]
    (code, _, err) = call_main(train_model, argv, capsys)
    assert code == 0, err
    features = json.loads((tmp_path / "lr.json").read_text())["features"]
    assert features["input_size"] == LARGEST_SIZE and features["flip"] is True


def test_a_backbone_other_than_the_classifiers_is_refused(sample, tmp_path, capsys):
    """Another network of as many features (EfficientNetB0's 1,280 for
    MobileNetV2's) was accepted, and predicted with weights fitted on other
    features."""
    classifier = tiny_classifier(tmp_path / "lr.json")
    argv = predict_with(sample, tmp_path, classifier)
    argv[argv.index("--backbone") + 1] = "efficientnetb0"
    (code, _, err) = call_main(predict, argv, capsys)
    one_line_error(code, err, "--backbone: efficientnetb0 is not the network",
                   "fitted on (MobileNetV2): give --backbone MobileNetV2")  # fmt: skip
    assert not (tmp_path / "s.csv").exists()
