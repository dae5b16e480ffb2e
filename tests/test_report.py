"""The report renderer, directly: given a stage record and the files its
stages wrote, the page shows those figures, and nothing of a stage that
has not finished since it last started."""

import json
import os
import re

from pyimagesearch.pipeline.chapterstages import STAGES, ChapterPaths, ChapterSettings
from pyimagesearch.pipeline.report import render_report

CROPS = {
    "images": 16, "rank1": 0.8125, "rank1_10_crops": 0.875, "log_loss": 0.41234,
    "log_loss_10_crops": 0.35678, "confusion": [[7, 1], [2, 6]],
    "confusion_10_crops": [[7, 1], [1, 7]],
    "submission_clip": {"clip": None, "log_loss": 0.35678},
}  # fmt: skip


def finished(seconds, images, **details):
    return {"signature": {}, "finished": "2026-12-07T10:00:00", "outputs": {},
            "seconds": seconds, "images": images, "details": details}  # fmt: skip


def test_the_page_shows_the_finished_stages_figures_and_nothing_stale(tmp_path):
    paths = ChapterPaths(tmp_path)
    settings = ChapterSettings(train=str(tmp_path / "train.zip"), outputDir=str(tmp_path))
    with open(paths.cropAccuracy, "w") as f:
        json.dump(CROPS, f)
    # the classifier's figures are there, but its stage started again and failed
    with open(paths.classifierRecord, "w") as f:
        json.dump({"score": 0.5, "log_loss": 0.9999, "test_rows": 16}, f)
    stages = {
        "train": finished(12.5, 400, devices="the CPU, one device",
                          cache="memory -- it fits", step_images=32, learning_rate=0.001),
        "crop_accuracy": finished(2.0, 16),
        "classifier": {"signature": {}, "finished": None, "failed": "the disk is full"},
    }  # fmt: skip
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
    import cv2
    import numpy as np

    from pyimagesearch.io import HDF5DatasetWriter

    paths = ChapterPaths(tmp_path)
    os.makedirs(paths.hdf5)
    train = tmp_path / "train"
    os.makedirs(train)
    cv2.imwrite(str(train / "dog.5.jpg"), np.full((20, 30, 3), 200, np.uint8))
    settings = ChapterSettings(train=str(train), outputDir=str(tmp_path))
    with HDF5DatasetWriter((2, 8, 8, 3), paths.split["test"], dtype="uint8") as writer:
        writer.add(np.zeros((2, 8, 8, 3), np.uint8), [0, 1])
        writer.storeClassLabels(["cat", "dog"])
        writer.storeStrings("image_names", ["cat.1.jpg", "dog.2.jpg"])
    with HDF5DatasetWriter((1, 8, 8, 3), paths.split["train"], dtype="uint8") as writer:
        writer.add(np.zeros((1, 8, 8, 3), np.uint8), [1])
        writer.storeClassLabels(["cat", "dog"])
        writer.storeStrings("image_names", ["dog.5.jpg"])
    with open(paths.buildRecord, "w") as f:
        json.dump({"label_names": ["cat", "dog"], "used": {"train": 1, "test": 2},
                   "image_names": {"train": ["dog.5.jpg"], "test": ["cat.1.jpg", "dog.2.jpg"]},
                   "photos_found": 3, "skipped_count": 0, "skipped": [], "images": "train"},
                  f)  # fmt: skip
    rows = {"labels": [0, 1], "probabilities": [[0.9, 0.1], [0.2, 0.8]],
            "probabilities_10_crops": [[0.9, 0.1], [0.2, 0.8]]}  # fmt: skip
    with open(paths.classifierPredictions, "w") as f:
        json.dump({"rows": [7], "image_names": ["dog.5.jpg"], "labels": [1],
                   "probabilities": [[0.7, 0.3]]}, f)  # fmt: skip
    stages = {name: finished(1.0, 2) for name in ("build", "crop_accuracy", "classifier")}
    for names, shown in ((["cat.1.jpg", "dog.2.jpg"], True), (["cat.1.jpg", "dog.9.jpg"], False)):
        with open(paths.cropPredictions, "w") as f:
            json.dump({**rows, "image_names": names}, f)
        page = render_report(paths, settings, stages)
        assert ("AlexNet (10 crops) on the test split" in page) == shown
        assert ("the photos cannot be shown: " in page) != shown
        assert ("crop_predictions.json names other photos than" in page) != shown
        if shown:
            # the classifier's one photo, read from the training photos by name
            assert "dog.5.jpg<br>is a dog; said cat 70.0%" in page
            assert "dog.5.jpg cannot be read" not in page


def scored_run(tmp_path):
    """(paths, settings, stages, names) of a run whose crops stage scored the
    16 photos `names`, and whose classifier stage finished: the figures of
    both written, the classifier's by `score_classifier`."""
    paths = ChapterPaths(tmp_path)
    settings = ChapterSettings(train=str(tmp_path / "train.zip"), outputDir=str(tmp_path))
    stages = {name: finished(1.0, 2) for name in ("crop_accuracy", "classifier")}
    with open(paths.cropAccuracy, "w") as f:
        json.dump(CROPS, f)
    names = [f"cat.{k}.jpg" for k in range(16)]
    rows = [[0.5, 0.5]] * 16
    with open(paths.cropPredictions, "w") as f:
        json.dump({"image_names": names, "labels": [0] * 16, "probabilities": rows,
                   "probabilities_10_crops": rows}, f)  # fmt: skip
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
        page = render_report(paths, settings, stages)
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
    stages = {
        "train": finished(1.0, 8, devices="the CPU, one device"),
        "features": {**finished(1.0, 8), "settings": {"backbone": "resnet50", "featureSize": 288},
                     "command": ["dogs-vs-cats-chapter", "--train", "my photos.zip"]},
    }  # fmt: skip
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
from pyimagesearch.pipeline.report import render_report
sys.path.insert(0, {os.path.dirname(__file__)!r})
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


def test_a_bug_in_the_renderer_is_a_traceback_not_a_line_on_the_page(tmp_path, monkeypatch):
    """Only the files' errors (OSError, ValueError) are the page's to show;
    a TypeError once read "the training cannot be shown"."""
    import pytest

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
    page = render_report(paths, settings, stages)
    assert "held out from every stage that trained" not in page
    assert "x.keras is a file this run did not" in page and "the same photos." in page


def test_a_photo_is_opened_by_its_real_name_not_by_its_recorded_one(tmp_path):
    """A folder named with the byte 0xe9 and one named with the characters
    "\\xe9": the page showed the second's photo under the first's name."""
    import cv2
    import numpy as np

    from pyimagesearch.pipeline.reportdata import photo, training_photos
    from pyimagesearch.utils.files import printable

    train = tmp_path / "train"
    byte = os.fsdecode(os.path.join(os.fsencode(train), b"caf\xe9"))
    for folder, value in ((byte, 40), (str(train / "caf\\xe9"), 200)):
        os.makedirs(folder)
        with open(os.path.join(folder, "cat.1.png"), "wb") as f:  # cv2 takes no such path
            f.write(cv2.imencode(".png", np.full((8, 8, 3), value, np.uint8))[1].tobytes())
    photos = training_photos(str(train))
    for name, value in (("caf\udce9/cat.1.png", 40), ("caf\\xe9/cat.1.png", 200)):
        assert photo(photos, printable(name)).mean() == value
