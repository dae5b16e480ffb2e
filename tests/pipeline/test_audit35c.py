"""Audit 35c: failing tests that show what the last commits let through.

Each test fails on the code as committed (7288c2c); it passes once the
finding it names is fixed."""

import dataclasses
import json
import math
import os

import numpy as np
import pytest

from conftest import CROPS
from pyimagesearch.errors import ArgumentError
from pyimagesearch.pipeline.chapter import check_counts, render_report
from pyimagesearch.pipeline.chapterstages import (
    STAGE_CLASSES,
    ChapterPaths,
    ChapterSettings,
    fingerprint,
)


def finished():
    return {"signature": {}, "finished": "2026-12-07T10:00:00", "outputs": {},
            "seconds": 1.0, "images": 2, "details": {}}  # fmt: skip


def write_split(paths, split, names, value, overwrite=False):
    from pyimagesearch.io import HDF5DatasetWriter

    count = len(names)
    with HDF5DatasetWriter((count, 8, 8, 3), paths.split[split], dtype="uint8",
                           overwrite=overwrite) as writer:  # fmt: skip
        writer.add(np.full((count, 8, 8, 3), value, np.uint8), [1] if count == 1 else [0, 1])
        writer.storeClassLabels(["cat", "dog"])
        writer.storeStrings("image_names", names)


def a_scored_run(tmp_path):
    """(paths, settings, stages) of a run whose build, crop_accuracy and
    classifier stages finished, each output recorded as written now."""
    import cv2

    paths = ChapterPaths(tmp_path)
    os.makedirs(paths.hdf5)
    train = tmp_path / "train"
    os.makedirs(train)
    cv2.imwrite(str(train / "dog.5.jpg"), np.full((20, 30, 3), 200, np.uint8))
    settings = ChapterSettings(train=str(train), outputDir=str(tmp_path))
    write_split(paths, "train", ["dog.5.jpg"], 0)
    write_split(paths, "test", ["cat.1.jpg", "dog.2.jpg"], 0)
    with open(paths.buildRecord, "w") as f:
        json.dump({"label_names": ["cat", "dog"], "used": {"train": 1, "test": 2},
                   "image_names": {"train": ["dog.5.jpg"], "test": ["cat.1.jpg", "dog.2.jpg"]},
                   "photos_found": 3, "skipped_count": 0, "skipped": [], "images": "train"},
                  f)  # fmt: skip
    with open(paths.cropAccuracy, "w") as f:
        json.dump(CROPS, f)
    with open(paths.cropPredictions, "w") as f:
        json.dump({"labels": [0, 1], "probabilities": [[0.9, 0.1], [0.2, 0.8]],
                   "probabilities_10_crops": [[0.9, 0.1], [0.2, 0.8]],
                   "image_names": ["cat.1.jpg", "dog.2.jpg"]}, f)  # fmt: skip
    with open(paths.classifierPredictions, "w") as f:
        json.dump({"rows": [7], "image_names": ["dog.5.jpg"], "labels": [1],
                   "probabilities": [[0.7, 0.3]]}, f)  # fmt: skip
    stages = {name: finished() for name in ("build", "crop_accuracy", "classifier")}
    for cls in STAGE_CLASSES:
        if cls.name in stages:
            listed = cls(settings, paths).outputs()
            stages[cls.name]["outputs"] = {path: fingerprint(path) for path in listed}
    page = render_report(paths, settings, stages)
    assert "AlexNet (10 crops) on the test split" in page
    assert "dog.5.jpg<br>is a dog; said cat 70.0%" in page
    return paths, settings, stages


def test_a_test_split_changed_since_the_build_is_not_drawn_as_this_runs_photos(tmp_path):
    """Finding 1: read_photos opens paths.split["test"] with own_file, not
    when_there, so a test.hdf5 rewritten after the build stage finished
    (a ChangedOutput) is drawn under this run's predictions, silently."""
    (paths, settings, stages) = a_scored_run(tmp_path)
    write_split(paths, "test", ["cat.1.jpg", "dog.2.jpg"], 255, overwrite=True)
    page = render_report(paths, settings, stages)
    assert "AlexNet (10 crops) on the test split" not in page
    assert "test.hdf5 has changed since the build stage wrote it" in page


def test_one_changed_figure_file_does_not_say_the_classifier_has_not_run(tmp_path):
    """Finding 4: a changed crop_accuracy.json makes every figure
    Unreadable, so read_photos gets no class names and the page says
    "the logistic regression's held-out photos: not run yet." although the
    classifier finished and its own files are as it wrote them."""
    (paths, settings, stages) = a_scored_run(tmp_path)
    with open(paths.cropAccuracy, "w") as f:
        json.dump({**CROPS, "rank1": 0.5}, f)
    page = render_report(paths, settings, stages)
    assert "crop_accuracy.json has changed since the crop_accuracy stage wrote it" in page
    assert "held-out photos: not run yet" not in page


@pytest.mark.parametrize("value", [math.inf])
def test_a_library_callers_infinite_learning_rate_is_refused_before_any_stage(value):
    """Finding 2: check_counts lets learningRate=inf through (`not inf > 0`
    is False); the command line's positive_float refuses it. The chapter
    then builds, clears the training's outputs and fails writing
    stages.json ("would hold NaN or infinite numbers"), naming no setting."""
    settings = ChapterSettings(train="t", outputDir="o", learningRate=value)
    with pytest.raises(ArgumentError, match="learningRate"):
        check_counts(settings)


@pytest.mark.parametrize("name", ["learningRate", "weightDecay"])
def test_fine_tune_options_refuse_an_infinite_rate(name):
    """Finding 3: FineTuneOptions take learningRate/weightDecay = inf; the
    fine-tuning then trains and fails only when write_json refuses the
    record (its "options" hold inf), after the model was saved."""
    from pyimagesearch.pipeline.finetune import FineTuneOptions

    with pytest.raises(ValueError, match=name):
        FineTuneOptions(**{name: math.inf})


def test_a_numpy_count_is_not_called_no_whole_number():
    """Finding 5: count_problem takes np.int64(4) threads, then check_counts'
    general rule refuses it as "np.int64(4) is not a whole number of 1 or
    more": the message contradicts itself (either take it, as int, or say
    a Python int is wanted)."""
    settings = dataclasses.replace(ChapterSettings(train="t", outputDir="o"), workers=np.int64(4))
    try:
        check_counts(settings)
    except ArgumentError as error:
        assert "is not a whole number of 1 or more" not in str(error)


def test_the_default_workers_is_within_the_bound_on_a_machine_of_many_cpus():
    """Finding 6: ChapterSettings.workers defaults to os.cpu_count(), which
    is not bounded by MOST["threads"]: on a machine of 2,048 CPUs the chapter
    refuses its own default ("workers 2048 is not from 1 to 1,024 threads",
    blamed on --workers, which the user did not give), while the scripts'
    argparse default (an int, never parsed) reaches the library unbounded."""
    import subprocess
    import sys

    code = (
        "import os; os.cpu_count = lambda: 2048\n"
        "from pyimagesearch.pipeline.chapter import check_counts\n"
        "from pyimagesearch.pipeline.chapterstages import ChapterSettings\n"
        "check_counts(ChapterSettings(train='t', outputDir='o'))\n"
    )
    ran = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env={**os.environ, "PYTHONPATH": os.getcwd()})  # fmt: skip
    assert ran.returncode == 0, ran.stderr.strip().splitlines()[-1]
