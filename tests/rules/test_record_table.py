"""Every record the project reads back, in one table: its reader (the one
place it is checked), a valid example, and corruptions (a wrong type, a
bound, a broken invariant, a missing field), each refused by the reader
with a ValueError of one line naming the file. The table is complete: the
functions of the package that read JSON are found in its source, and each
must be a reader of the table (or say why it reads no record). The
records that are not JSON -- a features file's attributes, Kaggle's
sampleSubmission.csv -- join through their tables in helpers.py."""

import ast
import copy
import json
import pathlib
import zipfile

import pytest

from conftest import ROOT, write_build_record
from helpers import (
    CLASSIFIER_CORRUPTIONS,
    HDF5_CORRUPTIONS,
    TEMPLATES,
    classifier_record,
    features_file,
)
from pyimagesearch.callbacks.history import read_history
from pyimagesearch.io.splitrecord import read_build_record
from pyimagesearch.nn.modelfiles import LABEL_NAMES_MEMBER, load_label_names
from pyimagesearch.pipeline import records
from pyimagesearch.pipeline.classifier import read_classifier, read_feature_source
from pyimagesearch.pipeline.submission import TEMPLATE, submission_template
from pyimagesearch.preprocessing.datasetmean import read_mean

GONE = object()  # a corruption that removes the field


CLIP = {"clip": None, "log_loss": 0.35}


def changed(record, field: str | None, value):
    """`record` with `field` (dotted: "probabilities.0"; None: the whole
    record) set to `value`, or removed for GONE."""
    if field is None:
        return value
    record = copy.deepcopy(record)
    *parents, last = field.split(".")
    inner = record
    for key in parents:
        inner = inner[int(key) if isinstance(inner, list) else key]
    key = int(last) if isinstance(inner, list) else last
    if value is GONE:
        del inner[key]
    else:
        inner[key] = value
    return record


def json_file(name):
    """A writer of the JSON record at `name` in a folder."""

    def write(folder, record):
        path = folder / name
        path.write_text(json.dumps(record))
        return path

    return write


def keras_file(folder, names):
    """A .keras file holding only its class names (`load_label_names`)."""
    path = folder / "model.keras"
    with zipfile.ZipFile(path, "w") as archive:
        data = names if isinstance(names, bytes) else json.dumps(names)
        archive.writestr(LABEL_NAMES_MEMBER, data)
    return path


def build_record(folder, record):
    """build_record.json with the split files it is checked against."""
    path = pathlib.Path(write_build_record(folder / "hdf5", BUILD_SPLITS))
    path.write_text(json.dumps(record))
    return path


BUILD_SPLITS = {"train": ["cat.1.jpg", "dog.1.jpg"], "val": ["cat.2.jpg"],
                "test": ["dog.2.jpg", "cat.3.jpg"]}  # fmt: skip


ROWS = [[0.9, 0.1], [0.2, 0.8], [0.6, 0.4]]


# kind -> (reader, writer(folder, record) -> path, a valid record,
#          {corruption: (field, value, words of the refusal)})
TABLE = {
    "crop_accuracy.json": (records.read_crop_figures, json_file("crop_accuracy.json"), {
        "images": 16, "rank1": 0.8125, "rank1_10_crops": 0.875, "log_loss": 0.41,
        "log_loss_10_crops": 0.36, "confusion": [[7, 1], [2, 6]],
        "confusion_10_crops": [[7, 1], [1, 7]], "submission_clip": CLIP, "crop_path": "cpu",
    }, {
        "not an object": (None, [0.8125], "holds [0.8125], not an object"),
        "rank1 missing": ("rank1", GONE, "it has no 'rank1'"),
        "rank1 text": ("rank1", "0.8125", "'rank1': '0.8125' is not a fraction from 0 to 1"),
        "rank1 above 1": ("rank1", 1.5, "'rank1': 1.5 is not a fraction"),
        "rank1 not its matrix": ("rank1", 0.5, "'rank1' 0.5 is not the accuracy 'confusion' "
                                 "counts (13/16)"),
        "images negative": ("images", -1, "'images': -1 is not a count"),
        "images true": ("images", True, "'images': True is not a count"),
        "images not the matrix's": ("images", 17, "'confusion' counts 16 photos, not its 17"),
        "log loss negative": ("log_loss", -0.1, "'log_loss': -0.1 is not a log loss"),
        "matrix not square": ("confusion", [[7, 1]], "'confusion': [[7, 1]] is not a square"),
        "matrix of text": ("confusion", [[7, 1], [2, "6"]], "is not a square table of counts"),
        "matrices of other photos": ("confusion_10_crops", [[8, 1], [1, 6]],
                                     "the two confusion matrices count different photos"),
        "clip above a half": ("submission_clip.clip", 0.7, "clip 0.7 is not null nor a number"),
        "clip record": ("submission_clip", [0.1], "is not an object with a clip"),
        "crop_path a number": ("crop_path", 3, "'crop_path': 3 is not text"),
    }),
    "crop_predictions.json": (records.read_crop_predictions, json_file("crop_predictions.json"), {
        "labels": [0, 1, 1], "probabilities": ROWS, "probabilities_10_crops": ROWS,
        "image_names": ["cat.1.jpg", "dog.2.jpg", "dog.3.jpg"],
    }, {
        "labels missing": ("labels", GONE, "it has no 'labels'"),
        "labels of text": ("labels", ["0", 1, 1], "'labels': ['0', 1, 1] is not a list of class"),
        "fewer labels": ("labels", [0, 1], "'probabilities' has 3 rows, 'labels' 2"),
        "a label no class": ("labels", [0, 1, 2], "a label is 2: 'probabilities' has 2 classes"),
        "row not summing to 1": ("probabilities.0", [0.9, 0.2], "row 0 sums to 1.1, not 1"),
        "negative probability": ("probabilities_10_crops.1", [1.2, -0.2], "not a probability"),
        "one class": ("probabilities", [[1.0]] * 3, "has shape (3, 1), not (rows, classes)"),
        "ragged rows": ("probabilities", [[0.5, 0.5], [1.0], [0.5, 0.5]], "not rows of numbers"),
        "a name twice": ("image_names", ["a.jpg", "a.jpg", "b.jpg"], "names a photo more than"),
        "fewer names": ("image_names", ["a.jpg", "b.jpg"], "'image_names' has 2 rows"),
    }),
    "train_model.json": (records.read_classifier_record, json_file("train_model.json"), {
        "score": 0.75, "log_loss": 0.5, "best_params": {"C": 0.3}, "scoring": "neg_log_loss",
        "features": {"backbone": "MobileNetV2"}, "train_rows": 12, "test_rows": 4,
        "held_out": "the build's test split", "submission_clip": CLIP,
        "classification_report": {},
    }, {
        "score missing": ("score", GONE, "it has no 'score'"),
        "score text": ("score", "0.75", "'score': '0.75' is not a fraction"),
        "score no whole row": ("score", 0.7, "'score' 0.7 is no whole number of its 4 test rows"),
        "test rows a float": ("test_rows", 4.0, "'test_rows': 4.0 is not a count"),
        "train rows negative": ("train_rows", -12, "'train_rows': -12 is not a count"),
        "held out a number": ("held_out", 3, "'held_out': 3 is not text"),
        "clip without a clip": ("submission_clip", {"log_loss": 0.5}, "not an object with a clip"),
        "clip's log loss": ("submission_clip.log_loss", "x", "log_loss 'x' is not a log loss"),
        "params a list": ("best_params", [0.3], "'best_params': [0.3] is not an object"),
    }),
    "classifier_predictions.json": (
        records.read_classifier_predictions, json_file("classifier_predictions.json"), {
            "rows": [4, 7, 9], "image_names": ["cat.1.jpg", "dog.2.jpg", "dog.3.jpg"],
            "labels": [0, 1, 1], "probabilities": ROWS,
        }, {
            "probabilities missing": ("probabilities", GONE, "it has no 'probabilities'"),
            "a row twice": ("rows", [4, 4, 9], "lists a row more than once"),
            "a row of text": ("rows", ["4", 7, 9], "is not a list of row numbers"),
            "fewer rows": ("rows", [4, 7], "'rows' has 2 rows, 'labels' 3"),
            "a label no class": ("labels", [0, 5, 1], "a label is 5: 'probabilities' has 2"),
            "row not summing to 1": ("probabilities.2", [0.5, 0.4], "row 2 sums to 0.9, not 1"),
            "a name twice": ("image_names", ["a.jpg", "b.jpg", "a.jpg"], "names a photo more"),
        }),
    "finetune.json": (records.read_finetune_record, json_file("finetune.json"), {
        "submit_with": "finetuned", "score": 0.75, "log_loss": 0.4, "val_log_loss": 0.3,
        "classifier_val_log_loss": 0.35, "submission_clip": CLIP, "test_rows": 4,
        "held_out": "the build's test split", "cut_layer": "block_15_add",
        "label_names": ["cat", "dog"], "val_log_loss_uncalibrated": 0.33, "best_epoch": 2,
        "history": [0.36, 0.34, 0.33], "train_history": [0.5, 0.4], "temperature": 1.2,
        "mode": "end-to-end",
    }, {
        "trained some other way": ("mode", "gpu", "'mode': 'gpu' is not one of cached, "
                                   "end-to-end"),
        "submitter missing": ("submit_with", GONE, "it has no 'submit_with'"),
        "submitter unknown": ("submit_with", "alexnet", "'submit_with' is not one of finetuned"),
        "submitter not the one chosen": ("classifier_val_log_loss", 0.32,
                                         "'submit_with' is 'finetuned', but its validation "
                                         "figures choose 'classifier'"),
        "epoch 0 kept, yet it submits": ("best_epoch", 0, "figures choose 'classifier'"),
        "kept epoch beyond the history": ("history", [0.36, 0.33], "'best_epoch' 2 is not an "
                                          "epoch of its 2 in 'history'"),
        "history empty": ("history", [], "'history': [] is not a list of log losses"),
        "training losses of other epochs": ("train_history", [0.5], "'train_history' holds 1 "
                                            "epoch(s), not the 2 its 'history' trained"),
        "training loss negative": ("train_history.1", -0.4, "is not a list of log losses"),
        "history of text": ("history.1", "x", "is not a list of log losses"),
        "temperature 0": ("temperature", 0, "'temperature': 0 is not a positive number"),
        "score no whole number": ("score", 0.7, "'score' 0.7 is no whole number of its 4 test"),
        "skipped, yet it submits": (None, {"submit_with": "finetuned", "skipped": "off"},
                                    "it was skipped, yet says the fine-tuned model submits"),
        "submitter a number": ("submit_with", 1, "'submit_with': 1 is not text"),
        "no cut layer": ("cut_layer", GONE, "it has no 'cut_layer'"),
        "no clip": ("submission_clip", GONE, "it has no 'submission_clip'"),
        "clip above a half": ("submission_clip.clip", 0.7, "clip 0.7 is not null nor a number"),
        "loss negative": ("val_log_loss", -0.3, "'val_log_loss': -0.3 is not a log loss"),
        "one class": ("label_names", ["cat"], "is not two or more classes, each named once"),
        "classes twice": ("label_names", ["cat", "cat"], "is not two or more classes"),
        "classes a word": ("label_names", "ab", "'ab' is not a list of class names"),
    }),
    "validation.json (end-to-end fine-tuning's state)": (
        records.read_end_to_end_state, json_file("validation.json"), {
            "history": [0.36, 0.34, 0.35], "train_history": [0.5, 0.4], "best_epoch": 1,
        }, {
            "history missing": ("history", GONE, "it has no 'history'"),
            "history empty": ("history", [], "'history': [] is not a list of log losses"),
            "history of text": ("history.1", "x", "is not a list of log losses"),
            "training loss negative": ("train_history.1", -0.4, "is not a list of log losses"),
            "training losses of other epochs": ("train_history", [0.5], "'train_history' holds "
                                                "1 epoch(s), not the 2 its 'history' trained"),
            "best not the lowest": ("best_epoch", 2, "'best_epoch' 2 is not the epoch of its "
                                    "lowest"),
            "best negative": ("best_epoch", -1, "'best_epoch': -1"),
            "a list": (None, [0.3], "not an object"),
        }),
    "finetune_predictions.json": (
        records.read_finetune_predictions, json_file("finetune_predictions.json"), {
            "test": {"image_names": ["cat.1.jpg", "dog.2.jpg", "dog.3.jpg"], "labels": [0, 1, 1],
                     "probabilities": ROWS},
            "validation": {"image_names": ["cat.4.jpg"], "labels": [0],
                           "probabilities": [[0.7, 0.3]],
                           "classifier_probabilities": [[0.6, 0.4]]},
        }, {
            "no test part": ("test", GONE, "it has no 'test'"),
            "test not an object": ("test", [1], "'test': [1] is not an object"),
            "test without names": ("test.image_names", GONE, "(test): it has no 'image_names'"),
            "a test name twice": ("test.image_names.2", "cat.1.jpg", "names a photo more"),
            "fewer test labels": ("test.labels", [0, 1], "(test): 'probabilities' has 3 rows"),
            "a test row not summing to 1": ("test.probabilities.1", [0.5, 0.4], "row 1 sums"),
            "no classifier's rows": ("validation.classifier_probabilities", GONE,
                                     "(validation): it has no 'classifier_probabilities'"),
            "a label no class": ("validation.labels", [2], "a label is 2: 'probabilities' has 2"),
        }),
    "stages.json": (records.read_stage_record, json_file("stages.json"), {
        "build": {"signature": {}, "finished": "2026-12-07T10:00:00", "outputs": {},
                  "seconds": 1.5, "images": 60, "details": {},
                  "settings": {"size": 256, "seed": 42, "flip": False, "layer": None},
                  "command": ["dogs-vs-cats-chapter", "--train", "train.zip"],
                  "given": {"train": "/photos/train.zip", "test": None, "outputDir": "/out",
                            "workers": 4}},
    }, {
        "not an object": (None, [1, 2], "is not a chapter's stage record (not an object)"),
        "no stage": ("nothing", {"signature": {}}, "('nothing' is not a stage)"),
        "no signature": ("build.signature", GONE, "'build' is not an object with a signature"),
        "unknown field": ("build.extra", 1, "'build' has 'extra': is not a field"),
        "seconds text": ("build.seconds", "soon", "'build' has 'seconds': 'soon' is not seconds"),
        "seconds negative": ("build.seconds", -1, "'build' has 'seconds': -1 is not seconds"),
        "a rate of text": ("train", {"signature": {}, "details": {"step_images": 32,
                           "learning_rate": "abc"}}, "'train' has details.learning_rate = 'abc'"),
        "images without a rate": ("train", {"signature": {}, "details": {"step_images": 32}},
                                  "details.step_images without details.learning_rate"),
        "images true": ("build.images", True, "'build' has 'images': True is not a count"),
        "a setting a list": ("build.settings.size", [256], "'build' has 'settings'"),
        "command a string": ("build.command", "chapter.py", "'build' has 'command'"),
        "given a setting of one stage": ("build.given.size", 256,
                                         "'build' has 'given': 'size' is not given to every"),
        "given no workers": ("build.given.workers", 0,
                             "'build' has 'given': 'workers' 0 is not from 1 to"),
        "given a path a number": ("build.given.train", 1,
                                  "'build' has 'given': 'train' 1 is not text"),
        "an unknown predictor": ("submission", {"signature": {}, "details": {
            "predicted_by": "a guess"}}, "'submission' has details.predicted_by = 'a guess'"),
    }),
    "alexnet.json (the training history)": (read_history, json_file("alexnet.json"), {
        "loss": [0.7, 0.5], "val_loss": [0.69, None], "accuracy": [0.5, 0.75],
    }, {
        "not an object": (None, [0.7], "it is not an object"),
        "not a list": ("loss", 0.7, "'loss' is not a list"),
        "a value of text": ("loss.1", "0.5", "'loss' of epoch 2 is '0.5', not a number"),
        "a value true": ("accuracy.0", True, "'accuracy' of epoch 1 is 'True', not a number"),
    }),
    "mean.json": (read_mean, json_file("mean.json"), {"R": 124.96, "G": 115.97, "B": 106.13}, {
        "a mean above 255": ("R", 256, "pixel means from 0 to 255"),
        "a mean of text": ("G", "115", "pixel means from 0 to 255"),
        "a mean missing": ("B", GONE, "under the keys R, G and B"),
    }),
    "build_record.json": (read_build_record, build_record, {
        "images": "photos", "photos_found": 5, "used": {s: len(n) for s, n in
                                                       BUILD_SPLITS.items()},
        "label_names": ["cat", "dog"], "skipped_count": 0, "skipped": [],
        "image_names": BUILD_SPLITS,
    }, {
        "a count of text": ("photos_found", "5", "photos_found is not what a build records"),
        "a test photo also trained on": ("image_names.test.0", "cat.1.jpg", "cat.1.jpg"),
        "one class": ("label_names", ["cat"], "label_names is not what a build records"),
        "other photos than its files": ("image_names.test", ["dog.9.jpg", "cat.3.jpg"],
                                        "does not list the photos"),
    }),
    "logistic_regression.json (the classifier)": (
        read_classifier, json_file("lr.json"), classifier_record(), {
            "no format": ("format", GONE, "is not a JSON model file written by train_model.py"),
            "classes twice": ("classes", [0, 0], "'classes' must list two or more distinct"),
            "coef text": ("coef", "x", "'coef' must be numbers in a rectangular array"),
            "coef of 2 classes": ("coef", [[1.0], [2.0]], "do not fit 2 classes"),
            "names of text": ("label_names", "cat", "'label_names' must be a list of strings"),
            **{case: (f"features.{field}", value, words)
               for case, (change, words) in CLASSIFIER_CORRUPTIONS.items()
               for field, value in change.items()},
        }),
    "a .keras file's class names": (load_label_names, keras_file, ["cat", "dog"], {
        "not a list": (None, {"0": "cat"}, f"holds malformed class names in {LABEL_NAMES_MEMBER}"),
        "a name a number": (None, ["cat", 1], "holds malformed class names"),
        "not JSON": (None, b"[cat, dog", "holds malformed class names"),
    }),
}  # fmt: skip


CASES = [(kind, case) for kind, (_, _, _, corruptions) in TABLE.items() for case in corruptions]


@pytest.mark.parametrize("kind", TABLE)
def test_a_valid_record_is_read(tmp_path, kind):
    (read, write, valid, _) = TABLE[kind]
    read(write(tmp_path, valid))


@pytest.mark.parametrize(("kind", "case"), CASES)
def test_a_corrupt_record_is_refused_in_one_line_naming_it(tmp_path, kind, case):
    (read, write, valid, corruptions) = TABLE[kind]
    (field, value, words) = corruptions[case]
    path = write(tmp_path, changed(valid, field, value))
    with pytest.raises(ValueError) as refused:
        read(path)
    message = str(refused.value)
    assert "\n" not in message and str(path) in message and words in message, message


@pytest.mark.parametrize("case", HDF5_CORRUPTIONS)
def test_a_features_files_attributes_are_refused_by_their_reader(tmp_path, case):
    (change, words) = HDF5_CORRUPTIONS[case]
    path = features_file(tmp_path / "features.hdf5", **change)
    with pytest.raises(ValueError) as refused:
        read_feature_source(path)
    message = str(refused.value)
    assert "\n" not in message and f"{path}: attribute {words}" in message, message


# refused by submission_rows, which matches the ids with the test photos
MATCHED_WITH_PHOTOS = {"header only", "no id of a photo"}


@pytest.mark.parametrize("case", sorted(set(TEMPLATES) - MATCHED_WITH_PHOTOS))
def test_a_template_is_refused_by_its_reader(tmp_path, case):
    (template, words) = TEMPLATES[case]
    bundle = tmp_path / "dogs-vs-cats.zip"
    with zipfile.ZipFile(bundle, "w") as archive:
        archive.writestr(TEMPLATE, template)
    with pytest.raises(ValueError) as refused:
        submission_template(str(bundle))
    message = str(refused.value)
    assert "\n" not in message and str(bundle) in message and words in message, message


# Functions that read JSON but no record of this project, and why.
NOT_RECORDS = {
    "pyimagesearch.utils.files.read_json": "the one JSON reader every record reader calls",
    "pyimagesearch.nn.modelfiles.layer_classes": "Keras's own configuration, walked only to "
    "name its layer classes: any JSON is fine",
}


def json_readers() -> set[str]:
    """module.function of every function of the package and the scripts
    that calls read_json, json.load or json.loads."""
    found = set()
    root = pathlib.Path(ROOT)
    for file in [*root.glob("pyimagesearch/**/*.py"), *root.glob("dogs_vs_cats/*.py")]:
        module = ".".join(file.relative_to(root).with_suffix("").parts)
        tree = ast.parse(file.read_text())

        def visit(node, scope):
            for child in ast.iter_child_nodes(node):
                inner = scope
                if isinstance(child, (ast.FunctionDef, ast.ClassDef)):
                    inner = [*scope, child.name]
                elif isinstance(child, ast.Call):
                    name = getattr(child.func, "attr", getattr(child.func, "id", None))
                    if name in ("read_json", "load", "loads") and (
                        name == "read_json" or getattr(child.func.value, "id", "") == "json"
                    ):
                        found.add(".".join([module, *scope]))
                visit(child, inner)

        visit(tree, [])
    return found


def test_the_table_lists_every_reader_of_a_record():
    """A new record's reader must join the table (or NOT_RECORDS, saying why)."""
    readers = {f"{read.__module__}.{read.__qualname__}" for read, *_ in TABLE.values()}
    assert json_readers() == readers | set(NOT_RECORDS)
