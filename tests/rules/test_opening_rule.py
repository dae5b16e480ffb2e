"""The opening rule: every path a user names or a record points to is
opened through `open_input` -- a regular file, opened non-blocking, of a
bounded size by kind -- and refused in one line naming it otherwise.

Table-driven over every script's path flags and every library function
that opens an input, so that a new flag or opener inherits the test."""

import importlib
import os

import pytest

from conftest import ROOT, call_main
from dogs_vs_cats.cli import InputPath
from helpers import SCRIPT_NAMES, finishes
from pyimagesearch.io.imagefiles import list_image_files
from pyimagesearch.utils.files import MAX_JSON_BYTES, MAX_MODEL_BYTES

# Every option of every script that takes free text (no type converting it
# to a number, no choices), by what it names. The test below finds them by
# reading the parsers: a new one fails it until it is added here.
PATH_FLAGS = {
    ("build_dogs_vs_cats", "--images"): "photos",
    ("build_dogs_vs_cats", "--output-dir"): "output",
    ("build_dogs_vs_cats", "--mean"): "output",
    ("chapter", "--train"): "photos",
    ("chapter", "--test"): "photos",
    ("chapter", "--output-dir"): "output",
    ("chapter", "--backbone"): "backbone",
    ("chapter", "--weights"): "weights",
    ("chapter", "--layer"): "name",
    ("crop_accuracy", "--test"): "hdf5",
    ("crop_accuracy", "--mean"): "json",
    ("crop_accuracy", "--model"): "model",
    ("crop_accuracy", "--output"): "output",
    ("crop_accuracy", "--predictions"): "output",
    ("extract_features", "--dataset"): "photos",
    ("extract_features", "--output"): "output",
    ("extract_features", "--backbone"): "backbone",
    ("extract_features", "--weights"): "weights",
    ("extract_features", "--layer"): "name",
    ("extract_features", "--mean"): "json",
    ("make_sample", "--output-dir"): "output",
    ("fuse_model", "--output"): "output",
    ("fuse_model", "--classifier"): "json",
    ("fuse_model", "--backbone"): "backbone",
    ("fuse_model", "--weights"): "weights",
    ("fuse_model", "--layer"): "name",
    ("fuse_model", "--model"): "model",
    ("fuse_model", "--mean"): "json",
    ("predict", "--images"): "photos",
    ("predict", "--model"): "model",
    ("predict", "--mean"): "json",
    ("predict", "--output"): "output",
    ("predict", "--classifier"): "json",
    ("predict", "--backbone"): "backbone",
    ("predict", "--weights"): "weights",
    ("predict", "--layer"): "name",
    ("train_alexnet", "--train"): "hdf5",
    ("train_alexnet", "--val"): "hdf5",
    ("train_alexnet", "--mean"): "json",
    ("train_alexnet", "--output-dir"): "output",
    ("train_alexnet", "--model"): "output",
    ("train_alexnet", "--coordinator"): "name",
    ("train_model", "--db"): "hdf5",
    ("train_model", "--classifier"): "output",
    ("train_model", "--record"): "output",
    ("train_model", "--splits"): "json",
}


# The most bytes of each kind of input (None: any size, read in parts).
MAX_BYTES = {"photos": None, "hdf5": None, "json": MAX_JSON_BYTES, "model": MAX_MODEL_BYTES,
             "backbone": MAX_MODEL_BYTES, "weights": MAX_MODEL_BYTES}  # fmt: skip


# What a file of each kind is named (a backbone is a file only as .keras).
SUFFIXES = {"photos": ".zip", "hdf5": ".hdf5", "json": ".json", "model": ".keras",
            "backbone": ".keras", "weights": ".h5"}  # fmt: skip


REQUIRED = {"chapter": ["--train", ROOT]}  # a folder passes as photos


def free_text_options(parser):
    """{flag: action} of the options taking text that argparse does not
    convert to anything else (an `InputPath` checks it and keeps it)."""
    return {
        action.option_strings[-1]: action
        for action in parser._actions
        if action.option_strings
        and action.nargs != 0
        and action.choices is None
        and (action.type is None or isinstance(action.type, InputPath))
    }


def test_the_table_holds_every_path_flag_of_every_script():
    found = {}
    for name in SCRIPT_NAMES:
        module = importlib.import_module(f"dogs_vs_cats.{name}")
        for flag, action in free_text_options(module.make_parser()).items():
            found[(name, flag)] = action
    assert set(found) == set(PATH_FLAGS)
    for key, action in found.items():
        kind = PATH_FLAGS[key]
        if kind in MAX_BYTES:  # read: through the opening rule, as it is parsed
            assert isinstance(action.type, InputPath), key
            assert action.type.maxBytes == MAX_BYTES[kind], key
        else:
            assert action.type is None, key


def bad_input(case, kind, folder):
    """A path of `case` for an input of `kind`, made in `folder`."""
    path = folder / f"{case}{SUFFIXES[kind]}"
    if case == "FIFO":
        os.mkfifo(path)
    elif case == "character device":
        os.symlink("/dev/zero", path)  # named as the kind is named
    elif case == "folder":
        path.mkdir()
    elif case == "dangling link":
        os.symlink(folder / "nothing", path)
    elif case == "oversized":
        with open(path, "wb") as f:
            f.truncate(MAX_BYTES[kind] + 1)  # sparse: no disk space
    return path


# The cases for each kind of input, and a word each message must hold.
CASES = {"FIFO": "is a FIFO", "character device": "is a character device",
         "folder": "is a folder", "dangling link": "is a symbolic link to",
         "oversized": "bytes, more than"}  # fmt: skip


def cases_for(kind):
    return [
        case
        for case in CASES
        if not (case == "folder" and kind == "photos")
        and not (case == "oversized" and MAX_BYTES[kind] is None)
    ]


SCRIPT_CASES = [
    (name, flag, case)
    for (name, flag), kind in PATH_FLAGS.items()
    if kind in MAX_BYTES
    for case in cases_for(kind)
]


@pytest.mark.parametrize("name, flag, case", SCRIPT_CASES)
def test_every_path_flag_refuses_what_is_no_file_in_one_line(name, flag, case, tmp_path, capsys):
    module = importlib.import_module(f"dogs_vs_cats.{name}")
    path = bad_input(case, PATH_FLAGS[(name, flag)], tmp_path)
    argv = [*REQUIRED.get(name, []), flag, path] if flag != "--train" else [flag, path]
    (code, _, err) = finishes(lambda: call_main(module, argv, capsys))
    lines = err.strip().splitlines()
    assert code == 2 and len(lines) == 1 and "Traceback" not in err, err
    assert flag in lines[0] and str(path) in lines[0] and CASES[case] in lines[0], lines[0]


def chapter_with(field):
    """A chapter run given `path` as its `field`, writing to `out`."""
    from pyimagesearch.pipeline.chapter import run_chapter
    from pyimagesearch.pipeline.chapterstages import ChapterSettings

    def run(path, out):
        settings = {"train": ROOT, "outputDir": str(out), field: str(path)}
        return run_chapter(ChapterSettings(**settings))

    return run


# Every library function that opens an input a user names or a record
# points to, by the kind of input (a new one must be added here, and to
# `openers`).
OPENERS = {
    "list_image_files": "photos", "submission_template": "photos", "chapter train": "photos",
    "chapter test": "photos", "chapter backbone": "backbone", "chapter weights": "weights",
    "read_json": "json", "MeanPreprocessor.from_json": "json", "open_hdf5": "hdf5",
    "Split": "hdf5", "load_model": "model", "load_label_names": "model",
    "application_extractor": "weights",
}  # fmt: skip


def openers():
    """{name in OPENERS: a function of the path and a folder for outputs}."""
    from pyimagesearch.io.hdf5files import open_hdf5
    from pyimagesearch.io.split import Split
    from pyimagesearch.nn.backbones import application_extractor
    from pyimagesearch.nn.modelfiles import load_label_names, load_model
    from pyimagesearch.pipeline.submission import submission_template
    from pyimagesearch.preprocessing.meanpreprocessor import MeanPreprocessor
    from pyimagesearch.utils.files import read_json

    return {
        "list_image_files": lambda path, out: list_image_files(str(path)),
        "submission_template": lambda path, out: submission_template(str(path)),
        **{f"chapter {field}": chapter_with(field) for field in
           ("train", "test", "backbone", "weights")},
        "read_json": lambda path, out: read_json(path, "a record"),
        "MeanPreprocessor.from_json": lambda path, out: MeanPreprocessor.from_json(path),
        "open_hdf5": lambda path, out: open_hdf5(path),
        "Split": lambda path, out: Split(path),
        "load_model": lambda path, out: load_model(path),
        "load_label_names": lambda path, out: load_label_names(path),
        "application_extractor": lambda path, out: application_extractor("mobilenet_v2", path),
    }  # fmt: skip


LIBRARY_CASES = [(opener, case) for opener, kind in OPENERS.items() for case in cases_for(kind)]


def test_the_library_table_holds_every_opener():
    assert set(openers()) == set(OPENERS)


@pytest.mark.parametrize("opener, case", LIBRARY_CASES)
def test_every_opener_refuses_what_is_no_file_naming_it(opener, case, tmp_path):
    path = bad_input(case, OPENERS[opener], tmp_path)
    call = openers()[opener]
    with pytest.raises((OSError, ValueError)) as caught:
        finishes(lambda: call(str(path), tmp_path / "out"))
    assert str(path) in str(caught.value) and CASES[case] in str(caught.value), caught.value
