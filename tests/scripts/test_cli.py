"""What every script shares (`dogs_vs_cats/cli.py`): run from any folder, a
few progress lines and no TensorFlow banners, numbers out of range naming
their flag, a command-line mistake in one line, a library bug and --debug
keeping the traceback, SIGTERM handled as Ctrl-C."""

import dataclasses
import importlib
import os
import signal
import subprocess
import sys

import pytest

from conftest import SCRIPTS, build_args, call_main, run_script, train_args
from dogs_vs_cats import train_alexnet
from helpers import SCRIPT_NAMES, leftovers, one_line_error, run_killed_at
from pyimagesearch.pipeline import chapterstages

# ---- signals --------------------------------------------------------------------


def test_sigterm_is_handled_like_ctrl_c(sample, tmp_path):
    out = tmp_path / "b"
    args = build_args(sample["train"], out)
    code = run_killed_at(
        "build_dogs_vs_cats",
        args,
        "pyimagesearch.io.hdf5datasetwriter",
        "HDF5DatasetWriter.add",
        20,
        signal.SIGTERM,
    )
    assert code == 143
    assert not out.exists() or not leftovers(out)
    assert not (out / "hdf5" / "train.hdf5").exists()
    rerun = run_script("build_dogs_vs_cats", *args)
    assert rerun.returncode == 0, rerun.stderr


def test_debug_shows_the_traceback(tmp_path):
    result = run_script("build_dogs_vs_cats", "--images", tmp_path / "nope", "--debug")
    assert result.returncode != 0 and "Traceback" in result.stderr


def test_a_real_command_line_mistake_is_one_line(tmp_path):
    result = run_script("train_model", "--db", tmp_path / "missing.hdf5")
    assert result.returncode == 2
    assert result.stderr.strip().splitlines()[-1].startswith("train_model.py: error: ")
    assert "missing.hdf5 does not exist" in result.stderr and "Traceback" not in result.stderr


def test_a_library_bug_keeps_its_traceback(tmp_path):
    """A TypeError in a script's work is the program's mistake, not the
    user's: Python's traceback and exit 1, not one line and exit 2."""
    code = f"""
import os, runpy, sys
sys.argv = ["train_model.py", "--db", {str(tmp_path / "features.hdf5")!r}]
sys.path.insert(0, os.getcwd())
from pyimagesearch.pipeline import classifier
def bug(*args, **kwargs):
    return len(5)
classifier.train_logistic_regression = bug
runpy.run_path("train_model.py", run_name="__main__")
"""
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=SCRIPTS, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 1, result.stderr
    assert "Traceback" in result.stderr and "in bug" in result.stderr
    assert result.stderr.strip().splitlines()[-1].startswith("TypeError: object of type 'int'")


@pytest.mark.parametrize("flag,value", [("--lr", "inf"), ("--lr", "nan"), ("--seed", "-1")])
def test_numbers_out_of_range_name_their_flag(built, tmp_path, capsys, flag, value):
    (code, _, err) = call_main(train_alexnet, train_args(built, tmp_path) + [flag, value], capsys)
    one_line_error(code, err, flag)
    assert not list(tmp_path.iterdir())


@pytest.mark.parametrize("how", ["file", "module", "help"])
def test_scripts_run_from_anywhere(how, tmp_path):
    from conftest import ROOT

    if how == "file":
        result = run_script(
            "make_sample", "--output-dir", tmp_path / "s", "--per-class", 2, "--test-images", 1
        )
    elif how == "module":
        result = subprocess.run(
            [
                sys.executable,
                "-m",
                "dogs_vs_cats.make_sample",
                "--output-dir",
                str(tmp_path / "s"),
                "--per-class",
                "2",
                "--test-images",
                "1",
            ],
            cwd=tmp_path,
            capture_output=True,
            text=True,
        )
    else:
        result = subprocess.run(
            [sys.executable, f"{ROOT}/dogs_vs_cats/build_dogs_vs_cats.py", "--help"],
            cwd=tmp_path,
            capture_output=True,
            text=True,
        )
        assert "--val-size" in result.stdout and result.returncode == 0
        return
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in (tmp_path / "s" / "train").iterdir()) == [
        "cat.0.jpg",
        "cat.1.jpg",
        "dog.0.jpg",
        "dog.1.jpg",
    ]


def test_logs_get_a_few_progress_lines_and_no_tensorflow_banners(built, trained, sample, tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "TF_CPP_MIN_LOG_LEVEL"}
    result = subprocess.run(
        [sys.executable, "build_dogs_vs_cats.py", "--images", str(sample["train"]),
         "--output-dir", str(tmp_path / "h"), "--mean", str(tmp_path / "m.json"),
         "--val-size", "10", "--test-size", "10", "--size", "40"],
        cwd=SCRIPTS, capture_output=True, text=True, env=env,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    lines = result.stderr.splitlines()
    assert 1 <= len(lines) <= 10 and all(line.startswith("Building: ") for line in lines)
    assert lines[-1] == "Building: 100% (60/60)"
    result = subprocess.run(
        [sys.executable, "crop_accuracy.py", "--test", str(built["test"]), "--mean",
         str(built["mean"]), "--model", str(trained["model"])],
        cwd=SCRIPTS, capture_output=True, text=True, env=env,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert all(line.startswith("Evaluating: ") for line in result.stderr.splitlines()), (
        result.stderr
    )


# ---- options declared once ------------------------------------------------------

# Flags of the scripts named as a ChapterSettings option's flag that are
# another thing, with their own help: what each is instead.
OTHER_MEANINGS = {
    ("build_dogs_vs_cats", "--output-dir"): "the folder of the HDF5 splits",
    ("crop_accuracy", "--test"): "the test split's HDF5 file, not Kaggle's test photos",
    ("crop_accuracy", "--batch-size"): "test photos per step, 10 crops each",
    ("extract_features", "--batch-size"): "photos per forward pass of the backbone",
    ("make_sample", "--output-dir"): "the sample's folder",
    ("predict", "--batch-size"): "photos per forward pass",
    ("train_alexnet", "--train"): "the training split's HDF5 file, not Kaggle's photos",
    ("train_alexnet", "--output-dir"): "the folder of the plot, history and checkpoints",
}


def chapter_options():
    """{flag: (the declared help, the chapter parser's action)} of every
    ChapterSettings option, its flag as `add_settings` makes it."""
    from dogs_vs_cats import chapter

    about = {f.name: f.metadata["about"] for f in dataclasses.fields(chapterstages.ChapterSettings)}
    actions = chapter.make_parser()._actions
    return {a.option_strings[0]: (about[a.dest], a) for a in actions if a.dest in about}


@pytest.mark.parametrize("name", SCRIPT_NAMES)
def test_a_flag_naming_a_chapter_option_is_made_from_its_declaration(name):
    """Each option is declared once (`ChapterSettings`): a script's flag of
    the same name takes the declaration's help, type, choices and dest, so
    that a copy written by hand fails here. Only what its default means
    may be the script's own."""
    options = chapter_options()
    parser = importlib.import_module(f"dogs_vs_cats.{name}").make_parser()
    for action in parser._actions:
        flag = next((f for f in action.option_strings if f in options), None)
        if flag is None or (name, flag) in OTHER_MEANINGS:
            continue
        (about, declared) = options[flag]
        assert action.dest == declared.dest, (name, flag)
        assert action.help == about or action.help.startswith(f"{about} (default: "), (name, flag)
        assert (action.type, action.choices) == (declared.type, declared.choices), (name, flag)


def test_the_other_meanings_are_flags_named_as_chapter_options():
    options = chapter_options()
    for name, flag in OTHER_MEANINGS:
        parser = importlib.import_module(f"dogs_vs_cats.{name}").make_parser()
        assert flag in options and flag in parser._option_string_actions, (name, flag)
