"""The opening rule: every path a user names or a record points to is
opened through `open_input` -- a regular file, opened non-blocking, of a
bounded size by kind -- and refused in one line naming it otherwise.

Table-driven over every script's path flags and every library function
that opens an input, so that a new flag or opener inherits the test; then
Kaggle's bundle damaged, nested and inflated (issue 34, items 6-8 and 13).
"""

import glob
import importlib
import io
import os
import struct
import threading
import tracemalloc
import zipfile

import pytest

from conftest import ROOT, SCRIPTS, call_main
from dogs_vs_cats.cli import InputPath
from pyimagesearch.io import ziparchives
from pyimagesearch.io.imagefiles import labelled_image_files, list_image_files
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
    ("train_model", "--report"): "output",
    ("train_model", "--splits"): "json",
}
# The most bytes of each kind of input (None: any size, read in parts).
MAX_BYTES = {"photos": None, "hdf5": None, "json": MAX_JSON_BYTES, "model": MAX_MODEL_BYTES,
             "backbone": MAX_MODEL_BYTES, "weights": MAX_MODEL_BYTES}  # fmt: skip
# What a file of each kind is named (a backbone is a file only as .keras).
SUFFIXES = {"photos": ".zip", "hdf5": ".hdf5", "json": ".json", "model": ".keras",
            "backbone": ".keras", "weights": ".h5"}  # fmt: skip
SCRIPT_NAMES = sorted(
    os.path.basename(path)[:-3]
    for path in glob.glob(os.path.join(SCRIPTS, "*.py"))
    if "def make_parser" in open(path).read()
)
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


def finishes(call, timeout=30):
    """What `call()` returns, or raises, within `timeout` seconds: run in a
    thread, so that one still blocked (on a FIFO, say) fails the test
    instead of hanging it."""
    outcome = {}

    def target():
        try:
            outcome["value"] = call()
        except BaseException as error:  # noqa: BLE001 (raised again below)
            outcome["error"] = error

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    thread.join(timeout)
    assert not thread.is_alive(), f"still running after {timeout} s"
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]


def chapter_with(field):
    """A chapter run given `path` as its `field`, writing to `out`."""
    from pyimagesearch.pipeline.chapter import ChapterSettings, run_chapter

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


# ---- Kaggle's bundle: damaged, nested, inflated ------------------------------


def jpeg():
    import cv2
    import numpy as np

    return cv2.imencode(".jpg", np.full((8, 8, 3), 128, np.uint8))[1].tobytes()


def zip_bytes(members, compression=zipfile.ZIP_STORED):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as archive:
        for name, data in members:
            archive.writestr(name, data)
    return buffer.getvalue()


PHOTOS = [(f"train/{label}.{i}.jpg", None) for label in ("cat", "dog") for i in range(3)]


def write_bundle(path, train, compression=zipfile.ZIP_STORED, comment=b""):
    """Kaggle's bundle: `train` as its train.zip, a good test1.zip."""
    test = zip_bytes([(f"test1/{i}.jpg", jpeg()) for i in range(1, 4)])
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("train.zip", train, compress_type=compression)
        archive.writestr("test1.zip", test)
        archive.comment = comment
    return path


def good_train():
    return zip_bytes([(name, jpeg()) for name, _ in PHOTOS])


def patch_directory(path, member, offset, fmt, value):
    """Write `value` at `offset` into `member`'s central directory entry."""
    data = bytearray(path.read_bytes())
    at = 0
    while True:
        at = data.index(b"PK\x01\x02", at)
        (nameLength,) = struct.unpack_from("<H", data, at + 28)
        if data[at + 46 : at + 46 + nameLength] == member.encode():
            break
        at += 4
    struct.pack_into(fmt, data, at + offset, value)
    path.write_bytes(bytes(data))


def damaged(case, path):
    """Kaggle's bundle whose train.zip is damaged as `case` says."""
    if case == "not a zip":
        return write_bundle(path, b"these bytes are not a zip archive" * 10)
    if case in ("bad CRC", "encrypted", "unknown method", "deflated, cut short"):
        write_bundle(path, good_train(), zipfile.ZIP_DEFLATED)
        (offset, fmt, value) = {"bad CRC": (16, "<I", 12345), "encrypted": (8, "<H", 1),
                                "unknown method": (10, "<H", 99),
                                "deflated, cut short": (24, "<I", 10**6)}[case]  # fmt: skip
        patch_directory(path, "train.zip", offset, fmt, value)
        return path
    if case == "truncated local header":  # a header's signature, and too few bytes after it
        write_bundle(path, good_train(), comment=b"PK\x03\x04cut")
        patch_directory(path, "train.zip", 42, "<I", path.stat().st_size - 7)
        return path
    write_bundle(path, good_train())
    if case == "header past the end":
        patch_directory(path, "train.zip", 42, "<I", 10**8)
    elif case == "larger than its data":
        for offset in (20, 24):  # compressed and uncompressed sizes
            patch_directory(path, "train.zip", offset, "<I", 10**8)
    return path


DAMAGES = ["header past the end", "truncated local header", "bad CRC", "encrypted",
           "larger than its data", "not a zip", "unknown method",
           "deflated, cut short"]  # fmt: skip


@pytest.mark.parametrize("case", DAMAGES)
def test_a_damaged_inner_archive_is_one_line_naming_bundle_and_member(case, tmp_path, capsys):
    """Item 7: each was a traceback (exit 1) before any stage."""
    from dogs_vs_cats import chapter

    bundle = damaged(case, tmp_path / "dogs-vs-cats.zip")
    argv = ["--train", bundle, "--output-dir", tmp_path / "out"]
    (code, _, err) = finishes(lambda: call_main(chapter, argv, capsys))
    lines = err.strip().splitlines()
    assert code == 2 and len(lines) == 1 and "Traceback" not in err, err
    assert f"--train: {bundle}: its train.zip" in lines[0], lines[0]
    assert not (tmp_path / "out" / "hdf5").exists()


def bomb(path, padding):
    """A bundle whose deflated train.zip holds the photos and `padding`
    bytes of zeros: it declares `padding` and more, deflated to little."""
    inner = path.with_name("train.zip")
    with zipfile.ZipFile(inner, "w") as archive:
        for name, _ in PHOTOS:
            archive.writestr(name, jpeg())
        with archive.open("padding.bin", "w", force_zip64=True) as f:
            for _ in range(padding // 2**20):
                f.write(bytes(2**20))
    with zipfile.ZipFile(path, "w") as archive:
        archive.write(inner, "train.zip", zipfile.ZIP_DEFLATED)
    inner.unlink()
    return path


def test_a_deflated_inner_archive_is_inflated_to_disk_not_memory(tmp_path):
    """Item 8: a 128 MB inner archive cost twice that in memory to list."""
    bundle = bomb(tmp_path / "dogs-vs-cats.zip", 128 * 2**20)
    assert bundle.stat().st_size < 2 * 2**20
    tracemalloc.start()
    try:
        (_, labelled, _) = labelled_image_files(str(bundle))
        data = labelled[0].read_bytes()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert len(labelled) == len(PHOTOS) and data == jpeg()
    assert peak < 16 * 2**20, peak


def test_an_inner_archive_over_the_limit_or_the_free_space_is_one_line(tmp_path, monkeypatch):
    bundle = bomb(tmp_path / "dogs-vs-cats.zip", 4 * 2**20)
    monkeypatch.setattr(ziparchives, "MAX_INNER_ARCHIVE_BYTES", 2**20)
    with pytest.raises(ValueError, match="its train.zip declares .* more than the limit"):
        list_image_files(str(bundle))
    monkeypatch.undo()
    usage = ziparchives.shutil.disk_usage(ROOT)._replace(free=2**20)
    monkeypatch.setattr(ziparchives.shutil, "disk_usage", lambda folder: usage)
    with pytest.raises(ValueError, match="its train.zip inflates to .* set TMPDIR"):
        list_image_files(str(bundle))


def test_archives_nested_deeper_or_named_twice_are_named(tmp_path):
    """Item 13: both gave "0 labelled photos", or too few, naming neither."""
    photos = good_train()
    nested = tmp_path / "nested.zip"
    nested.write_bytes(zip_bytes([("train.zip", zip_bytes([("train.zip", photos)]))]))
    with pytest.raises(ValueError, match=r"archives inside its archives \(train.zip/train.zip\)"):
        list_image_files(str(nested))
    twice = tmp_path / "twice.zip"
    with pytest.warns(UserWarning, match="Duplicate name"):
        twice.write_bytes(zip_bytes([("train.zip", photos), ("train.zip", photos)]))
    with pytest.raises(ValueError, match="holds 2 archives named train.zip"):
        list_image_files(str(twice))


def test_a_fifo_or_device_as_photos_neither_hangs_nor_reads(tmp_path):
    """Item 6 in the library: `zipfile.is_zipfile` opened the path as it
    was, so a FIFO waited for a writer and /dev/zero was read for ever."""
    fifo = tmp_path / "train.zip"
    os.mkfifo(fifo)
    for path in (fifo, "/dev/zero"):
        with pytest.raises(ValueError, match="not a regular file"):
            finishes(lambda: list_image_files(str(path)), timeout=10)
