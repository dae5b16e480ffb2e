"""`pipeline.chapterstages`: the submission stage records, logs and reports
the photos it dropped."""

import json

from conftest import CROPS
from helpers import constant_predictor, kaggle_bundle
from pyimagesearch.pipeline import chapterstages, submission


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
                             "unreadable_photos": 0,
                             "predicted_by": "AlexNet, 10 crops"}  # fmt: skip
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


def test_the_fine_tuning_stage_trains_end_to_end_where_a_gpu_is_seen(sample, tmp_path,
                                                                      monkeypatch):  # fmt: skip
    """--fine-tune-on auto: cached activations on a CPU, end to end where
    the backend sees a GPU, on the build's HDF5 splits and mean; the mode
    given is used as it is, and is recorded."""
    import pytest

    from pyimagesearch.nn import backbones
    from pyimagesearch.nn.parallel import devices
    from pyimagesearch.pipeline import finetune

    given = []

    def fine_tune(*args, **kwargs):
        given.append(kwargs)
        return {
            "submit_with": "classifier",
            "mode": kwargs["mode"],
            "val_log_loss": 0.1,
            "classifier_val_log_loss": 0.1,
            "best_epoch": 0,
            "temperature": 1.0,
            "test_rows": 1,
            "held_out": "the build's test split",
            "score": 1.0,
            "log_loss": 0.1,
            "train_photos": 1,
            "train_views": 1,
            "val_photos": 1,
            "eval_views": 2,
            "cut_layer": "block_15_add",
            "cache_bytes_per_photo": 0,
        }

    monkeypatch.setattr(finetune, "fine_tune", fine_tune)
    monkeypatch.setattr(backbones, "application_extractor", lambda *a, **k: None)
    monkeypatch.setattr(chapterstages, "read_build_record", lambda path: {"image_names": {}})
    paths = chapterstages.ChapterPaths(tmp_path)
    for fineTuneOn, gpus, mode in (("auto", [], "cached"), ("auto", ["/gpu:0"], "end-to-end"),
                                   ("cached", ["/gpu:0"], "cached"),
                                   ("end-to-end", [], "end-to-end")):  # fmt: skip
        monkeypatch.setattr(devices, "accelerators", lambda gpus=gpus: gpus)
        settings = chapterstages.ChapterSettings(
            train=sample["train"], outputDir=str(tmp_path), backbone="mobilenetv2",
            fineTune="on", fineTuneOn=fineTuneOn,
        )  # fmt: skip
        stage = chapterstages.FineTuneStage(settings, paths)
        log = []
        stage.run(log.append, None, False)
        assert given[-1]["mode"] == stage.details["mode"] == mode
        assert given[-1]["build"] == (paths.split["train"], paths.split["val"], paths.mean)
        assert f"[INFO] finetune: {mode} (" in log[0]
        for path in given[-1]["build"]:
            assert path in stage.inputs()
    from pyimagesearch.errors import ArgumentError
    from pyimagesearch.pipeline.chapter import check_settings

    wrong = chapterstages.ChapterSettings(train=sample["train"], outputDir=str(tmp_path),
                                          fineTuneOn="gpu")  # fmt: skip
    with pytest.raises(ArgumentError, match="'gpu' is not one of auto, cached, end-to-end"):
        check_settings(wrong)


def test_a_skipped_fine_tuning_keeps_the_signature_it_had_before_it_could_train_end_to_end(
    sample, tmp_path
):
    """Off (the default), the stage neither uses --fine-tune-on nor reads
    the build's splits: changing the flag, or upgrading an output folder,
    runs nothing again (its rewritten finetune.json would rerun the
    submission)."""
    paths = chapterstages.ChapterPaths(tmp_path)

    def stage(**settings):
        return chapterstages.FineTuneStage(chapterstages.ChapterSettings(
            train=sample["train"], outputDir=str(tmp_path), **settings), paths)  # fmt: skip

    off = stage(fineTune="off")
    before = ("fineTune", "backbone", "weights", "featureSize", "seed", "maxPixels")
    assert tuple(off.signature()["options"]) == before
    assert off.signature() == stage(fineTune="off", fineTuneOn="end-to-end").signature()
    assert paths.split["train"] not in off.inputs() and paths.mean not in off.inputs()
    on = stage(fineTune="on", backbone="mobilenetv2")
    assert on.signature()["options"]["fineTuneOn"] == "auto"
    assert on.signature() != stage(fineTune="on", backbone="mobilenetv2",
                                   fineTuneOn="cached").signature()  # fmt: skip
