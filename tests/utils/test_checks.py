"""`utils.checks`: sizes are positive integers, and the one bound takes
integers from 1 to LARGEST_SIZE, which every size flag stops at before any
work."""

import argparse
import importlib

import numpy as np
import pytest

from conftest import build_args, call_main
from dogs_vs_cats import build_dogs_vs_cats, chapter, extract_features, predict
from helpers import (
    SCRIPT_NAMES,
    TOO_LARGE,
    no_stage_runs,
    one_line_error,
    predict_with,
    tiny_classifier,
)
from pyimagesearch.preprocessing import (
    AspectAwarePreprocessor,
    CropPreprocessor,
    PatchPreprocessor,
    SimplePreprocessor,
)
from pyimagesearch.utils.checks import LARGEST_SIZE, MOST, image_size_problem


@pytest.mark.parametrize(
    "cls", [SimplePreprocessor, AspectAwarePreprocessor, PatchPreprocessor, CropPreprocessor]
)
@pytest.mark.parametrize("width", [0, -3, 2.5, "8"])
def test_sizes_must_be_positive_integers(cls, width):
    with pytest.raises(ValueError, match="width"):
        cls(width, 8)


# ---- sizes from outside: one bound --------------------------------------------


def test_the_one_bound_takes_integers_from_1_to_largest_size():
    assert LARGEST_SIZE == 2048
    for fine in (1, LARGEST_SIZE, np.int64(LARGEST_SIZE), np.uint16(32)):
        assert image_size_problem(fine) is None
    for bad in (0, -1, TOO_LARGE, 10**18, 224.0, True, np.bool_(True), "224", None,
                np.array([224]), np.array(224.0)):  # fmt: skip
        assert image_size_problem(bad), bad


SIZE_FLAGS = {
    "build --size": (build_dogs_vs_cats, "--size"),
    "chapter --size": (chapter, "--size"),
    "chapter --input-size": (chapter, "--input-size"),
    "chapter --feature-size": (chapter, "--feature-size"),
    "extract_features --feature-size": (extract_features, "--feature-size"),
    "predict --feature-size": (predict, "--feature-size"),
    "predict --size": (predict, "--size"),
}


@pytest.mark.parametrize("case", SIZE_FLAGS)
def test_every_size_flag_stops_at_largest_size_before_any_work(
    sample, tmp_path, capsys, monkeypatch, case
):
    (script, flag) = SIZE_FLAGS[case]
    no_stage_runs(monkeypatch)
    out = tmp_path / "out"
    argv = {
        build_dogs_vs_cats: build_args(sample["train"], out),
        chapter: ["--train", sample["train"], "--test", sample["test"], "--output-dir", out],
        extract_features: ["--dataset", sample["train"], "--output", out / "f.hdf5",
                           "--backbone", "mobilenet_v2", "--weights", "none"],
        predict: predict_with(sample, out, tiny_classifier(tmp_path / "lr.json", input_size=None))
        if flag == "--feature-size"
        else ["--images", sample["test"], "--model", tmp_path / "absent.keras", "--mean",
              tmp_path / "absent.json", "--output", out / "s.csv"],
    }[script]  # fmt: skip
    (code, _, err) = call_main(script, [*argv, flag, TOO_LARGE], capsys)
    one_line_error(code, err, f"{flag}: {TOO_LARGE} is not from 1 to {LARGEST_SIZE} pixels")
    assert not out.exists()


# ---- other counts from outside: threads and pixels -----------------------------

COUNTED = {"workers": "threads", "maxPixels": "pixels"}  # a flag's dest: what it counts


@pytest.mark.parametrize("name", SCRIPT_NAMES)
def test_every_thread_and_pixel_count_flag_stops_at_its_bound(name):
    """--workers and --max-pixels had no upper bound: a flag counting
    threads or pixels takes whole numbers from 1 to its bound, in every
    script that has one."""
    parser = importlib.import_module(f"dogs_vs_cats.{name}").make_parser()
    for action in parser._actions:
        unit = COUNTED.get(action.dest)
        if unit is None:
            continue
        assert action.type(str(MOST[unit])) == MOST[unit]
        for bad in (MOST[unit] + 1, 0, "2.5", "many"):
            with pytest.raises(
                argparse.ArgumentTypeError, match="is not from 1 to|expected a positive integer"
            ):
                action.type(str(bad))


def test_the_chapter_refuses_too_many_threads_or_pixels_in_one_line(sample, tmp_path, capsys,
                                                                     monkeypatch):  # fmt: skip
    from pyimagesearch.errors import ArgumentError
    from pyimagesearch.pipeline.chapter import check_settings
    from pyimagesearch.pipeline.chapterstages import ChapterSettings

    no_stage_runs(monkeypatch)
    out = tmp_path / "out"
    argv = ["--train", sample["train"], "--output-dir", out, "--workers", MOST["threads"] + 1]
    (code, _, err) = call_main(chapter, argv, capsys)
    one_line_error(code, err, f"--workers: {MOST['threads'] + 1} is not from 1 to 1,024 threads")
    # a library caller, likewise, before any stage
    with pytest.raises(ArgumentError, match="is not from 1 to 1,073,741,824 pixels"):
        check_settings(ChapterSettings(train=sample["train"], outputDir=str(out),
                                       maxPixels=2**30 + 1))  # fmt: skip
    assert not out.exists()
