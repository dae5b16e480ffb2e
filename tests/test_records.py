"""Records read back from outside, each validated in one place: Kaggle's
sampleSubmission.csv, a features file's attributes and a classifier's
JSON. Each table is of corruptions (wrong type, out of bounds, missing),
each refused in one line naming the file, exit 2, by the script that
reads it, before any work. Every size from outside is bounded by the same
LARGEST_SIZE as its flag."""

import io
import json
import os
import re
import zipfile

import h5py
import numpy as np
import pytest
from test_faults import one_line_error
from test_report import CROPS

from conftest import build_args, call_main
from dogs_vs_cats import build_dogs_vs_cats, chapter, extract_features, predict, train_model
from pyimagesearch.pipeline import chapterstages, submission
from pyimagesearch.pipeline.classifier import FORMAT, load_feature_record, read_feature_source
from pyimagesearch.utils.checks import LARGEST_SIZE, image_size_problem

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


@pytest.mark.parametrize("case", TEMPLATES)
def test_a_bad_template_is_one_line_before_any_stage_or_model(
    sample, tmp_path, capsys, monkeypatch, case
):
    (template, words) = TEMPLATES[case]
    bundle = kaggle_bundle(tmp_path / "bundle.zip", sample, template)
    no_stage_runs(monkeypatch)
    out = tmp_path / "out"
    argv = ["--train", sample["train"], "--test", bundle, "--output-dir", out]
    (code, _, err) = call_main(chapter, argv, capsys)
    one_line_error(code, err, "--test:", bundle, submission.TEMPLATE, words)
    assert not out.exists()
    # predict.py checks it before loading the model (here: none at all)
    argv = ["--images", bundle, "--model", tmp_path / "absent.keras", "--mean",
            tmp_path / "absent.json", "--output", tmp_path / "s.csv"]  # fmt: skip
    (code, _, err) = call_main(predict, argv, capsys)
    one_line_error(code, err, bundle, submission.TEMPLATE, words)
    assert not (tmp_path / "s.csv").exists()


def constant_predictor(probability=0.7):
    from pyimagesearch.preprocessing import SimplePreprocessor

    return SimplePreprocessor(8, 8), lambda batch: np.full(len(batch), probability)


def test_the_header_written_is_kaggles_and_what_was_dropped_is_returned(sample, tmp_path):
    """A byte-order mark and a header in another case are not copied; the
    photos the template lacks and its ids without a photo are returned."""
    template = "\ufeffid,label\r\n3,0.5\r\n1,0.5\r\n999,0.5\r\n".encode()
    bundle = kaggle_bundle(tmp_path / "bundle.zip", sample, template)
    output = tmp_path / "s.csv"
    report = submission.write_submission(bundle, output, constant_predictor())
    assert output.read_bytes() == b"id,label\n3,0.700000\n1,0.700000\n999,0.500000\n"
    assert report["rows"] == 3 and report["missing"] == [999]
    assert sorted(f["file"] for f in report["left_out"]) == sorted(
        f"test1.zip/test1/{i}.jpg" for i in range(2, 13) if i != 3
    )
    assert report["unusable"] == []
    # no template: a row per photo, in id order
    plain = kaggle_bundle(tmp_path / "plain.zip", sample, None)
    report = submission.write_submission(plain, tmp_path / "p.csv", constant_predictor())
    assert report["rows"] == 12 and report["missing"] == [] and report["left_out"] == []


def test_the_submission_stage_records_logs_and_reports_what_it_dropped(
    sample, tmp_path, monkeypatch
):
    """The chapter once discarded write_submission's lists: a template of
    1 photo's id and 2 ids of none said nothing of the 11 photos dropped."""
    from pyimagesearch.pipeline.report import stages_section

    bundle = kaggle_bundle(tmp_path / "b.zip", sample, b"id,label\n5,0.5\n998,0.5\n999,0.5\n")
    settings = chapterstages.ChapterSettings(
        train=sample["train"], outputDir=str(tmp_path), test=str(bundle), submitWith="alexnet"
    )
    paths = chapterstages.ChapterPaths(tmp_path)
    (tmp_path / "crop_accuracy.json").write_text(json.dumps(CROPS))  # its clip: None
    # the stage predicts through the deployable model it writes
    from pyimagesearch.pipeline import deploy

    monkeypatch.setattr(deploy, "alexnet_model", lambda *a, **k: (None, ["cat", "dog"]))
    monkeypatch.setattr(deploy, "save_deployable", lambda *a, **k: None)
    monkeypatch.setattr(deploy, "model_predictor", lambda *a, **k: constant_predictor())
    stage = chapterstages.SubmissionStage(settings, paths)
    log = []
    assert stage.run(log.append, None, False) == 3
    assert stage.details == {"clip": None, "photos_left_out": 11, "ids_without_photo": 2,
                             "unreadable_photos": 0}  # fmt: skip
    warnings = [line for line in log if line.startswith("[WARNING]")]
    assert warnings == [
        f"[WARNING] submission: 11 test photos left out, their ids not in {submission.TEMPLATE}: "
        "test1.zip/test1/1.jpg, test1.zip/test1/2.jpg, test1.zip/test1/3.jpg, "
        "test1.zip/test1/4.jpg, test1.zip/test1/6.jpg, ...",
        "[WARNING] submission: 2 ids written as 0.5, no photo: id 998, id 999",
    ]
    record = {"submission": {"signature": {}, "finished": "now", "images": 3,
                             "details": stage.details}}  # fmt: skip
    page = stages_section(record)
    assert "11 test photos left out (their ids are not in sampleSubmission.csv)" in page
    assert "2 ids of sampleSubmission.csv without a photo, written as 0.5" in page
    assert "0 unreadable test photos" in page


def test_predict_lists_what_the_submission_dropped(sample, tmp_path, capsys):
    from test_alignment import flat_model

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


def test_a_missing_template_means_a_row_per_photo(sample, tmp_path):
    bundle = kaggle_bundle(tmp_path / "bundle.zip", sample, None)
    assert submission.submission_template(bundle) is None
    assert submission.submission_rows(bundle).ids == list(range(1, 13))
    assert submission.submission_template(sample["test"]) is None  # a folder has none


# ---- sizes from outside: one bound --------------------------------------------


def test_the_one_bound_takes_integers_from_1_to_largest_size():
    assert LARGEST_SIZE == 2048
    for fine in (1, LARGEST_SIZE, np.int64(LARGEST_SIZE), np.uint16(32)):
        assert image_size_problem(fine) is None
    for bad in (0, -1, TOO_LARGE, 10**18, 224.0, True, np.bool_(True), "224", None,
                np.array([224]), np.array(224.0)):  # fmt: skip
        assert image_size_problem(bad), bad


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


SIZE_FLAGS = {
    "build --size": (build_dogs_vs_cats, "--size"),
    "chapter --size": (chapter, "--size"),
    "chapter --input-size": (chapter, "--input-size"),
    "chapter --feature-size": (chapter, "--feature-size"),
    "extract_features --feature-size": (extract_features, "--feature-size"),
    "predict --feature-size": (predict, "--feature-size"),
    "predict --size": (predict, "--size"),
}


@pytest.mark.parametrize("case", SIZE_FLAGS)
def test_every_size_flag_stops_at_largest_size_before_any_work(
    sample, tmp_path, capsys, monkeypatch, case
):
    (script, flag) = SIZE_FLAGS[case]
    no_stage_runs(monkeypatch)
    out = tmp_path / "out"
    argv = {
        build_dogs_vs_cats: build_args(sample["train"], out),
        chapter: ["--train", sample["train"], "--test", sample["test"], "--output-dir", out],
        extract_features: ["--dataset", sample["train"], "--output", out / "f.hdf5",
                           "--backbone", "mobilenet_v2", "--weights", "none"],
        predict: predict_with(sample, out, tiny_classifier(tmp_path / "lr.json", input_size=None))
        if flag == "--feature-size"
        else ["--images", sample["test"], "--model", tmp_path / "absent.keras", "--mean",
              tmp_path / "absent.json", "--output", out / "s.csv"],
    }[script]  # fmt: skip
    (code, _, err) = call_main(script, [*argv, flag, TOO_LARGE], capsys)
    one_line_error(code, err, f"{flag}: {TOO_LARGE} is not from 1 to {LARGEST_SIZE} pixels")
    assert not out.exists()


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


def test_the_submission_stage_reads_its_clip_through_the_records_check(sample, tmp_path,
                                                                       monkeypatch):  # fmt: skip
    """The clip was read with no check (a record without one: a KeyError
    traceback); the held-out figures are checked before any model loads."""

    def loaded(*args, **kwargs):
        raise AssertionError("the model was loaded before the figures were checked")

    monkeypatch.setattr(submission, "alexnet_predictor", loaded)
    settings = chapterstages.ChapterSettings(
        train=sample["train"], outputDir=str(tmp_path), test=sample["test"], submitWith="alexnet"
    )
    stage = chapterstages.SubmissionStage(settings, chapterstages.ChapterPaths(tmp_path))
    unclipped = {k: v for k, v in CROPS.items() if k != "submission_clip"}
    for record, words in (({**CROPS, "rank1": "high"}, "'rank1': 'high' is not a fraction"),
                          (unclipped, "records no 'submission_clip'")):  # fmt: skip
        (tmp_path / "crop_accuracy.json").write_text(json.dumps(record))
        with pytest.raises(ValueError, match=f"crop_accuracy.json: .*{re.escape(words)}"):
            stage.run(print, None, False)


def test_a_model_files_input_size_is_bounded_as_the_size_flags_are():
    """A .keras backbone declaring a 50,000-pixel input once asked OpenCV for
    7.5 GB a photo (a traceback); a deployable model's resize likewise."""
    import keras

    from pyimagesearch.nn.backbones import model_input_size
    from pyimagesearch.pipeline.deploy import NETWORK, RESIZE, check_deployable
    from pyimagesearch.preprocessing.photoresize import PhotoResize

    for shape, problem in (((4096, 4096, 3), "its input side: 4096 is not from 1 to 2048"),
                           ((None, None, 3), "its input side: None is not an integer"),
                           ((64, 32, 3), "not square photos")):  # fmt: skip
        inputs = keras.Input(shape)
        model = keras.Model(inputs, keras.layers.GlobalAveragePooling2D()(inputs))
        with pytest.raises(ValueError, match=f"m.keras.*{problem}"):
            model_input_size(model, "m.keras")
    assert model_input_size(keras.Model(inputs := keras.Input((64, 64, 3)), inputs), "m") == 64
    photos = keras.Input((None, None, 3), dtype="uint8")
    inner = keras.Input((5000, 5000, 3))
    network = keras.Model(inner, keras.layers.GlobalAveragePooling2D()(inner), name=NETWORK)
    deployable = keras.Model(photos, network(PhotoResize(5000, 5000, name=RESIZE)(photos)))
    with pytest.raises(ValueError, match="d.keras: its 'resize' layer's width: 5000 is not from"):
        check_deployable(deployable, "d.keras")


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
