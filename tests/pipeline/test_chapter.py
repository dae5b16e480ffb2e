"""The chapter command: every stage on the tiny generated sample, the record
that lets a rerun skip what is done, the report's figures against the files
the stages wrote, and the report in a real headless browser."""

import json
import math
import os
import re
import shutil
import subprocess
import sys
import time

import cv2
import h5py
import numpy as np
import pytest

from conftest import STORED_SIZE, assert_held_out_by_name, call_main
from dogs_vs_cats import chapter
from helpers import chapter_args
from pyimagesearch.pipeline.chapterstages import STAGES


def stage_lines(out):
    """{stage: what the log said of it}: "ran" or "skipped"."""
    said = {}
    for line in out.splitlines():
        found = re.match(r"\[INFO\] (\w+): (running|inputs and options unchanged)", line)
        if found:
            said[found.group(1)] = "ran" if found.group(2) == "running" else "skipped"
    return said


def fingerprints(folder):
    return {
        os.path.relpath(os.path.join(d, f), folder): os.stat(os.path.join(d, f)).st_mtime_ns
        for d, _, files in os.walk(folder)
        for f in files
        if not f.endswith(".lock")
    }


@pytest.fixture(scope="module")
def ran(sample, tmp_path_factory):
    """One chapter run on the sample, and its output folder."""
    out = tmp_path_factory.mktemp("chapter") / "out"
    code = 0
    try:
        chapter.main([str(a) for a in chapter_args(sample, out)])
    except SystemExit as error:
        code = error.code
    assert code in (0, None)
    return out


def copy_run(ran, out):
    """A copy of the run in `ran` at `out` that the record still matches."""
    shutil.copytree(ran, out, ignore=shutil.ignore_patterns("*.lock"))
    record = (out / "stages.json").read_text()
    (out / "stages.json").write_text(record.replace(str(ran), str(out)))
    return out


def embedded_figures(page):
    found = re.search(r'<script type="application/json" id="figures">(.*?)</script>', page)
    return json.loads(found.group(1))


def test_every_stage_runs_and_the_report_shows_what_the_stages_wrote(ran):
    stages = json.loads((ran / "stages.json").read_text())
    assert list(stages) == list(STAGES)
    assert all(entry["finished"] and entry["seconds"] > 0 for entry in stages.values())
    assert stages["build"]["images"] == 60 and stages["train"]["images"] == 40
    assert stages["crop_accuracy"]["images"] == 10 and stages["submission"]["images"] == 12
    page = (ran / "report.html").read_text()
    figures = embedded_figures(page)
    crops = json.loads((ran / "crop_accuracy.json").read_text())
    classifier = json.loads((ran / "train_model.json").read_text())
    assert figures["rank1"] == crops["rank1"]
    assert figures["rank1_10_crops"] == crops["rank1_10_crops"]
    assert figures["classifier"] == classifier["score"]
    for value in (crops["rank1"], crops["rank1_10_crops"], classifier["score"]):
        assert f"{value:.2%}" in page
    assert "92.60%" in page and "94.00%" in page and "98.69%" in page
    # the confusion matrices and the per-row probabilities give the same
    # figures, computed independently here
    rows = json.loads((ran / "crop_predictions.json").read_text())
    labels = np.array(rows["labels"])
    with h5py.File(ran / "hdf5/test.hdf5", "r") as db:
        assert labels.tolist() == db["labels"][:].tolist()
    for key, probabilities in (("confusion", "probabilities"),
                               ("confusion_10_crops", "probabilities_10_crops")):  # fmt: skip
        predicted = np.argmax(rows[probabilities], axis=1)
        counts = np.zeros((2, 2), int)
        np.add.at(counts, (labels, predicted), 1)
        assert figures[key] == crops[key] == counts.tolist()
        rank1 = crops["rank1" if key == "confusion" else "rank1_10_crops"]
        assert np.trace(counts) / counts.sum() == pytest.approx(rank1, abs=1e-12)
    # every figure is held out by photo name: AlexNet's rows are the build's
    # test split, and so are the classifier's, fitted on the other splits
    record = ran / "hdf5" / "build_record.json"
    test_names = json.loads(record.read_text())["image_names"]["test"]
    assert rows["image_names"] == test_names
    held = json.loads((ran / "classifier_predictions.json").read_text())
    assert_held_out_by_name(ran / "features.hdf5", classifier, held, record)
    assert classifier["test_rows"] == 10 and classifier["train_rows"] == 50
    for value in (crops["log_loss"], crops["log_loss_10_crops"], classifier["log_loss"]):
        assert f"{value:.4f}" in page
    assert figures["classifier_log_loss"] == classifier["log_loss"]
    assert "0.0388" in page and "the same 10 photos of the build's test split" in page
    # the settings each stage used: an AlexNet backbone takes no weights
    settings = page[page.index("settings it used") :]
    features = settings[settings.index(">features</td>") :].split("</tr>")[0]
    assert "backbone alexnet" in features and "weights" not in features
    # the submission is clipped as the held-out rows favour, and says so
    clip = classifier["submission_clip"]
    # and records what it lacks or guesses: nothing, for the sample's test folder
    assert json.loads((ran / "stages.json").read_text())["submission"]["details"] == {
        "clip": clip["clip"], "photos_left_out": 0, "ids_without_photo": 0, "unreadable_photos": 0,
        "predicted_by": "logistic regression",
    }  # fmt: skip
    # fine-tuning is off by default, and the record says so
    skipped = json.loads((ran / "stages.json").read_text())["finetune"]["details"]["skipped"]
    assert skipped == "--fine-tune off"
    assert json.loads((ran / "finetune.json").read_text()) == {
        "submit_with": "classifier",
        "skipped": skipped,
    }
    # every photo shown is one the stages named: thumbnails, not links; the
    # one link is to the model that made the submission, beside the page
    assert not re.search(r'(src|href)="(?!data:|model\.keras")', page)
    assert "<p>Fine-tuning: skipped (--fine-tune off).</p>" in page
    assert re.search(
        r'<p>submission.csv was predicted by the logistic regression; <a href="model.keras">'
        r"model.keras</a> \([\d.]+ [KM]B\) is that model, as the submission stage wrote it.</p>",
        page,
    )
    assert page.count('<img alt="training curves" src="data:image/png;base64,') == 1
    assert "Most confidently wrong" in page and "Least confident right" in page
    # the stages table says what its images count
    assert "passes each test photo through AlexNet 11 times" in page


FRESH_PROCESS = """
import json, sys
import cv2, keras
import pyimagesearch.pipeline.deploy  # registers the layers
from pyimagesearch.nn.modelfiles import load_label_names

model = keras.saving.load_model(sys.argv[1])  # safe mode
dog = load_label_names(sys.argv[1]).index("dog")
print(json.dumps({path: float(model.predict_on_batch(cv2.imread(path)[None])[0, dog])
                  for path in sys.argv[2:]}))
"""


def test_the_chapter_writes_the_model_that_made_its_submission(ran, sample, tmp_path):
    """model.keras, loaded by Keras itself in a fresh process, gives each
    test photo the probability submission.csv holds; predict.py on it
    writes submission.csv again; and it is what the chapter fitted: its
    features and logistic regression, predicted apart, agree."""
    from conftest import ROOT, run_script
    from pyimagesearch.nn.backbones import feature_extractor
    from pyimagesearch.pipeline import submission

    written = {
        int(line.split(",")[0]): float(line.split(",")[1])
        for line in (ran / "submission.csv").read_text().splitlines()[1:]
    }
    photos = {int(name.split(".")[0]): os.path.join(sample["test"], name)
              for name in os.listdir(sample["test"])}  # fmt: skip
    assert sorted(photos) == sorted(written)
    env = dict(os.environ, PYTHONPATH=ROOT)
    result = subprocess.run(
        [sys.executable, "-c", FRESH_PROCESS, str(ran / "model.keras"), *photos.values()],
        env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    fresh = json.loads(result.stdout.splitlines()[-1])
    for photo_id, path in photos.items():
        assert abs(fresh[path] - written[photo_id]) <= 1e-5
    again = tmp_path / "again.csv"
    result = run_script("predict", "--model", ran / "model.keras", "--images", sample["test"],
                        "--output", again)  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    assert again.read_text() == (ran / "submission.csv").read_text()
    # the parts the chapter fitted, predicted apart with OpenCV's resize
    clip = json.loads((ran / "train_model.json").read_text())["submission_clip"]["clip"]
    extractor = feature_extractor(str(ran / "alexnet" / "alexnet.keras"), "none", None,
                                  str(ran / "mean.json"))  # fmt: skip
    predictor = submission.classifier_predictor(str(ran / "logistic_regression.json"), extractor)
    submission.write_submission(sample["test"], tmp_path / "parts.csv", predictor, clip=clip)
    parts = [float(line.split(",")[1]) for line in (tmp_path / "parts.csv").read_text().split()[1:]]
    assert max(abs(p - written[i]) for i, p in zip(sorted(written), parts)) <= 1e-5


def test_the_report_says_how_alexnet_trained_from_train_alexnets_result(ran):
    # train_alexnet's result, not its log lines: one CPU device, the split
    # in memory, the book's rate for a batch of 16 on one device
    details = json.loads((ran / "stages.json").read_text())["train"]["details"]
    assert details["cache"].startswith("memory -- ")
    assert details["step_images"] == 16 and details["learning_rate"] == pytest.approx(1e-3)
    assert details["devices"].endswith(", one device")
    page = (ran / "report.html").read_text()
    assert f"AlexNet trained with {details['devices']}; cache: {details['cache']}" in page
    assert "16 images a step at learning rate 0.001" in page


def test_each_stage_records_the_settings_it_used_and_the_command_that_ran_it(ran):
    """What the report shows of them, read from the record: the page once
    asked the stages (loading Keras) and printed its own process's argv."""
    stages = json.loads((ran / "stages.json").read_text())
    # the `ran` fixture called chapter.main(argv): the command that argv stands for
    command = stages["build"]["command"]
    assert command[:2] == ["dogs-vs-cats-chapter", "--train"] and "--epochs" in command
    assert all(entry["command"] == command for entry in stages.values())
    assert stages["train"]["settings"]["epochs"] == 1
    assert stages["features"]["settings"]["backbone"] == "alexnet"
    assert stages["classifier"]["settings"] == {}
    page = (ran / "report.html").read_text()
    assert "<code>dogs-vs-cats-chapter --train " in page and "--backbone alexnet" in page


def test_a_rerun_with_nothing_changed_skips_every_stage_and_writes_nothing(
    ran, sample, tmp_path, capsys
):
    before = fingerprints(ran)
    began = time.perf_counter()
    (code, out, err) = call_main(chapter, chapter_args(sample, ran), capsys)
    seconds = time.perf_counter() - began
    assert code == 0, err
    assert stage_lines(out) == dict.fromkeys(STAGES, "skipped")
    assert fingerprints(ran) == before  # nothing written, not even the report
    os.remove(ran / "report.html")
    (code, _, err) = call_main(chapter, chapter_args(sample, ran), capsys)
    assert code == 0 and fingerprints(ran).keys() == before.keys(), err
    # the same photos through another path: the same run
    os.symlink(sample["train"], tmp_path / "photos")
    argv = chapter_args({**sample, "train": tmp_path / "photos"}, ran)
    (code, out, err) = call_main(chapter, argv, capsys)
    assert code == 0 and stage_lines(out) == dict.fromkeys(STAGES, "skipped"), err
    assert seconds < 30  # a generous bound: the stages take minutes


def test_a_rerun_with_other_workers_runs_nothing_and_the_page_shows_the_recorded_ones(
    ran, sample, tmp_path, capsys
):
    """Decoding threads are no option: a rerun with another --workers skips
    every stage, and its page showed the new value as the one they ran with."""
    out = copy_run(ran, tmp_path / "out")
    stages = json.loads((out / "stages.json").read_text())
    assert all(entry["given"] == {"train": str(sample["train"]), "test": str(sample["test"]),
                                  "outputDir": str(out), "workers": 2}
               for entry in stages.values())  # fmt: skip
    os.remove(out / "report.html")
    (code, log, err) = call_main(chapter, chapter_args(sample, out, "--workers", 3), capsys)
    assert code == 0 and stage_lines(log) == dict.fromkeys(STAGES, "skipped"), err
    page = (out / "report.html").read_text()
    every = re.search(r">every stage</td><td>(.*?)</td>", page).group(1)
    assert every.endswith("<br>workers 2"), every


def test_from_a_stage_and_a_changed_option_rerun_only_what_depends_on_them(ran, sample, capsys):
    (code, out, err) = call_main(chapter, chapter_args(sample, ran, "--from", "classifier"), capsys)
    assert code == 0, err
    assert stage_lines(out) == {"build": "skipped", "train": "skipped", "crop_accuracy": "skipped",
                                "features": "skipped", "classifier": "ran",
                                "finetune": "ran", "submission": "ran"}  # fmt: skip
    (code, out, err) = call_main(
        chapter, chapter_args(sample, ran, "--submit-with", "alexnet"), capsys
    )
    assert code == 0, err
    assert stage_lines(out)["submission"] == "ran"
    assert [stage_lines(out)[s] for s in STAGES[:-1]] == ["skipped"] * 6


def test_a_failing_stage_keeps_what_finished_and_reports_the_failure(ran, sample, tmp_path,
                                                                     capsys):  # fmt: skip
    out = copy_run(ran, tmp_path / "out")
    # a file, so that the chapter's checks up front pass, but no Keras model
    (tmp_path / "broken.keras").write_bytes(b"not a zip")
    (code, _, err) = call_main(
        chapter, chapter_args(sample, out, "--backbone", str(tmp_path / "broken.keras")), capsys
    )
    lines = [line for line in err.splitlines() if "%" not in line]
    assert code == 2 and len(lines) == 1 and "broken.keras" in lines[0], err
    stages = json.loads((out / "stages.json").read_text())
    assert stages["features"]["finished"] is None and "broken.keras" in stages["features"]["failed"]
    assert all(stages[s]["finished"] for s in ("build", "train", "crop_accuracy"))
    page = (out / "report.html").read_text()
    rank1 = json.loads((out / "crop_accuracy.json").read_text())["rank1"]
    assert "failed: " in page and f"{rank1:.2%}" in page


def test_an_interrupted_run_keeps_every_finished_stage(ran, sample, tmp_path, capsys,
                                                      monkeypatch):  # fmt: skip
    """Ctrl-C during the crop_accuracy stage (rerun with --from crop_accuracy): exit 130;
    the build and the training are kept and recorded, and the next run
    starts at the crops (the features depend on the training, not on them)."""
    from pyimagesearch.pipeline import chapterstages as library

    out = copy_run(ran, tmp_path / "out")

    def interrupted(self, log, progress, resume):
        raise KeyboardInterrupt()

    monkeypatch.setattr(library.CropAccuracyStage, "run", interrupted)
    (code, _, err) = call_main(
        chapter, chapter_args(sample, out, "--from", "crop_accuracy"), capsys
    )
    assert code == 130 and "interrupted" in err
    stages = json.loads((out / "stages.json").read_text())
    assert stages["build"]["finished"] and stages["train"]["finished"]
    assert stages["crop_accuracy"]["finished"] is None
    assert (out / "alexnet/alexnet.keras").is_file() and (out / "report.html").is_file()
    monkeypatch.undo()
    (code, log, err) = call_main(chapter, chapter_args(sample, out), capsys)
    assert code == 0, err
    said = stage_lines(log)
    assert [said[s] for s in STAGES[:5]] == ["skipped", "skipped", "ran", "skipped", "skipped"]


@pytest.mark.slow
def test_imagenet_features_are_scored_on_the_build_test_split_too(ran, sample, tmp_path, capsys):
    """A keras.applications backbone (untrained here: weights none): the
    chapter scores its classifier on the build's test photos, by name;
    train_model.py alone keeps the book's split for such features."""
    from dogs_vs_cats import train_model

    out = copy_run(ran, tmp_path / "out")
    argv = chapter_args(sample, out, "--backbone", "mobilenet_v2", "--weights", "none")
    (code, log, err) = call_main(chapter, argv, capsys)
    assert code == 0, err
    said = stage_lines(log)
    assert [said[s] for s in STAGES] == ["skipped"] * 3 + ["ran"] * 4
    record = out / "hdf5" / "build_record.json"
    classifier = json.loads((out / "train_model.json").read_text())
    held = json.loads((out / "classifier_predictions.json").read_text())
    assert_held_out_by_name(out / "features.hdf5", classifier, held, record)
    with h5py.File(out / "features.hdf5", "r") as db:
        assert db.attrs["backbone"] == "MobileNetV2"
        assert db.attrs["backbone_kind"] == "keras.applications"
        # the chapter's defaults: 9/7 of the network's 224 pixels, no mirrors
        assert db.attrs["input_size"] == 288 and bool(db.attrs["flip"]) is False
    assert json.loads((out / "logistic_regression.json").read_text())["features"] == {
        "backbone": "MobileNetV2", "backbone_kind": "keras.applications", "input_size": 288,
        "flip": False,
    }  # fmt: skip
    assert classifier["scoring"] == "neg_log_loss"
    page = (out / "report.html").read_text()
    settings = page[page.index("settings it used") :]
    features = settings[settings.index(">features</td>") :].split("</tr>")[0]
    assert "backbone mobilenet_v2" in features and "weights none" in features
    assert "featureSize 288" in features and "flip False" in features
    assert "layer" not in features
    # predict.py takes the classifier's record of how its features were made,
    # and refuses a flag that contradicts it
    from dogs_vs_cats import predict

    written = tmp_path / "s.csv"
    clip = classifier["submission_clip"]["clip"]
    argv = [
        "--images", sample["test"], "--classifier", out / "logistic_regression.json",
        "--backbone", "mobilenet_v2", "--weights", "none", "--output", written,
        *(["--clip", clip] if clip else []),
    ]  # fmt: skip
    (code, _, err) = call_main(predict, [str(a) for a in argv + ["--feature-size", 224]], capsys)
    assert code == 2 and "--feature-size: 224 contradicts" in err and not written.exists()
    (code, _, err) = call_main(predict, [str(a) for a in argv], capsys)
    assert code == 0, err
    assert (tmp_path / "s.csv").read_text() == (out / "submission.csv").read_text()
    book = tmp_path / "book.json"
    argv = ["--db", out / "features.hdf5", "--model", tmp_path / "lr.json", "--record", book]
    (code, _, err) = call_main(train_model, [str(a) for a in argv], capsys)
    assert code == 0, err
    report = json.loads(book.read_text())
    assert report["held_out"] == "the last 25% of rows" and report["test_rows"] == 15


def test_a_stage_that_runs_again_makes_every_later_one_not_current(
    ran, sample, tmp_path, capsys, monkeypatch
):
    """A new build (another test size), interrupted in the training: the
    stages after the build are forgotten, and the report shows none of the
    old run's figures or photos (the old crop predictions no longer match
    the new test split's rows: once an IndexError in the report)."""
    from pyimagesearch.pipeline import chapterstages as library

    out = copy_run(ran, tmp_path / "out")

    def interrupted(self, log, progress, resume):
        raise KeyboardInterrupt()

    monkeypatch.setattr(library.TrainStage, "run", interrupted)
    argv = chapter_args(sample, out, "--test-size", 8, "--val-size", 8)
    (code, _, err) = call_main(chapter, argv, capsys)
    assert code == 130 and "Traceback" not in err, err
    stages = json.loads((out / "stages.json").read_text())
    assert list(stages) == ["build", "train"] and stages["train"]["finished"] is None
    page = (out / "report.html").read_text()
    figures = embedded_figures(page)
    assert all(figures[key] is None for key in figures if key != "label_names")
    assert "cannot be shown" not in page and "Most confidently wrong" not in page
    assert page.count("not run yet") >= 4
    with h5py.File(out / "hdf5" / "test.hdf5", "r") as db:
        assert len(db["labels"]) == 8


def test_the_build_names_the_photo_of_every_row(ran, sample):
    """Each stored row is the photo its "image_names" entry names: the same
    label, the same pixels as that photo resized (checked for every row)."""
    from pyimagesearch.preprocessing import AspectAwarePreprocessor

    resize = AspectAwarePreprocessor(STORED_SIZE, STORED_SIZE)
    seen = []
    for split in ("train", "val", "test"):
        with h5py.File(ran / "hdf5" / f"{split}.hdf5", "r") as db:
            names = list(db["image_names"].asstr()[()])
            classes = list(db["label_names"].asstr()[()])
            for name, label, image in zip(names, db["labels"][:], db["images"][:]):
                assert classes[label] == name.split(".")[0]
                photo = cv2.imread(os.path.join(sample["train"], name))
                assert np.array_equal(resize.preprocess(photo), image), name
            seen += names
    assert sorted(seen) == sorted(os.listdir(sample["train"]))
    with h5py.File(ran / "features.hdf5", "r") as db:
        names = list(db["image_names"].asstr()[()])
        assert sorted(names) == sorted(seen) and len(names) == len(db["labels"])
        classes = list(db["label_names"].asstr()[()])
        assert [classes[k] for k in db["labels"][:]] == [n.split(".")[0] for n in names]


# ---- the report in a real browser ---------------------------------------------

CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                  "--no-first-run", "--disable-background-networking", "--hide-scrollbars",
                  "--disable-component-update", "--disable-sync",
                  # any name looked up fails: a page that fetched would show it
                  "--host-resolver-rules=MAP * ~NOTFOUND"]  # fmt: skip


def chromium():
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None:
        pytest.skip("no Chromium: `make test` installs Debian's chromium where apt-get can")
    return found


def browse(ran, tmp_path, *flags):
    result = subprocess.run(
        [chromium(), *CHROMIUM_FLAGS, f"--user-data-dir={tmp_path / 'profile'}", *flags,
         (ran / "report.html").as_uri()],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-2000:]
    return result


def test_the_report_renders_offline_with_every_image_in_a_browser(ran, tmp_path):
    # an <img> the browser had to fetch is not loaded: no network, and the
    # page's Content-Security-Policy refuses it (seen: 18/19 with one added)
    dom = browse(ran, tmp_path, "--virtual-time-budget=5000", "--dump-dom").stdout
    loaded = re.search(r'data-images-loaded="(\d+)/(\d+)"', dom)
    assert loaded, dom[:500]
    (ok, total) = map(int, loaded.groups())
    page = (ran / "report.html").read_text()
    assert ok == total == page.count("<img ") and total > 10
    assert "default-src 'none'; img-src data:" in page  # the browser may fetch nothing


def test_a_screenshot_of_the_report_shows_the_page(ran, tmp_path):
    shot = tmp_path / "report.png"
    browse(ran, tmp_path, "--window-size=1280,3000", f"--screenshot={shot}")
    image = cv2.imread(str(shot)).astype(int)
    assert image.shape == (3000, 1280, 3)

    def pixels(bgr):  # how many pixels show this colour
        return int((np.abs(image - np.array(bgr)).sum(axis=2) < 30).sum())

    page = (ran / "report.html").read_text()
    # the training curves, drawn in matplotlib's first two colours
    assert pixels((180, 119, 31)) > 100 and pixels((14, 127, 255)) > 100
    # AlexNet's photos (the first on the page), framed as the page's style
    # says: wrong in red, right in green
    alexnet = page.split("AlexNet (10 crops) on the test split")[1].split("<h3>")[0]
    (wrong, right) = (
        alexnet.count('<figure class="wrong">'),
        alexnet.count('<figure class="right">'),
    )
    assert wrong + right > 0
    assert (pixels((0, 0, 0xBB)) > 300) == (wrong > 0)
    assert (pixels((0x22, 0xAA, 0x22)) > 300) == (right > 0)


def test_planted_links_and_files_in_the_output_folder_are_refused_not_followed(
    ran, sample, tmp_path, capsys
):
    """As root beside another user's files: a link at a folder the run makes
    is refused before anything is written through it; the report reads no
    output through a link and shows no stage file's text as markup."""
    from pyimagesearch.pipeline.chapter import render_report
    from pyimagesearch.pipeline.chapterstages import ChapterPaths, ChapterSettings
    from pyimagesearch.pipeline.report import SCRIPT_HASH

    victim = tmp_path / "victim"
    victim.mkdir()
    (victim / "keep.txt").write_text("theirs")
    for folder in ("hdf5", "alexnet"):
        out = tmp_path / f"planted_{folder}"
        out.mkdir()
        os.symlink(victim, out / folder)
        (code, _, err) = call_main(chapter, chapter_args(sample, out), capsys)
        assert code == 2 and "is a symbolic link" in err and "--output-dir" in err, err
        assert os.listdir(victim) == ["keep.txt"]
    # an output folder inside the training photos would be listed as photos
    inside = os.path.join(sample["train"], "out")
    (code, _, err) = call_main(chapter, chapter_args(sample, inside), capsys)
    assert code == 2 and "the train photos" in err and not os.path.exists(inside), err

    out = copy_run(ran, tmp_path / "out")
    secret = tmp_path / "secret.json"
    secret.write_text('{"rank1": "the secret"}')
    os.chmod(secret, 0o600)
    os.remove(out / "crop_accuracy.json")
    os.symlink(secret, out / "crop_accuracy.json")
    predictions = json.loads((out / "classifier_predictions.json").read_text())
    predictions["labels"][0] = "<img src=x onerror=alert(1)>"
    (out / "classifier_predictions.json").write_text(json.dumps(predictions))
    stages = json.loads((out / "stages.json").read_text())
    settings = ChapterSettings(train=str(sample["train"]), outputDir=str(out))
    page = render_report(ChapterPaths(str(out)), settings, stages)
    assert "the secret" not in page and "is a symbolic link" in page
    assert "<img src=x" not in page and "cannot be shown" in page
    assert f"script-src '{SCRIPT_HASH}'" in page and "script-src 'unsafe-inline'" not in page
    # a link at the build's record: the data section says why, in one line
    os.replace(out / "hdf5" / "build_record.json", tmp_path / "record.json")
    os.symlink(tmp_path / "record.json", out / "hdf5" / "build_record.json")
    page = render_report(ChapterPaths(str(out)), settings, stages)
    assert "the build&#x27;s record cannot be shown" in page and "is a symbolic link" in page


def test_a_full_disk_shows_the_stage_error_not_the_report_error(ran, sample, tmp_path,
                                                                capsys, monkeypatch):  # fmt: skip
    """A disk that fills during the features fails the report's rewrite
    too: the one line is the features' error, and the report's is a warning."""
    import errno

    from pyimagesearch.pipeline import chapter as runner
    from pyimagesearch.pipeline import chapterstages as library

    out = copy_run(ran, tmp_path / "out")

    def full(self, log, progress, resume):
        raise OSError(errno.ENOSPC, "No space left on device", self.paths.features)

    def report_full(*args):
        raise OSError(errno.ENOSPC, "No space left on device", "report.html")

    monkeypatch.setattr(library.FeaturesStage, "run", full)
    monkeypatch.setattr(runner, "write_report", report_full)
    (code, log, err) = call_main(chapter, chapter_args(sample, out, "--from", "features"), capsys)
    assert code == 2 and "features.hdf5" in err and "report.html" not in err, err
    assert "[WARNING] the report could not be written either" in log


def test_kaggles_bundle_given_as_train_gives_the_test_photos_too(tmp_path):
    """A zip of zips as --train with no --test is read for both; a plain
    zip or a folder leaves --test unset; a bundle holding two archives of
    one name is refused in one line naming --train."""
    from helpers import jpeg, zip_bytes
    from pyimagesearch.errors import ArgumentError
    from pyimagesearch.pipeline.chapter import with_bundled_test
    from pyimagesearch.pipeline.chapterstages import ChapterSettings

    def test_of(train):
        settings = ChapterSettings(train=str(train), outputDir=str(tmp_path / "out"))
        return with_bundled_test(settings).test

    photos = zip_bytes([("train/cat.0.jpg", jpeg())])
    (tmp_path / "bundle.zip").write_bytes(zip_bytes([("train.zip", photos), ("test1.zip", photos)]))
    (tmp_path / "train.zip").write_bytes(photos)
    assert test_of(tmp_path / "bundle.zip") == str(tmp_path / "bundle.zip")
    assert test_of(tmp_path / "train.zip") is None and test_of(tmp_path) is None
    with pytest.warns(UserWarning, match="Duplicate name"):
        twice = zip_bytes([("train.zip", photos), ("train.zip", photos)])
    (tmp_path / "twice.zip").write_bytes(twice)
    with pytest.raises(ArgumentError, match="holds 2 archives named train.zip") as error:
        test_of(tmp_path / "twice.zip")
    assert error.value.argument == "train"


@pytest.mark.parametrize("name, value", [("workers", 0), ("epochs", -1), ("size", 2.5),
                                         ("batchSize", True), ("valSize", "9"),
                                         ("learningRate", 0.0), ("learningRate", math.inf),
                                         ("workers", np.int64(4))])  # fmt: skip
def test_a_library_callers_counts_are_checked_before_any_stage(tmp_path, name, value):
    """The command line refuses these as it parses; a library caller's went
    through (workers=0 was recorded at the first stage's start, and every
    later read of stages.json refused the record)."""
    from pyimagesearch.errors import ArgumentError
    from pyimagesearch.pipeline.chapter import check_settings
    from pyimagesearch.pipeline.chapterstages import ChapterSettings

    settings = ChapterSettings(train=str(tmp_path / "photos"), outputDir=str(tmp_path / "out"),
                               **{name: value})  # fmt: skip
    with pytest.raises(ArgumentError) as raised:
        check_settings(settings)
    assert raised.value.argument == name and repr(value) in str(raised.value)
    assert not os.path.exists(tmp_path / "out")
