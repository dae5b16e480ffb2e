"""`pipeline.reportdata`, the files the report reads, directly: a held-out
photo is opened by its real name (bytes that are no UTF-8 included), never
by the printable one the record shows, and the versions shown are those of
the distributions that installed each module; a file changed since its
stage wrote it is refused wherever it is read. The page drawn from them is
tested in test_report.py."""

import json
import os

import numpy as np

from conftest import CROPS
from helpers import a_built_run, write_split
from pyimagesearch.pipeline.chapter import render_report
from pyimagesearch.pipeline.chapterstages import (
    STAGE_CLASSES,
    fingerprint,
)


def test_a_photo_is_opened_by_its_real_name_not_by_its_recorded_one(tmp_path):
    """A folder named with the byte 0xe9 and one named with the characters
    "\\xe9": the page showed the second's photo under the first's name."""
    import cv2

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


def test_the_versions_shown_are_the_installed_distributions_of_each_module():
    """Each module that decides a run's numbers is shown under the
    distribution that installed it: tensorflow-cpu and
    opencv-python-headless were left out, unsaid, when the names were
    looked up as "tensorflow" and "opencv-python"."""
    import importlib.util
    from importlib import metadata

    from pyimagesearch.pipeline.reportdata import VERSIONED, package_versions

    shown = dict(package_versions())
    assert shown["python"]
    for module in VERSIONED:
        if importlib.util.find_spec(module) is None:
            continue
        for distribution in metadata.packages_distributions()[module]:
            assert shown[metadata.metadata(distribution)["Name"]] == metadata.version(distribution)
    assert any(name.startswith("opencv") for name in shown)  # a dependency, whichever wheel


def finished_stage():
    return {"signature": {}, "finished": "2026-12-07T10:00:00", "outputs": {},
            "seconds": 1.0, "images": 2, "details": {}}  # fmt: skip


def a_scored_run(tmp_path):
    """(paths, settings, stages) of a run whose build, crop_accuracy and
    classifier stages finished, each output recorded as written now."""
    (paths, settings) = a_built_run(tmp_path)
    with open(paths.cropAccuracy, "w") as f:
        json.dump(CROPS, f)
    with open(paths.cropPredictions, "w") as f:
        json.dump({"labels": [0, 1], "probabilities": [[0.9, 0.1], [0.2, 0.8]],
                   "probabilities_10_crops": [[0.9, 0.1], [0.2, 0.8]],
                   "image_names": ["cat.1.jpg", "dog.2.jpg"]}, f)  # fmt: skip
    with open(paths.classifierPredictions, "w") as f:
        json.dump({"rows": [7], "image_names": ["dog.5.jpg"], "labels": [1],
                   "probabilities": [[0.7, 0.3]]}, f)  # fmt: skip
    stages = {name: finished_stage() for name in ("build", "crop_accuracy", "classifier")}
    for cls in STAGE_CLASSES:
        if cls.name in stages:
            listed = cls(settings, paths).outputs()
            stages[cls.name]["outputs"] = {path: fingerprint(path) for path in listed}
    page = render_report(paths, settings, stages)
    assert "AlexNet (10 crops) on the test split" in page
    assert "dog.5.jpg<br>is a dog; said cat 70.0%" in page
    return paths, settings, stages


def test_a_test_split_changed_since_the_build_is_not_drawn_as_this_runs_photos(tmp_path):
    """A test.hdf5 rewritten after the build stage finished was drawn under
    this run's predictions, silently (it was opened past the check of
    what changed since)."""
    (paths, settings, stages) = a_scored_run(tmp_path)
    write_split(paths, "test", ["cat.1.jpg", "dog.2.jpg"], 255, overwrite=True)
    page = render_report(paths, settings, stages)
    assert "AlexNet (10 crops) on the test split" not in page
    assert "test.hdf5 has changed since the build stage wrote it" in page


def test_one_changed_figure_file_does_not_say_the_classifier_has_not_run(tmp_path):
    """A changed crop_accuracy.json made every figure unreadable, and with
    them the class names the photos are drawn with: the page said the
    classifier's photos were not run yet, though its files are as it wrote
    them."""
    (paths, settings, stages) = a_scored_run(tmp_path)
    with open(paths.cropAccuracy, "w") as f:
        json.dump({**CROPS, "rank1": 0.5}, f)
    page = render_report(paths, settings, stages)
    assert "crop_accuracy.json has changed since the crop_accuracy stage wrote it" in page
    assert "held-out photos: not run yet" not in page
