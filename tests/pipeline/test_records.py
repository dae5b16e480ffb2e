"""`pipeline.records`: the submission stage reads its clip through the
records' check."""

import json
import re

import pytest

from conftest import CROPS
from pyimagesearch.pipeline import chapterstages, submission


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
