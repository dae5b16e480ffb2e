"""`pipeline.records`: the submission stage reads its clip through the
records' check; a stage record of an earlier version is read under
today's stage names."""

import json
import re

import pytest

from conftest import CROPS
from pyimagesearch.pipeline import chapterstages, submission
from pyimagesearch.pipeline.chapterstages import ChapterPaths, ChapterSettings, CropAccuracyStage
from pyimagesearch.pipeline.records import read_stage_record


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


def test_an_earlier_versions_crops_stage_is_read_as_crop_accuracy(tmp_path):
    """stages.json of versions before issue 35 calls the crop_accuracy stage
    "crops": its entry is read under today's name, and its options, named
    otherwise, are not today's, so the stage runs again."""
    entry = {"signature": {"options": {"crops": "auto", "distribute": "auto"}, "inputs": {}},
             "finished": "2026-12-07T10:00:00", "outputs": {}}  # fmt: skip
    path = tmp_path / "stages.json"
    path.write_text(json.dumps({"crops": entry}))
    assert read_stage_record(path) == {"crop_accuracy": entry}
    settings = ChapterSettings(train=str(tmp_path / "train.zip"), outputDir=str(tmp_path))
    stage = CropAccuracyStage(settings, ChapterPaths(tmp_path))
    assert stage.signature()["options"] == {"cropPath": "auto", "distribute": "auto"}


def test_the_record_checks_each_setting_every_stage_is_given():
    from pyimagesearch.pipeline.chapterstages import EVERY_STAGE
    from pyimagesearch.pipeline.records import GIVEN

    assert set(GIVEN) == set(EVERY_STAGE)
