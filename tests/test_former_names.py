"""Records written by earlier versions under names since changed."""

import json

from pyimagesearch.pipeline.chapterstages import ChapterPaths, ChapterSettings, CropAccuracyStage
from pyimagesearch.pipeline.records import read_stage_record


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
