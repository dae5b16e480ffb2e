"""`pipeline.submission`: Kaggle's template checked before any stage or model,
Kaggle's header and what was dropped, a row per photo without a template,
the dog column from the saved class names, and NaN probabilities, a model of
the wrong shape or a folder without test photo names refused."""

import os

import numpy as np
import pytest

from conftest import call_main
from dogs_vs_cats import chapter, predict
from helpers import (
    TEMPLATES,
    _write,
    constant_predictor,
    kaggle_bundle,
    no_stage_runs,
    one_line_error,
    predict_args,
)
from pyimagesearch.pipeline import submission


def test_a_model_of_the_wrong_shape_is_refused_before_predicting(sample, tmp_path, capsys):
    import keras

    from pyimagesearch.nn.modelfiles import save_model

    inputs = keras.Input((16, 16, 3))
    three = keras.layers.Dense(3, activation="softmax")(keras.layers.Flatten()(inputs))
    save_model(keras.Model(inputs, three), str(tmp_path / "three.keras"), ["cat", "dog"])
    code, _, err = call_main(
        predict,
        predict_args(sample["test"], tmp_path / "three.keras", _mean(tmp_path), tmp_path / "s.csv"),
        capsys,
    )
    one_line_error(code, err, "three.keras", "returns 3 scores but names 2 classes")
    assert not (tmp_path / "s.csv").exists()


# ---- a submission that is sure to be useful ----------------------------------------


def test_predict_refuses_folders_without_test_photo_names(sample, tmp_path, capsys):
    from helpers import flat_model

    flat_model(tmp_path / "flat.keras")
    common = [
        "--model",
        tmp_path / "flat.keras",
        "--mean",
        _mean(tmp_path),
        "--size",
        16,
        "--output",
        tmp_path / "s.csv",
    ]
    code, _, err = call_main(predict, ["--images", sample["train"], *common], capsys)
    one_line_error(code, err, "holds no photos named N.<ext>")
    dupes = tmp_path / "dupes"
    dupes.mkdir()
    photo = open(os.path.join(sample["test"], "1.jpg"), "rb").read()
    for name in ("7.jpg", "007.png", "\u0663.jpg"):  # 7, 7 again, and an Arabic-Indic three
        (dupes / name).write_bytes(photo)
    code, _, err = call_main(predict, ["--images", dupes, *common], capsys)
    one_line_error(code, err, "007.png", "7.jpg", "both id 7")
    os.remove(dupes / "007.png")
    code, out, err = call_main(predict, ["--images", dupes, *common], capsys)
    assert code == 0, err
    assert (tmp_path / "s.csv").read_text().splitlines()[1:] and [
        r.split(",")[0] for r in (tmp_path / "s.csv").read_text().splitlines()[1:]
    ] == ["7"]
    assert "\u0663.jpg: no id in the name" in out


def _mean(folder):
    return _write(folder / "mean.json", {"R": 120.0, "G": 110.0, "B": 100.0})


def test_a_submission_of_nan_probabilities_is_refused(sample, tmp_path):
    """A classifier with finite coefficients of 1e308 wrote a submission of
    nan with exit 0: whatever predicts, NaN or infinite probabilities stop
    the submission before a row is written."""
    from pyimagesearch.pipeline.submission import write_submission
    from pyimagesearch.preprocessing import SimplePreprocessor

    predictor = (SimplePreprocessor(8, 8), lambda batch: np.full(len(batch), np.nan))
    with pytest.raises(ValueError, match="NaN or infinite probabilities"):
        write_submission(sample["test"], tmp_path / "s.csv", predictor)
    assert [p.name for p in tmp_path.iterdir()] == [".s.csv.lock"]  # no CSV, nothing partial


@pytest.mark.parametrize("case", TEMPLATES)
def test_a_bad_template_is_one_line_before_any_stage_or_model(
    sample, tmp_path, capsys, monkeypatch, case
):
    (template, words) = TEMPLATES[case]
    bundle = kaggle_bundle(tmp_path / "bundle.zip", sample, template)
    no_stage_runs(monkeypatch)
    out = tmp_path / "out"
    argv = ["--train", sample["train"], "--test", bundle, "--output-dir", out]
    (code, _, err) = call_main(chapter, argv, capsys)
    one_line_error(code, err, "--test:", bundle, submission.TEMPLATE, words)
    assert not out.exists()
    # predict.py checks it before loading the model (here: none at all)
    argv = ["--images", bundle, "--model", tmp_path / "absent.keras", "--mean",
            tmp_path / "absent.json", "--output", tmp_path / "s.csv"]  # fmt: skip
    (code, _, err) = call_main(predict, argv, capsys)
    one_line_error(code, err, bundle, submission.TEMPLATE, words)
    assert not (tmp_path / "s.csv").exists()


def test_the_header_written_is_kaggles_and_what_was_dropped_is_returned(sample, tmp_path):
    """A byte-order mark and a header in another case are not copied; the
    photos the template lacks and its ids without a photo are returned."""
    template = "\ufeffid,label\r\n3,0.5\r\n1,0.5\r\n999,0.5\r\n".encode()
    bundle = kaggle_bundle(tmp_path / "bundle.zip", sample, template)
    output = tmp_path / "s.csv"
    report = submission.write_submission(bundle, output, constant_predictor())
    assert output.read_bytes() == b"id,label\n3,0.700000\n1,0.700000\n999,0.500000\n"
    assert report["rows"] == 3 and report["missing"] == [999]
    assert sorted(f["file"] for f in report["left_out"]) == sorted(
        f"test1.zip/test1/{i}.jpg" for i in range(2, 13) if i != 3
    )
    assert report["unusable"] == []
    # no template: a row per photo, in id order
    plain = kaggle_bundle(tmp_path / "plain.zip", sample, None)
    report = submission.write_submission(plain, tmp_path / "p.csv", constant_predictor())
    assert report["rows"] == 12 and report["missing"] == [] and report["left_out"] == []


def test_a_missing_template_means_a_row_per_photo(sample, tmp_path):
    bundle = kaggle_bundle(tmp_path / "bundle.zip", sample, None)
    assert submission.submission_template(bundle) is None
    assert submission.submission_rows(bundle).ids == list(range(1, 13))
    assert submission.submission_template(sample["test"]) is None  # a folder has none
