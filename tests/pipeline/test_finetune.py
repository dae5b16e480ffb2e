"""The fine-tuning stage: held out by photo name, every figure equal to a
recomputation from the predictions it saved, the logistic regression kept
where validation favours it, and skipped (and recorded so) for backbones it
cannot cut."""

import json
import math
import os

import h5py
import numpy as np
import pytest

from helpers import run_fine_tune
from pyimagesearch.errors import ArgumentError
from pyimagesearch.pipeline import finetune
from pyimagesearch.pipeline.chapter import check_settings
from pyimagesearch.pipeline.chapterstages import ChapterSettings, fine_tune_skipped


def log_loss(labels, probabilities):
    picked = np.asarray(probabilities)[np.arange(len(labels)), labels]
    return -np.mean(np.log(np.clip(picked, np.finfo(float).eps, None)))


def test_held_out_by_name_and_every_figure_recomputed_from_the_saved_predictions(
    sample, fitted, monkeypatch
):
    (out, splits) = fitted
    (report, saved, _) = run_fine_tune(sample, out, splits)
    assert report == json.loads((out / "finetune.json").read_text())
    # one training loss for each epoch trained (epoch 0 trained nothing)
    assert len(report["train_history"]) == len(report["history"]) - 1 == 1
    assert np.isfinite(report["train_history"][0]) and report["train_history"][0] > 0
    # each split's cache holds its photos only: no test photo is fitted on
    for split, views in (("train", 4), ("val", 2), ("test", 2)):
        with h5py.File(out / "cache" / f"{split}.hdf5", "r") as db:
            assert list(db["image_names"].asstr()[()]) == splits[split]
            assert db["features"].shape[0] == len(splits[split]) * views
            assert db["features"].dtype == np.float16
            perPhoto = db["features"][0].nbytes * views
        if split == "train":
            assert report["cache_bytes_per_photo"] == perPhoto
    test = saved["test"]
    assert test["image_names"] == splits["test"] and report["test_rows"] == len(splits["test"])
    with h5py.File(out / "features.hdf5", "r") as db:
        labelOf = dict(zip(db["image_names"].asstr()[()], db["labels"][:].tolist()))
    assert test["labels"] == [labelOf[name] for name in splits["test"]]
    (labels, probabilities) = (np.array(test["labels"]), np.array(test["probabilities"]))
    assert report["score"] == np.mean(probabilities.argmax(axis=1) == labels)
    assert report["log_loss"] == pytest.approx(log_loss(labels, probabilities), rel=1e-9)
    val = saved["validation"]
    assert val["image_names"] == splits["val"]
    valLabels = np.array(val["labels"])
    assert report["val_log_loss"] == pytest.approx(log_loss(valLabels, val["probabilities"]))
    theirs = log_loss(valLabels, val["classifier_probabilities"])
    assert report["classifier_val_log_loss"] == pytest.approx(theirs, rel=1e-9)
    # chosen before the temperature fitted on these photos, where an epoch was kept
    uncalibrated = report["val_log_loss_uncalibrated"]
    better = report["best_epoch"] > 0 and uncalibrated < report["classifier_val_log_loss"]
    assert report["submit_with"] == ("finetuned" if better else "classifier")
    # the saved model gives the saved probabilities from the cached activations
    from pyimagesearch.nn.modelfiles import load_model

    model = load_model(out / "finetuned.keras")
    with h5py.File(out / "cache" / "test.hdf5", "r") as db:
        activations = db["features"][:].astype("float32")
    again = np.asarray(model.predict_on_batch(activations)).reshape(len(labels), 2, -1).mean(1)
    np.testing.assert_allclose(again, probabilities, atol=1e-5)


def test_the_submission_keeps_the_better_model_on_the_validation_photos(
    sample, fitted, monkeypatch
):
    """A logistic regression confidently wrong on every photo: the
    fine-tuned model predicts where an epoch of training was kept, and not
    where none was (its head would be the logistic regression's, and the
    temperature fitted on these photos would favour it); the cached
    activations are used again."""
    (out, splits) = fitted
    refit = finetune.refit_classifier
    train_top = finetune.train_top

    def wrong(*args):
        (classifier, names) = refit(*args)
        classifier.predict_proba = lambda features: np.tile([0.999, 0.001], (len(features), 1))
        return classifier, names

    if not (out / "cache" / "train.hdf5").exists():
        run_fine_tune(sample, out, splits)
    cached = os.stat(out / "cache" / "train.hdf5").st_mtime_ns
    monkeypatch.setattr(finetune, "refit_classifier", wrong)
    for kept, chosen in ((1, "finetuned"), (0, "classifier")):
        # the untrained network's activations teach nothing: say which epoch was kept
        kept_epoch = lambda *a, kept=kept: {**train_top(*a), "best_epoch": kept}  # noqa: E731
        monkeypatch.setattr(finetune, "train_top", kept_epoch)
        (report, _, lines) = run_fine_tune(sample, out, splits, resume=True)
        assert os.stat(out / "cache" / "train.hdf5").st_mtime_ns == cached
        assert report["submit_with"] == chosen
        assert not any("caching" in line for line in lines)
        if chosen == "finetuned":
            choice = finetune.read_choice(out / "finetune.json")
            assert choice == ("block_15_add", ["cat", "dog"])


@pytest.mark.parametrize("classes", [2, 3])
def test_the_head_starts_as_the_logistic_regression(classes):
    from sklearn.linear_model import LogisticRegression

    rng = np.random.default_rng(0)
    features = rng.normal(size=(60, 5))
    classifier = LogisticRegression().fit(features, np.arange(60) % classes)
    (kernel, bias) = finetune.head_weights(classifier, classes)
    logits = features @ kernel + bias
    softmax = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    np.testing.assert_allclose(softmax, classifier.predict_proba(features), atol=1e-5)


@pytest.mark.parametrize(
    "backbone, mode, skipped",
    [("alexnet", "auto", "is a model file"), ("model.keras", "auto", "is a model file"),
     ("xception", "auto", "no layer to cut xception"), ("mobilenet_v2", "off", "--fine-tune off"),
     ("mobilenet_v2", "auto", None), ("resnet50", "on", None)],
)  # fmt: skip
def test_what_fine_tuning_does_with_each_backbone(backbone, mode, skipped, tmp_path):
    settings = ChapterSettings(train=str(tmp_path), outputDir=str(tmp_path / "out"),
                               backbone=backbone, fineTune=mode)  # fmt: skip
    reason = fine_tune_skipped(settings)
    assert reason == skipped if skipped is None else skipped in reason


def test_fine_tune_on_refuses_a_backbone_it_cannot_cut(tmp_path):
    settings = ChapterSettings(train=str(tmp_path), outputDir=str(tmp_path / "out"),
                               backbone="alexnet", fineTune="on")  # fmt: skip
    with pytest.raises(
        ArgumentError, match="on, but the backbone alexnet is a model file"
    ) as raised:
        check_settings(settings)
    assert raised.value.argument == "fineTune"


FINETUNED = {"submit_with": "finetuned", "score": 0.75, "log_loss": 0.4, "val_log_loss": 0.3,
             "classifier_val_log_loss": 0.35, "submission_clip": {"clip": None}, "test_rows": 4,
             "cut_layer": "block_15_add", "label_names": ["cat", "dog"]}  # fmt: skip


@pytest.mark.parametrize(
    "record, problem",
    [([], "it holds \\[\\], not an object"),
     ({**FINETUNED, "submit_with": "alexnet"}, "'submit_with' is not one of finetuned"),
     ({**FINETUNED, "cut_layer": "conv1"}, "'cut_layer' is not one of"),
     ({**FINETUNED, "label_names": "ab"}, "'label_names': 'ab' is not a list of class names")],
)  # fmt: skip
def test_a_record_that_is_not_the_stage_is_refused(record, problem, tmp_path):
    path = tmp_path / "finetune.json"
    path.write_text(json.dumps(record))
    with pytest.raises(ValueError, match=f"finetune.json: {problem}.*--from finetune"):
        finetune.read_choice(path)
    path.write_text(json.dumps(FINETUNED))
    assert finetune.read_choice(path) == ("block_15_add", ["cat", "dog"])
    # a record whose classes were swapped inverted every row of the submission
    assert finetune.read_choice(path, ["cat", "dog"]) == ("block_15_add", ["cat", "dog"])
    with pytest.raises(ValueError, match=r"classes \['cat', 'dog'\] are not the build's"):
        finetune.read_choice(path, ["dog", "cat"])
    path.write_text(json.dumps({"submit_with": "classifier", "skipped": "--fine-tune off"}))
    assert finetune.read_choice(path) is None


@pytest.mark.parametrize("name, value", [("epochs", 0), ("patience", 1.5), ("batchSize", True),
                                         ("trainViews", -2), ("learningRate", 0),
                                         ("weightDecay", -1e-4), ("dropout", 1.0),
                                         ("labelSmoothing", "0.1"), ("learningRate", math.inf),
                                         ("weightDecay", math.inf)])  # fmt: skip
def test_fine_tuning_options_are_checked_when_made(name, value):
    """epochs=0 trained nothing and wrote a record its own reader refused
    (an empty training history); each option is checked up front, saying
    what it received and what it allows."""
    with pytest.raises(ValueError, match=f"FineTuneOptions {name}={value!r}: it must be"):
        finetune.FineTuneOptions(**{name: value})
    assert finetune.FineTuneOptions().epochs >= 1


def test_the_temperature_only_softens():
    """Validation photos all classified right would sharpen the
    probabilities without limit (the temperature once ran to its bound,
    1/8, and the test photos paid for it): the temperature stays 1 there,
    and softens a model confidently wrong on some."""
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 2, 40)
    logits = np.zeros((40, 2, 2))
    logits[np.arange(40), :, labels] = 3.0  # every photo right, both views
    assert finetune.fit_temperature(logits, labels) == 1.0
    logits[:4, :, :] = logits[:4, :, ::-1] * 3  # four confidently wrong
    temperature = finetune.fit_temperature(logits, labels)
    assert 1.0 < temperature <= 8.0
    loss = lambda t: log_loss(labels, finetune.view_probabilities(logits, t))  # noqa: E731
    assert loss(temperature) < loss(1.0) and loss(temperature) <= loss(temperature * 1.1)
