"""The report renderer, directly: given a stage record and the files its
stages wrote, the page shows those figures, and nothing of a stage that
has not finished since it last started."""

import base64
import html
import json
import os
import re

import pytest

from conftest import CROPS
from pyimagesearch.pipeline.chapter import render_report
from pyimagesearch.pipeline.chapterstages import (
    STAGE_CLASSES,
    STAGES,
    ChapterPaths,
    ChapterSettings,
    fingerprint,
)


def finished(seconds, images, **details):
    return {"signature": {}, "finished": "2026-12-07T10:00:00", "outputs": {},
            "seconds": seconds, "images": images, "details": details}  # fmt: skip


def with_outputs(paths, stages):
    """`stages` as if each finished stage had just written its files: an
    entry that lists no outputs lists its stage's, and each output listed
    has its file's fingerprint now, as the chapter records them (the report
    shows no other file, and no file changed since)."""
    settings = ChapterSettings(train="train.zip", outputDir=paths.outputDir)
    for cls in STAGE_CLASSES:
        entry = stages.get(cls.name)
        if entry is not None and entry.get("finished"):
            listed = entry.get("outputs") or cls(settings, paths).outputs()
            entry["outputs"] = {path: fingerprint(path) for path in listed}
    return stages


def test_the_page_shows_the_finished_stages_figures_and_nothing_stale(tmp_path):
    paths = ChapterPaths(tmp_path)
    settings = ChapterSettings(train=str(tmp_path / "train.zip"), outputDir=str(tmp_path))
    with open(paths.cropAccuracy, "w") as f:
        json.dump(CROPS, f)
    # the classifier's figures are there, but its stage started again and failed
    with open(paths.classifierRecord, "w") as f:
        json.dump({"score": 0.5, "log_loss": 0.9999, "test_rows": 16}, f)
    stages = with_outputs(paths, {
        "train": finished(12.5, 400, devices="the CPU, one device",
                          cache="memory -- it fits", step_images=32, learning_rate=0.001),
        "crop_accuracy": finished(2.0, 16),
        "classifier": {"signature": {}, "finished": None, "failed": "the disk is full"},
    })  # fmt: skip
    page = render_report(paths, settings, stages)
    figures = json.loads(
        re.search(r'<script type="application/json" id="figures">(.*?)</script>', page).group(1)
    )
    assert figures["rank1"] == 0.8125 and figures["rank1_10_crops"] == 0.875
    assert figures["log_loss"] == 0.41234 and figures["confusion"] == [[7, 1], [2, 6]]
    assert "81.25%" in page and "87.50%" in page and "0.4123" in page and "0.3568" in page
    # nothing of the classifier's older run
    assert figures["classifier"] is None and figures["classifier_log_loss"] is None
    assert "0.9999" not in page and "50.00%" not in page
    # the stages table: each stage's status, seconds, images and rate
    table = page[page.index("<h2>Stages</h2>") :].split("</table>")[0]
    for name in STAGES:
        assert f">{name}<" in table
    assert "failed: the disk is full" in table
    assert table.count("not run") == len(STAGES) - len(stages)
    assert "12.5" in table and "400" in table and "32.0" in table  # 400 images / 12.5 s
    assert "AlexNet trained with the CPU, one device; cache: memory -- it fits; " in page
    assert "32 images a step at learning rate 0.001" in page


def test_a_page_of_a_run_that_has_not_started_says_so(tmp_path):
    paths = ChapterPaths(tmp_path)
    settings = ChapterSettings(train=str(tmp_path / "train.zip"), outputDir=str(tmp_path))
    page = render_report(paths, settings, {})
    table = page[page.index("<h2>Stages</h2>") :].split("</table>")[0]
    assert table.count("not run") == len(STAGES)
    assert "AlexNet&#x27;s training has not run" in page
    assert "cannot be shown" not in page


def test_a_record_of_an_earlier_version_still_says_how_alexnet_trained(tmp_path):
    # its training details name the devices and the cache only
    paths = ChapterPaths(tmp_path)
    settings = ChapterSettings(train=str(tmp_path / "train.zip"), outputDir=str(tmp_path))
    stages = {"train": finished(1.0, 8, devices="the CPU, one device", cache="none -- asked")}
    page = render_report(paths, settings, stages)
    assert "AlexNet trained with the CPU, one device; cache: none -- asked." in page
    assert "cannot be shown" not in page


def test_photos_are_joined_by_name_never_under_another_photos_picture(tmp_path):
    """The crop predictions are rows of the test split: predictions of
    another build (other photos) are refused, not drawn under the wrong
    pictures; the classifier's held-out photos are found by the names it
    scored."""
    from helpers import a_built_run  # here: importing helpers loads Keras, see below

    (paths, settings) = a_built_run(tmp_path)
    rows = {"labels": [0, 1], "probabilities": [[0.9, 0.1], [0.2, 0.8]],
            "probabilities_10_crops": [[0.9, 0.1], [0.2, 0.8]]}  # fmt: skip
    with open(paths.classifierPredictions, "w") as f:
        json.dump({"rows": [7], "image_names": ["dog.5.jpg"], "labels": [1],
                   "probabilities": [[0.7, 0.3]]}, f)  # fmt: skip
    stages = with_outputs(
        paths, {name: finished(1.0, 2) for name in ("build", "crop_accuracy", "classifier")}
    )
    for names, shown in ((["cat.1.jpg", "dog.2.jpg"], True), (["cat.1.jpg", "dog.9.jpg"], False)):
        with open(paths.cropPredictions, "w") as f:
            json.dump({**rows, "image_names": names}, f)
        page = render_report(paths, settings, with_outputs(paths, stages))
        assert ("AlexNet (10 crops) on the test split" in page) == shown
        assert ("the photos cannot be shown: " in page) != shown
        assert ("crop_predictions.json names other photos than" in page) != shown
        if shown:
            # the classifier's one photo, read from the training photos by name
            assert "dog.5.jpg<br>is a dog; said cat 70.0%" in page
            assert "dog.5.jpg cannot be read" not in page


def scored_run(tmp_path):
    """(paths, settings, stages, names) of a run whose crop_accuracy stage scored the
    16 photos `names`, and whose classifier stage finished: the figures of
    both written, the classifier's by `score_classifier`."""
    paths = ChapterPaths(tmp_path)
    settings = ChapterSettings(train=str(tmp_path / "train.zip"), outputDir=str(tmp_path))
    with open(paths.cropAccuracy, "w") as f:
        json.dump(CROPS, f)
    names = [f"cat.{k}.jpg" for k in range(16)]
    rows = [[0.5, 0.5]] * 16
    with open(paths.cropPredictions, "w") as f:
        json.dump({"image_names": names, "labels": [0] * 16, "probabilities": rows,
                   "probabilities_10_crops": rows}, f)  # fmt: skip
    stages = with_outputs(
        paths, {name: finished(1.0, 2) for name in ("crop_accuracy", "classifier")}
    )
    return paths, settings, stages, names


def score_classifier(paths, scored, heldOut="the build's test split"):
    """The classifier's figures and predictions, on the photos `scored`."""
    with open(paths.classifierRecord, "w") as f:
        json.dump({"score": 0.5, "log_loss": 0.7, "test_rows": len(scored),
                   "held_out": heldOut}, f)  # fmt: skip
    with open(paths.classifierPredictions, "w") as f:
        json.dump({"image_names": scored, "labels": [0] * len(scored),
                   "probabilities": [[0.5, 0.5]] * len(scored)}, f)  # fmt: skip


def test_the_same_photos_is_said_only_when_the_figures_scored_the_same_photos(tmp_path):
    """The page said "every figure is measured on the same photos" when the
    classifier had scored other photos than AlexNet (40 of them against 74)."""
    (paths, settings, stages, names) = scored_run(tmp_path)
    for scored, same in ((names[::-1], True), (names[:10], False), (names[:15] + ["x"], False)):
        score_classifier(paths, scored)
        page = render_report(paths, settings, with_outputs(paths, stages))
        said = "Every figure is measured on the same 16 photos of the build's test split"
        assert (said in page) == same
        if not same:
            assert (
                "AlexNet's figures are measured on 16 photos of the build's test split, "
                f"held out from its training; the logistic regression's on {len(scored)} "
                "photos (the build&#x27;s test split); not the same photos." in page
            )


def a_run(tmp_path, valAccuracy=(0.5, 0.75)):
    """The paths, settings and stage record of a run whose build, training
    and features finished (resnet50's features: their size is a rule of
    the backbone's), with the training history to draw."""
    paths = ChapterPaths(tmp_path)
    settings = ChapterSettings(train=str(tmp_path / "train.zip"), outputDir=str(tmp_path))
    os.makedirs(paths.alexnet)
    with open(paths.history, "w") as f:
        json.dump({"loss": [0.7, 0.5], "val_loss": [0.69, None], "accuracy": [0.5, 0.75],
                   "val_accuracy": list(valAccuracy)}, f)  # fmt: skip
    stages = with_outputs(paths, {
        "train": finished(1.0, 8, devices="the CPU, one device"),
        "features": {**finished(1.0, 8), "settings": {"backbone": "resnet50", "featureSize": 288},
                     "command": ["dogs-vs-cats-chapter", "--train", "my photos.zip"]},
    })  # fmt: skip
    return paths, settings, stages


def test_rendering_needs_no_backend_and_leaves_matplotlib_alone(tmp_path):
    """The page once asked the features stage its settings (importing Keras
    and TensorFlow for a backbone's size) and switched matplotlib to Agg
    for the whole process: it is drawn from the record and files alone."""
    import subprocess
    import sys

    a_run(tmp_path)
    script = f"""
import json, sys
import matplotlib
from pyimagesearch.pipeline.chapterstages import ChapterPaths, ChapterSettings
from pyimagesearch.pipeline.chapter import render_report
sys.path[:0] = [{os.path.dirname(__file__)!r}, {os.path.dirname(os.path.dirname(__file__))!r}]
from test_report import a_run
page = render_report(*a_run(__import__("pathlib").Path({str(tmp_path / "again")!r})))
loaded = sorted(m for m in sys.modules if m.split(".")[0] in ("keras", "tensorflow", "jax"))
print(json.dumps({{"backend": matplotlib.get_backend(), "loaded": loaded[:2],
                  "curves": "training curves" in page, "failed": "cannot be shown" in page}}))
"""
    env = {**os.environ, "MPLBACKEND": "svg"}
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env)
    assert done.returncode == 0, done.stderr
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    assert seen == {"backend": "svg", "loaded": [], "curves": True, "failed": False}


def test_the_page_shows_the_recorded_command_and_settings_not_this_process(tmp_path):
    page = render_report(*a_run(tmp_path))
    assert "<code>dogs-vs-cats-chapter --train &#x27;my photos.zip&#x27;</code>" in page
    # the one command shown is the recorded one, not this process's
    assert re.findall(r"<code>(.*?)</code>", page) == [
        "dogs-vs-cats-chapter --train &#x27;my photos.zip&#x27;"
    ]
    used = page[page.index("settings it used") :]
    assert ">features</td><td>backbone resnet50<br>featureSize 288</td>" in used
    # a stage without recorded settings: an earlier version's, or not run
    assert ">train</td><td>not recorded (an earlier version)</td>" in used
    assert ">crop_accuracy</td><td>not run</td>" in used


def test_the_settings_every_stage_is_given_are_the_recorded_ones(tmp_path):
    """A rerun with another --workers runs nothing again, yet the page
    showed the new value as the one the stages ran with: it shows what
    each stage's record says it was given, and says where they differ."""
    (paths, settings, stages) = a_run(tmp_path)
    settings = ChapterSettings(train=settings.train, outputDir=settings.outputDir, workers=7)
    given = {"train": "/photos/train.zip", "test": None, "outputDir": str(tmp_path)}
    stages["train"]["given"] = {**given, "workers": 4}
    stages["features"]["given"] = {**given, "workers": 2}
    recorded = f"train /photos/train.zip<br>test None<br>outputDir {html.escape(str(tmp_path))}"
    assert every_stage(render_report(paths, settings, stages)) == (
        recorded + "<br>workers, which the stages ran with different values: 4 (train), "
        "2 (features)"
    )
    stages["features"]["given"]["workers"] = 4
    assert every_stage(render_report(paths, settings, stages)) == recorded + "<br>workers 4"


def every_stage(page):
    """The cell of the settings every stage is given."""
    return re.search(r">every stage</td><td>(.*?)</td>", page).group(1)


def test_the_page_is_read_from_the_record_without_any_stage(tmp_path, monkeypatch):
    """The page made every stage (with no settings) to ask which files it
    writes: one whose outputs read a setting would have broken it. The
    files shown are those the record lists."""
    from pyimagesearch.pipeline import chapterstages

    (paths, settings, stages, _) = scored_run(tmp_path)

    def made(*args):
        raise AssertionError("the report made a stage")

    monkeypatch.setattr(chapterstages.Stage, "__init__", made)
    page = render_report(paths, settings, stages)
    assert "81.25%" in results(page) and "cannot be shown" not in page
    # a file the finished stage's record does not list is not shown as its
    del stages["crop_accuracy"]["outputs"][paths.cropAccuracy]
    assert "81.25%" not in results(render_report(paths, settings, stages))


def test_a_bug_in_the_renderer_is_a_traceback_not_a_line_on_the_page(tmp_path, monkeypatch):
    """Only the files' errors (OSError, ValueError) are the page's to show;
    a TypeError once read "the training cannot be shown"."""
    from pyimagesearch.pipeline import report

    def broken(history):
        raise TypeError("a bug")

    monkeypatch.setattr(report, "training_section", broken)
    with pytest.raises(TypeError, match="a bug"):
        render_report(*a_run(tmp_path))


def test_a_diverged_epoch_is_shown_as_such(tmp_path):
    """An epoch's figure that was not finite is null in the history: the
    training section once could not be shown for it."""
    page = render_report(*a_run(tmp_path, valAccuracy=(0.5, None)))
    assert "2 epochs. Best validation accuracy 50.00% at epoch 1; last &ndash;." in page
    assert "cannot be shown" not in page


def test_figures_on_a_model_from_elsewhere_are_not_said_held_out_from_every_stage(tmp_path):
    (paths, settings, stages, names) = scored_run(tmp_path)
    foreign = "the build's test split; the features' model x.keras is a file this run did not"
    score_classifier(paths, names, foreign)
    page = render_report(paths, settings, with_outputs(paths, stages))
    assert "held out from every stage that trained" not in page
    assert "x.keras is a file this run did not" in page and "the same photos." in page


def test_names_show_what_they_are():
    from pyimagesearch.pipeline.report import escape
    from pyimagesearch.utils.files import printable

    assert printable("cat.1\u202egpj.exe") == "cat.1\\u202egpj.exe"
    assert printable("caf\udce9.jpg") == "caf\\xe9.jpg" and printable("chat é.jpg") == "chat é.jpg"
    assert escape("<b>\u2066x\u2069</b>") == "&lt;b&gt;\\u2066x\\u2069&lt;/b&gt;"


def fine_tuned_run(tmp_path, classifierValLoss, history=(0.30, 0.25, 0.27), bestEpoch=1,
                   trainHistory=None, mode=None):  # fmt: skip
    """(paths, settings, stages, figures) of a run that fine-tuned on the
    16 photos the crop_accuracy stage scored (named in another order) and made the
    submission with the model the validation split chose (the logistic
    regression's validation log loss `classifierValLoss`); `figures`: the
    fine-tuned model's accuracy and log loss, recomputed here from the
    probabilities it saved. Without `trainHistory`, its record is one of an
    earlier version, which kept no training loss; without `mode`, one that
    did not say how it trained."""
    import numpy as np

    (paths, settings, stages, names) = scored_run(tmp_path)
    score_classifier(paths, names)
    labels = [0] * 7 + [1] * 9
    dog = np.linspace(0.05, 0.95, 16)  # P(dog): wrong on the eighth photo, a dog
    probabilities = np.stack([1 - dog, dog], axis=1)
    accuracy = np.mean(probabilities.argmax(axis=1) == labels)
    logLoss = -np.mean(np.log(probabilities[np.arange(16), labels]))
    with open(paths.finetunePredictions, "w") as f:
        json.dump({"test": {"image_names": names[::-1], "labels": labels,
                            "probabilities": probabilities.tolist()},
                   "validation": {"image_names": ["dog.99.jpg"], "labels": [1],
                                  "probabilities": [[0.2, 0.8]],
                                  "classifier_probabilities": [[0.3, 0.7]]}}, f)  # fmt: skip
    uncalibrated = history[bestEpoch]
    chosen = "finetuned" if bestEpoch > 0 and uncalibrated < classifierValLoss else "classifier"
    with open(paths.finetuneRecord, "w") as f:
        json.dump({"submit_with": chosen, "score": accuracy, "log_loss": logLoss,
                   "val_log_loss": uncalibrated - 0.01, "val_log_loss_uncalibrated": uncalibrated,
                   "classifier_val_log_loss": classifierValLoss, "temperature": 1.25,
                   "best_epoch": bestEpoch, "history": list(history),
                   "submission_clip": {"clip": None}, "test_rows": 16,
                   "held_out": "the build's test split", "cut_layer": "block_15_add",
                   "label_names": ["cat", "dog"],
                   **({"train_history": list(trainHistory)} if trainHistory else {}),
                   **({"mode": mode} if mode else {}),
                   }, f)  # fmt: skip
    with open(paths.deployModel, "wb") as f:
        f.write(b"k" * 2500)
    stages["finetune"] = finished(3.0, 40)
    stages["submission"] = submitted(paths, chosen)
    with_outputs(paths, stages)
    return paths, settings, stages, {"finetuned": accuracy, "finetuned_log_loss": logLoss}


@pytest.mark.parametrize(("mode", "words"), [
    ("cached", "<p>The network&#x27;s top was fine-tuned on the cached activations of the "
               "layer below. The validation split chose"),
    ("end-to-end", "<p>The network&#x27;s top was fine-tuned end to end, on the build&#x27;s "
                   "photos through the training feeds, devices and augmentation. The validation "
                   "split chose"),
])  # fmt: skip
def test_the_page_says_how_the_top_was_fine_tuned(tmp_path, mode, words):
    (paths, settings, stages, _) = fine_tuned_run(tmp_path, classifierValLoss=0.26, mode=mode)
    assert words in render_report(paths, settings, stages)


def test_the_fine_tunings_curves_draw_its_training_loss_where_recorded(tmp_path):
    """The training loss of each epoch, from 1, is drawn beside the
    validation log loss (a curve more than the record without it)."""
    import cv2
    import numpy as np

    def curve(page):
        found = re.search(r'<img alt="fine-tuning curves" src="data:image/png;base64,([^"]+)"',
                          page)  # fmt: skip
        image = cv2.imdecode(np.frombuffer(base64.b64decode(found.group(1)), np.uint8), 1)
        return int((np.abs(image.astype(int) - (14, 127, 255)).sum(axis=2) < 30).sum())

    (tmp_path / "old").mkdir()
    (tmp_path / "new").mkdir()
    (paths, settings, stages, _) = fine_tuned_run(tmp_path / "old", 0.26)
    without = render_report(paths, settings, stages)
    (paths, settings, stages, _) = fine_tuned_run(tmp_path / "new", 0.26,
                                                  trainHistory=(0.5, 0.4))  # fmt: skip
    page = render_report(paths, settings, stages)
    assert "the training loss is each epoch&#x27;s mean on the cached views, dropout on." in page
    assert "Its training loss is not recorded" not in page
    # matplotlib's second colour draws the second curve: the training loss
    assert curve(without) == 0 < curve(page)


def submitted(paths, predictor):
    """The record of a submission stage that made model.keras with `predictor`."""
    from pyimagesearch.pipeline.chapterstages import PREDICTED_BY, fingerprint

    return {**finished(1.0, 5, predicted_by=PREDICTED_BY[predictor]),
            "outputs": {paths.deployModel: fingerprint(paths.deployModel)}}  # fmt: skip


def results(page):
    return page[page.index("<h2>Results</h2>") : page.index("<h2>Data</h2>")]


def test_the_fine_tuned_model_has_its_row_its_curve_and_the_submission_names_it(tmp_path):
    (paths, settings, stages, figures) = fine_tuned_run(tmp_path, classifierValLoss=0.26)
    page = render_report(paths, settings, stages)
    shown = json.loads(
        re.search(r'<script type="application/json" id="figures">(.*?)</script>', page).group(1)
    )
    assert shown["finetuned"] == figures["finetuned"] == 15 / 16
    assert shown["finetuned_log_loss"] == pytest.approx(figures["finetuned_log_loss"], rel=1e-12)
    row = (
        '<tr><td class="name">CNN fine-tuned (its top, and the logistic regression as its '
        f"head)</td><td>93.75%</td><td>{figures['finetuned_log_loss']:.4f}</td>"
        "<td>&ndash;</td></tr>"
    )
    assert row in results(page)
    # the three models scored the same photos, by name, each held out by the build
    assert "Every figure is measured on the same 16 photos of the build's test split" in page
    assert (
        "<p>The validation split chose the fine-tuned model over the logistic regression "
        "(validation log loss: the logistic regression (refitted on the train split) 0.2600, "
        "the fine-tuned model 0.2500 (before its temperature)).</p>" in page
    )
    assert (
        '<p>submission.csv was predicted by the fine-tuned model; <a href="model.keras">'
        "model.keras</a> (2.5 KB) is that model, as the submission stage wrote it.</p>" in page
    )
    training = page[page.index("<h2>Training</h2>") : page.index("<h2>Confusion")]
    assert (
        "<h3>Fine-tuning</h3><p>Validation log loss per epoch (2 epochs of training; epoch 0 "
        "is the logistic regression&#x27;s head, before any); epoch 1 kept; then a temperature "
        "of 1.250, fitted on the same photos: 0.2400. Its training loss is not recorded.</p>"
        in training
    )
    curve = re.search(r'<img alt="fine-tuning curves" src="data:image/png;base64,([^"]+)"', page)
    assert curve and base64.b64decode(curve.group(1)).startswith(b"\x89PNG")
    # a model file replaced since the submission is not called the one that made it
    with open(paths.deployModel, "ab") as f:
        f.write(b"more")
    page = render_report(paths, settings, stages)
    assert "model.keras has changed since the submission stage wrote it." in page
    assert "href=" not in page


@pytest.mark.parametrize(
    "history, bestEpoch, why",
    [((0.30, 0.25, 0.27), 1, ""),
     ((0.24, 0.25), 0, "; no epoch of training lowered it: its head stayed the logistic "
                       "regression&#x27;s")],
)  # fmt: skip
def test_where_validation_keeps_the_logistic_regression_the_row_stays_and_says_why(
    tmp_path, history, bestEpoch, why
):
    (paths, settings, stages, figures) = fine_tuned_run(tmp_path, 0.20, history, bestEpoch)
    page = render_report(paths, settings, stages)
    assert f"<td>93.75%</td><td>{figures['finetuned_log_loss']:.4f}</td>" in results(page)
    ours = history[bestEpoch]
    assert (
        "<p>The logistic regression&#x27;s predictions are kept: the validation split says "
        "fine-tuning does not help (validation log loss: the logistic regression (refitted on "
        f"the train split) 0.2000, the fine-tuned model {ours:.4f} (before its "
        f"temperature){why}).</p>" in page
    )
    assert "submission.csv was predicted by the logistic regression; " in page
    assert f"epoch {bestEpoch} kept" in page and 'alt="fine-tuning curves"' in page


def test_fine_tuning_on_other_photos_is_not_said_to_share_them(tmp_path):
    (paths, settings, stages, _) = fine_tuned_run(tmp_path, 0.26)
    saved = json.loads(open(paths.finetunePredictions).read())
    saved["test"]["image_names"][0] = "dog.77.jpg"
    with open(paths.finetunePredictions, "w") as f:
        json.dump(saved, f)
    page = render_report(paths, settings, with_outputs(paths, stages))
    assert "Every figure is measured on the same" not in page
    assert (
        "the fine-tuned model's on 16 photos (the build&#x27;s test split); not the same "
        "photos." in page
    )
    # predictions of fewer photos than its record counts: another run's
    for part in ("image_names", "labels", "probabilities"):
        del saved["test"][part][0]
    with open(paths.finetunePredictions, "w") as f:
        json.dump(saved, f)
    page = render_report(paths, settings, with_outputs(paths, stages))
    assert (
        f"the figures cannot be shown: {paths.finetunePredictions} scores 15 test photos; "
        f"{paths.finetuneRecord} counts 16: fine-tune again" in page
    )


@pytest.mark.parametrize(
    "skipped, predictor, made",
    [("--fine-tune off", "alexnet", "AlexNet, each photo&#x27;s 10 crops averaged"),
     ("the backbone alexnet is a model file, not a keras.applications network with "
      "ImageNet&#x27;s weights", "classifier", "the logistic regression")],
)  # fmt: skip
def test_a_skipped_fine_tuning_is_one_line_not_a_row(tmp_path, skipped, predictor, made):
    (paths, settings, stages, names) = scored_run(tmp_path)
    with open(paths.finetuneRecord, "w") as f:
        json.dump({"submit_with": "classifier", "skipped": html.unescape(skipped)}, f)
    with open(paths.deployModel, "wb") as f:
        f.write(b"k" * 3_400_000)
    stages["finetune"] = finished(0.1, 0)
    stages["submission"] = submitted(paths, predictor)
    with_outputs(paths, stages)
    page = render_report(paths, settings, stages)
    assert f"<p>Fine-tuning: skipped ({skipped}).</p>" in results(page)
    assert "CNN fine-tuned" not in page and "fine-tuning curves" not in page
    assert "<h3>Fine-tuning</h3>" not in page and "cannot be shown" not in page
    assert (
        f'<p>submission.csv was predicted by {made}; <a href="model.keras">model.keras</a> '
        "(3.4 MB) is that model, as the submission stage wrote it.</p>" in page
    )


def test_before_fine_tuning_and_the_submission_ran_the_page_says_so(tmp_path):
    page = render_report(*a_run(tmp_path))
    assert '<p class="missing">Fine-tuning: not run yet.</p>' in results(page)
    assert '<p class="missing">The submission: not run yet.</p>' in results(page)


def test_a_file_changed_since_its_stage_wrote_it_is_not_shown_as_this_runs(tmp_path):
    """Figures copied in from another run after the stage finished are
    refused, naming the stage to run again, not shown as this run's."""
    paths = ChapterPaths(tmp_path)
    settings = ChapterSettings(train=str(tmp_path / "train.zip"), outputDir=str(tmp_path))
    with open(paths.cropAccuracy, "w") as f:
        json.dump(CROPS, f)
    stages = with_outputs(paths, {"crop_accuracy": finished(1.0, 16)})
    assert f"{CROPS['rank1']:.2%}" in render_report(paths, settings, stages)
    with open(paths.cropAccuracy, "w") as f:
        json.dump({**CROPS, "rank1": 0.5}, f)
    page = render_report(paths, settings, stages)
    assert f"{CROPS['rank1']:.2%}" not in page and "50.00%" not in page
    assert (
        "crop_accuracy.json has changed since the crop_accuracy stage wrote it: run the "
        "chapter again" in page
    )
