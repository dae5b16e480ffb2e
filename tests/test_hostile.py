"""The faults users meet: full disks, hostile images and archives, damaged
files, two runs at once, signals. Each case is made here; each asserts the
exit status, the one line, the state of the outputs and that a rerun works."""

import contextlib
import json
import os
import signal
import stat
import struct
import subprocess
import sys
import zipfile

import cv2
import h5py
import numpy as np
import pytest
from test_faults import one_line_error, run_killed_at
from test_imagefiles import read_sizes

from conftest import SCRIPTS, build_args, call_main, run_script
from dogs_vs_cats import build_dogs_vs_cats, crop_accuracy, extract_features, predict, train_model


def snapshot(folder):
    """{relative path: bytes} of every regular file under `folder` (the
    kind of anything else: a FIFO is never opened), but for locks."""

    def content(path):
        mode = os.lstat(path).st_mode
        return open(path, "rb").read() if stat.S_ISREG(mode) else stat.S_IFMT(mode)

    return {
        os.path.relpath(os.path.join(d, f), folder): content(os.path.join(d, f))
        for d, _, files in os.walk(folder)
        for f in files
        if not f.endswith(".lock")
    }


def leftovers(folder):
    return [p for p in snapshot(folder) if ".partial" in p or ".previous" in p]


@contextlib.contextmanager
def small_disk(path, size):
    """A tmpfs of `size` at `path` (root only), unmounted afterwards."""
    os.makedirs(path, exist_ok=True)
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)], capture_output=True
    )
    if mounted.returncode != 0:
        pytest.skip(
            "mounting a small file system needs root; RLIMIT_FSIZE cannot stand in "
            "for a full disk with HDF5, whose metadata lies past any limit"
        )
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], capture_output=True)


def fill(folder, leave):
    """Fill the file system of `folder` but for about `leave` bytes."""
    free = os.statvfs(folder).f_bavail * os.statvfs(folder).f_frsize
    with open(os.path.join(folder, "ballast"), "wb") as f:
        f.write(b"\0" * max(0, free - leave))


# ---- full or read-only disks ------------------------------------------------


def test_a_full_disk_during_the_build_is_one_line_and_leaves_the_old_build(
    sample, tmp_path, capsys
):
    with small_disk(tmp_path / "disk", "8m") as disk:
        old = build_args(sample["train"], disk, "--size", 40)
        code, _, err = call_main(build_dogs_vs_cats, old, capsys)
        assert code == 0, err
        before = snapshot(disk)
        fill(disk, 150_000)
        code, _, err = call_main(
            build_dogs_vs_cats, build_args(sample["train"], disk, "--force"), capsys
        )
        line = one_line_error(code, err, "cannot be written", "No space left on device")
        assert str(disk) in line
        assert {k: v for k, v in snapshot(disk).items() if k != "ballast"} == {
            k: v for k, v in before.items()
        }
        assert not leftovers(disk)
        os.remove(disk / "ballast")
        code, _, err = call_main(
            build_dogs_vs_cats, build_args(sample["train"], disk, "--force"), capsys
        )
        assert code == 0, err


# A build whose disk another process fills after each look at the free space:
# every write HDF5 makes can fail, at any point of the file.
RACED_BUILD = """
import os, sys
from dogs_vs_cats import build_dogs_vs_cats
os.statvfs = lambda path: os.statvfs_result((4096, 4096, 1 << 30, 1 << 30, 1 << 30,
                                             1 << 20, 1 << 20, 1 << 20, 0, 255))
build_dogs_vs_cats.main(sys.argv[1:])
"""


def test_a_disk_filled_by_another_process_during_the_build_never_crashes(sample, tmp_path):
    """The disk fills while HDF5 writes (the free space looked ample when
    checked): creating the file, in the middle of the splits, or at their
    close. Each time: exit 2, one line, the old build intact and nothing
    partial left -- HDF5 once crashed the process at exit (139) when one of
    its writes failed, leaving its partial files behind."""
    with small_disk(tmp_path / "disk", "4m") as disk:
        code = run_raced_build(sample, disk, "--size", 40)
        assert code.returncode == 0, code.stderr
        before = snapshot(disk)
        for leave in (0, 20_000, 120_000, 400_000, 600_000):
            fill(disk, leave)
            result = run_raced_build(sample, disk, "--force")
            assert result.returncode == 2, (leave, result.returncode, result.stderr[-2000:])
            one_line_error(2, result.stderr, "cannot be written", "No space left on device")
            assert {k: v for k, v in snapshot(disk).items() if k != "ballast"} == before
            assert not leftovers(disk) and not [p for p in os.listdir(disk) if "partial" in p]
            os.remove(disk / "ballast")


def run_raced_build(sample, disk, *extra):
    argv = [str(a) for a in build_args(sample["train"], disk, *extra)]
    return subprocess.run([sys.executable, "-c", RACED_BUILD, *argv], cwd=SCRIPTS,
                          env=dict(os.environ, PYTHONPATH=os.path.dirname(SCRIPTS)),
                          capture_output=True, text=True, timeout=120)  # fmt: skip


def predict_args(images, model, mean, output):
    """predict.py's arguments: the photos of `images` resized to 16 x 16 for `model`."""
    return ["--images", images, "--model", model, "--mean", mean, "--size", 16, "--output", output]


def test_a_full_disk_for_features_json_and_csv_is_one_line_each(built, sample, tmp_path, capsys):
    from test_alignment import flat_model

    flat_model(tmp_path / "flat.keras")
    with small_disk(tmp_path / "disk", "2m") as disk:
        fill(disk, 0)
        cases = [
            (
                extract_features,
                [
                    "--dataset",
                    sample["train"],
                    "--output",
                    disk / "f.hdf5",
                    "--backbone",
                    tmp_path / "flat.keras",
                    "--layer",
                    "colour",
                    "--mean",
                    built["mean"],
                ],
                disk / "f.hdf5",
            ),
            (
                predict,
                predict_args(
                    sample["test"], tmp_path / "flat.keras", built["mean"], disk / "s.csv"
                ),
                disk / "s.csv",
            ),
        ]
        for module, argv, output in cases:
            code, _, err = call_main(module, argv, capsys)
            one_line_error(code, err, output, "cannot be written")
            assert not output.exists() and not leftovers(disk)


def test_a_read_only_model_folder_fails_before_training(built, tmp_path, capsys):
    from conftest import train_args
    from dogs_vs_cats import train_alexnet

    readonly = tmp_path / "readonly"
    readonly.mkdir()
    if (
        subprocess.run(
            ["mount", "-t", "tmpfs", "-o", "ro,size=1m", "tmpfs", str(readonly)],
            capture_output=True,
        ).returncode
        != 0
    ):
        os.chmod(readonly, 0o500)
        if os.access(readonly, os.W_OK):
            pytest.skip("cannot make a folder this user may not write")
    try:
        argv = train_args(built, tmp_path / "run") + ["--model", readonly / "alexnet.keras"]
        code, out, err = call_main(train_alexnet, argv, capsys)
        one_line_error(code, err, readonly / "alexnet.keras", "cannot be written")
        assert "compiling" not in out and not (tmp_path / "run").exists()
    finally:
        subprocess.run(["umount", "-l", str(readonly)], capture_output=True)


def test_a_finished_run_whose_model_save_failed_writes_it_on_resume(
    built, trained, tmp_path, capsys
):
    import shutil

    from conftest import train_args
    from dogs_vs_cats import train_alexnet

    out = tmp_path / "run"
    shutil.copytree(trained["dir"], out)
    os.remove(out / "alexnet.keras")  # the final save failed
    code, text, err = call_main(train_alexnet, train_args(built, out) + ["--resume"], capsys)
    assert code == 0, err
    assert "has trained all 1 epochs" in text and (out / "alexnet.keras").exists()


# ---- the build's outputs are one set ----------------------------------------


def test_commit_files_puts_all_in_place_or_none(tmp_path, monkeypatch):
    from pyimagesearch.utils import files

    finals = [tmp_path / f"{k}.out" for k in "abc"]
    for final in finals:
        final.write_text("old")
    partials = []
    for final in finals:
        partial = files.new_partial(str(final))
        open(partial, "w").write("new")
        partials.append(partial)
    real_replace, calls = os.replace, []

    def failing_replace(source, target):
        calls.append(target)
        if len(calls) == 5:  # after two of the three new files are in place
            raise OSError(28, "No space left on device")
        real_replace(source, target)

    monkeypatch.setattr(files.os, "replace", failing_replace)
    with pytest.raises(OSError):
        files.commit_files(list(zip(partials, map(str, finals))))
    monkeypatch.setattr(files.os, "replace", real_replace)
    assert [f.read_text() for f in finals] == ["old"] * 3
    assert sorted(os.listdir(tmp_path)) == ["a.out", "b.out", "c.out"]
    partials = [files.new_partial(str(final)) for final in finals]  # the others are gone
    for partial in partials:
        open(partial, "w").write("new")
    files.commit_files(list(zip(partials, map(str, finals))))
    assert [f.read_text() for f in finals] == ["new"] * 3
    assert sorted(os.listdir(tmp_path)) == ["a.out", "b.out", "c.out"]


# ---- oversized and lying images ---------------------------------------------


def huge_headers():
    """{name: bytes} of small files whose headers claim huge images."""
    png = (
        b"\x89PNG\r\n\x1a\n"
        + struct.pack(">I", 13)
        + b"IHDR"
        + struct.pack(">IIBBBBB", 30000, 30000, 8, 2, 0, 0, 0)
        + b"\0" * 4
        + b"\0\0\0\x0aIDAT"
        + b"x\x9c"
        + b"\0" * 12
    )
    bmp = (
        b"BM"
        + struct.pack("<IHHI", 126, 0, 0, 54)
        + struct.pack("<IiiHH", 40, 100000, 100000, 1, 24)
        + b"\0" * 72
    )
    jpeg = bytearray(cv2.imencode(".jpg", np.zeros((8, 8, 3), np.uint8))[1].tobytes())
    sof = jpeg.index(b"\xff\xc0")
    jpeg[sof + 5 : sof + 9] = struct.pack(">HH", 60000, 60000)  # patched size fields
    gif = b"GIF89a" + struct.pack("<HH", 65000, 65000) + b"\0" * 20
    tiff = (
        b"II*\x00"
        + struct.pack("<I", 8)
        + struct.pack("<H", 2)
        + struct.pack("<HHII", 256, 4, 1, 200000)
        + struct.pack("<HHII", 257, 4, 1, 200000)
        + b"\0" * 8
    )
    webp = (
        b"RIFF"
        + struct.pack("<I", 30)
        + b"WEBPVP8X"
        + struct.pack("<I", 10)
        + b"\0" * 4
        + (16383).to_bytes(3, "little")
        + (16383).to_bytes(3, "little")
    )
    return {
        "cat.800.png": png,
        "dog.801.bmp": bmp,
        "cat.802.jpg": bytes(jpeg),
        "dog.803.gif": gif,
        "cat.804.tif": tiff,
        "dog.805.webp": webp,
    }


def test_header_sizes_of_every_format_are_read_without_decoding():
    from pyimagesearch.io.imageheaders import image_size

    sizes = {name: image_size(data) for name, data in huge_headers().items()}
    assert sizes == {
        "cat.800.png": (30000, 30000),
        "dog.801.bmp": (100000, 100000),
        "cat.802.jpg": (60000, 60000),
        "dog.803.gif": (65000, 65000),
        "cat.804.tif": (200000, 200000),
        "dog.805.webp": (16384, 16384),
    }


def test_oversized_images_are_skipped_before_decoding_everywhere(sample, tmp_path, capsys):
    from pyimagesearch.io.imagefiles import decode_image

    photos = tmp_path / "photos"
    photos.mkdir()
    for name in os.listdir(sample["train"]):
        os.link(os.path.join(sample["train"], name), photos / name)
    for name, data in huge_headers().items():
        (photos / name).write_bytes(data)
        assert decode_image(data).startswith("too large")
    code, out, err = call_main(build_dogs_vs_cats, build_args(photos, tmp_path), capsys)
    assert code == 0, err
    report = json.loads((tmp_path / "hdf5" / "build_record.json").read_text())
    reasons = {item["file"]: item["reason"] for item in report["skipped"]}
    assert all(reasons[name].startswith("too large") for name in huge_headers())
    code, _, err = call_main(
        build_dogs_vs_cats, build_args(photos, tmp_path / "small", "--max-pixels", 50 * 50), capsys
    )
    assert code == 2 and "usable photos" in err  # the limit is the user's to set

    tests = tmp_path / "test"
    tests.mkdir()
    (tests / "1.jpg").write_bytes(huge_headers()["cat.802.jpg"])
    os.link(os.path.join(sample["test"], "2.jpg"), tests / "2.jpg")
    from test_alignment import flat_model

    flat_model(tmp_path / "flat.keras")
    code, out, err = call_main(
        predict,
        [
            "--images",
            tests,
            "--model",
            tmp_path / "flat.keras",
            "--mean",
            tmp_path / "mean.json",
            "--size",
            16,
            "--output",
            tmp_path / "s.csv",
        ],
        capsys,
    )
    assert code == 0, err
    assert (tmp_path / "s.csv").read_text().splitlines()[1] == "1,0.500000"
    assert "1.jpg: too large" in out


# ---- hostile or damaged archives and folders --------------------------------


def test_damaged_and_hostile_archive_members_are_skipped(sample, tmp_path, capsys):
    good = sorted(os.listdir(sample["train"]))
    archive = tmp_path / "train.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as z:
        for name in good:
            z.write(os.path.join(sample["train"], name), f"train/{name}")
        z.writestr("train/cat.900.jpg", b"\x01" * 5000)  # to be corrupted below
        z.writestr("train/dog.901.jpg", b"\x02" * 100)  # its declared size patched below
        with pytest.warns(UserWarning, match="Duplicate name"):
            z.writestr(
                f"train/{good[0]}", open(os.path.join(sample["train"], good[1]), "rb").read()
            )
    data = bytearray(archive.read_bytes())
    with zipfile.ZipFile(archive) as z:
        corrupt = z.getinfo("train/cat.900.jpg")
    start = corrupt.header_offset + 30 + len(corrupt.filename)
    data[start : start + 8] = b"\xff" * 8  # a corrupt deflate stream
    # the central directory record of dog.901.jpg: its name starts 46 bytes in
    record = data.rindex(b"train/dog.901.jpg") - 46
    assert data[record : record + 4] == b"PK\x01\x02"
    data[record + 24 : record + 28] = struct.pack("<I", 2**32 - 1)  # uncompressed: 4 GB
    archive.write_bytes(bytes(data))
    code, out, err = call_main(build_dogs_vs_cats, build_args(archive, tmp_path), capsys)
    assert code == 0, err
    report = json.loads((tmp_path / "hdf5" / "build_record.json").read_text())
    reasons = {item["file"]: item["reason"] for item in report["skipped"]}
    assert reasons["train/cat.900.jpg"].startswith("cannot be read")
    assert reasons["train/dog.901.jpg"].startswith("too large")
    assert reasons[f"train/{good[0]}"] == "duplicate name in the archive"
    assert sum(report["used"].values()) == len(good)  # every good photo once, none twice


def test_a_fifo_named_like_a_photo_is_skipped_not_read(sample, tmp_path, capsys):
    photos = tmp_path / "photos"
    photos.mkdir()
    for name in os.listdir(sample["train"]):
        os.link(os.path.join(sample["train"], name), photos / name)
    os.mkfifo(photos / "cat.999.jpg")  # reading it would wait forever
    code, _, err = call_main(build_dogs_vs_cats, build_args(photos, tmp_path), capsys)
    assert code == 0, err
    report = json.loads((tmp_path / "hdf5" / "build_record.json").read_text())
    assert {"file": "cat.999.jpg", "reason": "not a regular file"} in report["skipped"]


# ---- damaged or odd HDF5 files ----------------------------------------------


def odd_hdf5(path, case):
    with h5py.File(path, "w") as db:
        labels = np.arange(20) % 2
        if case == "group":
            db.create_group("images")
        elif case == "rank":
            db["images"] = np.zeros((20, 72, 72), np.uint8)
        elif case == "loop":  # a soft link to itself
            db["images"] = h5py.SoftLink("/images")
        elif case == "complex":
            db["images"] = np.zeros((20, 72, 72, 3), np.complex64)
        else:
            db["images"] = np.zeros((20, 72, 72, 3), np.uint8)
        if case == "huge":  # a few KB declaring 4 x 10^8 labels (3.2 GB to read)
            db.create_dataset("labels", shape=(4 * 10**8,), dtype="int64", chunks=(4096,))
        elif case == "external":  # labels read from another file
            outside = path.parent / "outside.bin"
            outside.write_bytes(labels.astype("int64").tobytes())
            db.create_dataset("labels", (20,), "int64", external=[(str(outside), 0, 160)])
        else:
            db["labels"] = {
                "float": labels.astype("float32"),
                "nan": np.full(20, np.nan),
                "bytes": np.array([b"cat", b"dog"] * 10),
                "onehot": np.eye(2)[labels],
            }.get(case, labels)
        db["label_names"] = np.array([b"cat", b"dog"])


@pytest.mark.parametrize("case", ["group", "rank", "float", "nan", "bytes", "onehot", "loop",
                                  "complex", "huge", "external"])  # fmt: skip
def test_odd_hdf5_files_are_refused_when_opened(built, trained, tmp_path, capsys, case):
    path = tmp_path / f"{case}.hdf5"
    odd_hdf5(path, case)
    code, out, err = call_main(
        crop_accuracy,
        ["--test", path, "--mean", built["mean"], "--model", trained["model"]],
        capsys,
    )
    one_line_error(code, err, path)


def test_corrupt_hdf5_metadata_and_single_class_features(built, tmp_path, capsys):
    data = bytearray(open(built["test"], "rb").read())
    data[100:400] = b"\xff" * 300  # the superblock and root group
    (tmp_path / "corrupt.hdf5").write_bytes(bytes(data))
    code, _, err = call_main(
        train_model,
        ["--db", tmp_path / "corrupt.hdf5", "--classifier", tmp_path / "lr.json"],
        capsys,
    )
    one_line_error(code, err, "corrupt.hdf5")
    with h5py.File(tmp_path / "one.hdf5", "w") as db:
        db["features"] = np.random.default_rng(0).normal(size=(20, 4)).astype("float32")
        db["labels"] = np.zeros(20, int)
        db["label_names"] = np.array([b"cat", b"dog"])
    code, _, err = call_main(
        train_model, ["--db", tmp_path / "one.hdf5", "--classifier", tmp_path / "lr.json"], capsys
    )
    one_line_error(code, err, "one.hdf5", "one class only")
    assert not (tmp_path / "lr.json").exists()


# ---- two runs at once --------------------------------------------------------


def test_a_second_run_into_the_same_outputs_refuses_at_once(built, sample, tmp_path, capsys):
    from test_alignment import flat_model

    from conftest import train_args
    from dogs_vs_cats import train_alexnet
    from pyimagesearch.utils.locks import output_lock

    flat_model(tmp_path / "flat.keras")
    first = tmp_path / "first"
    code, _, err = call_main(build_dogs_vs_cats, build_args(sample["train"], first), capsys)
    assert code == 0, err
    before = snapshot(first)
    cases = [
        (build_dogs_vs_cats, build_args(sample["train"], first, "--force"), first / "hdf5"),
        (
            extract_features,
            [
                "--dataset",
                sample["train"],
                "--output",
                first / "f.hdf5",
                "--backbone",
                "mobilenet_v2",
                "--weights",
                "none",
            ],
            first / "f.hdf5",
        ),
        (train_alexnet, train_args(built, first / "run"), first / "run"),
        (
            predict,
            predict_args(sample["test"], tmp_path / "flat.keras", built["mean"], first / "s.csv"),
            first / "s.csv",
        ),
    ]
    for module, argv, held in cases:
        with output_lock(held):  # the first run, still going
            code, out, err = call_main(module, argv, capsys)
        one_line_error(code, err, held, "being written by another run")
        assert snapshot(first) == before  # nothing of the first run touched
    assert (
        call_main(build_dogs_vs_cats, build_args(sample["train"], first, "--force"), capsys)[0] == 0
    )


# ---- paths are data ------------------------------------------------------------


def test_paths_with_glob_characters_work_for_checkpoints(tmp_path):
    import keras

    from pyimagesearch.callbacks import EpochCheckpoint, latest_checkpoint

    folder = tmp_path / "run[1]*?"
    other = tmp_path / "run1x"  # what the pattern would match
    other.mkdir()
    (other / "checkpoint-epoch-009.keras").write_bytes(b"")
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    model.compile("sgd", "mse")
    model.fit(
        np.zeros((4, 2)),
        np.zeros((4, 1)),
        epochs=3,
        verbose=0,
        callbacks=[EpochCheckpoint(str(folder))],
    )
    assert latest_checkpoint(str(folder)) == (str(folder / "checkpoint-epoch-003.keras"), 3)
    assert sorted(os.listdir(folder)) == ["checkpoint-epoch-003.keras"]  # older ones pruned
    assert (other / "checkpoint-epoch-009.keras").exists()


def test_a_build_into_a_folder_with_glob_characters(sample, tmp_path, capsys):
    out = tmp_path / "out [a]*?"
    code, _, err = call_main(build_dogs_vs_cats, build_args(sample["train"], out), capsys)
    assert code == 0 and (out / "hdf5" / "train.hdf5").exists(), err


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


# ---- untrusted classifier and model files ---------------------------------------


@pytest.mark.parametrize(
    "change",
    [
        {"coef": [[float("nan"), 1.0]]},
        {"coef": [[1e400, 1.0]]},
        {"intercept": [0.0, 1.0]},
        {"coef": [[1.0], [2.0, 3.0]]},
        {"classes": [0]},
        {"classes": None},
        {"coef": "x"},
    ],
)
def test_classifier_files_are_checked_as_untrusted(tmp_path, change):
    from pyimagesearch.pipeline.classifier import FORMAT, load_logistic_regression

    data = {
        "format": FORMAT,
        "params": {"C": 1.0},
        "classes": [0, 1],
        "coef": [[1.0, 2.0]],
        "intercept": [0.5],
        "label_names": ["cat", "dog"],
    }
    load_logistic_regression(_write(tmp_path / "ok.json", data))
    text = json.dumps({**data, **change}).replace("Infinity", "1e400")
    path = tmp_path / "bad.json"
    path.write_text(text)
    with pytest.raises(ValueError, match="bad.json"):
        load_logistic_regression(str(path))


def test_absurdly_nested_or_nan_classifier_json_is_one_line(sample, tmp_path, capsys):
    (tmp_path / "deep.json").write_text("[" * 100000 + "]" * 100000)
    (tmp_path / "nan.json").write_text('{"format": "x", "coef": NaN}')
    for name in ("deep.json", "nan.json"):
        code, _, err = call_main(
            predict,
            [
                "--images",
                sample["test"],
                "--classifier",
                tmp_path / name,
                "--backbone",
                "mobilenet_v2",
                "--weights",
                "none",
                "--output",
                tmp_path / "s.csv",
            ],
            capsys,
        )
        one_line_error(code, err, name)


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
    from test_alignment import flat_model

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


def _write(path, data):
    path.write_text(json.dumps(data))
    return str(path)


def _mean(folder):
    return _write(folder / "mean.json", {"R": 120.0, "G": 110.0, "B": 100.0})


# ---- planted files at output, temporary and lock paths --------------------------


def plant(path, kind, victim):
    """Put a `kind` ("link" to `victim`, "fifo", "device": a character
    device like /dev/null, root only) at `path`."""
    if kind == "link":
        os.symlink(victim, path)
    elif kind == "fifo":
        os.mkfifo(path)
    elif os.geteuid() == 0:
        os.mknod(path, 0o666 | stat.S_IFCHR, os.makedev(1, 3))
    else:
        pytest.skip("making a device node needs root")


@pytest.mark.parametrize("kind", ["link", "fifo", "device"])
def test_an_output_that_is_not_a_regular_file_is_never_replaced(sample, tmp_path, capsys, kind):
    """crop_accuracy.py once turned a character device at --output into a
    regular file, and predict.py --force replaced a link: refused now,
    --force or not, and the thing planted is left as it was."""
    from test_alignment import flat_model

    from pyimagesearch.utils.files import write_json

    flat_model(tmp_path / "flat.keras")
    victim = tmp_path / "victim"
    victim.write_text("precious")
    mean = tmp_path / "mean.json"
    write_json(mean, {"R": 1.0, "G": 2.0, "B": 3.0})
    for number, extra in enumerate(([], ["--force"])):
        output = tmp_path / f"out{number}.csv"
        plant(output, kind, victim)
        before = os.lstat(output)
        argv = predict_args(sample["test"], tmp_path / "flat.keras", mean, output) + extra
        (code, _, err) = call_main(predict, argv, capsys)
        one_line_error(code, err, output, "not a regular file: refusing to replace it")
        after = os.lstat(output)
        assert (after.st_mode, after.st_ino) == (before.st_mode, before.st_ino)
    with pytest.raises(FileExistsError, match="not a regular file"):
        write_json(output, {})
    assert victim.read_text() == "precious" and not leftovers(tmp_path)


def test_links_planted_at_temporary_and_lock_names_are_never_followed(sample, tmp_path, capsys):
    """The temporary names were predictable (.s.partial.csv, .NAME.probe):
    a root run wrote through links planted there. Temporaries now live in
    folders made for them; a link or FIFO at a lock name is refused at
    once, with one line, instead of being followed or waited on."""
    from test_alignment import flat_model

    from pyimagesearch.utils.files import check_writable

    flat_model(tmp_path / "flat.keras")
    victim = tmp_path / "victim"
    victim.write_text("precious")
    mean = tmp_path / "mean.json"
    mean.write_text('{"R": 1.0, "G": 2.0, "B": 3.0}')
    out = tmp_path / "out"
    out.mkdir()
    for name in (".s.partial.csv", ".s.csv.partial", ".a.partial.keras.probe"):
        os.symlink(victim, out / name)
    check_writable(str(out / "a.keras"))
    argv = predict_args(sample["test"], tmp_path / "flat.keras", mean, out / "s.csv")
    (code, _, err) = call_main(predict, argv, capsys)
    assert code == 0, err
    assert victim.read_text() == "precious" and (out / "s.csv").read_text().startswith("id,")
    for kind in ("link", "fifo"):
        lock = out / f".t{kind}.csv.lock"
        plant(lock, kind, victim)
        argv = predict_args(sample["test"], tmp_path / "flat.keras", mean, out / f"t{kind}.csv")
        (code, _, err) = call_main(predict, argv, capsys)  # a FIFO once hung here
        one_line_error(code, err, lock, "lock file")
        assert not (out / f"t{kind}.csv").exists()
    assert victim.read_text() == "precious"


def test_a_mean_that_names_a_split_is_refused_and_the_old_build_kept(sample, tmp_path, capsys):
    """--mean hdf5/train.hdf5 --force made two temporary names collide and
    left train.hdf5 replaced by the mean's JSON."""
    (code, _, err) = call_main(build_dogs_vs_cats, build_args(sample["train"], tmp_path), capsys)
    assert code == 0, err
    before = snapshot(tmp_path)
    argv = build_args(sample["train"], tmp_path, "--mean", tmp_path / "hdf5/train.hdf5", "--force")
    (code, _, err) = call_main(build_dogs_vs_cats, argv, capsys)
    one_line_error(code, err, tmp_path / "hdf5/train.hdf5", "--mean")
    assert snapshot(tmp_path) == before


def test_a_signal_during_the_commit_waits_until_every_file_is_in_place(tmp_path, monkeypatch):
    """A SIGTERM right after the first rename once left train.hdf5 missing
    and its old copy hidden: now it arrives after the commit, which is
    whole."""
    from pyimagesearch.utils import files

    finals = [tmp_path / f"{k}.out" for k in "abc"]
    pairs = []
    for final in finals:
        final.write_text("old")
        partial = files.new_partial(str(final))
        open(partial, "w").write("new")
        pairs.append((partial, str(final)))
    real_replace = os.replace

    def replace_then_signal(source, target):
        real_replace(source, target)
        os.kill(os.getpid(), signal.SIGTERM)

    def interrupt(signum, frame):
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, interrupt)
    monkeypatch.setattr(files.os, "replace", replace_then_signal)
    try:
        with pytest.raises(KeyboardInterrupt):
            files.commit_files(pairs)
    finally:
        signal.signal(signal.SIGTERM, previous)
        monkeypatch.setattr(files.os, "replace", real_replace)
    assert [f.read_text() for f in finals] == ["new"] * 3
    assert sorted(os.listdir(tmp_path)) == ["a.out", "b.out", "c.out"]


# ---- every output: --force, a lock, and never one of the run's inputs ------------


def write_separable_features(path):
    from pyimagesearch.io import HDF5DatasetWriter

    labels = np.arange(40) % 2
    features = np.random.default_rng(0).normal(size=(40, 3)).astype("float32")
    features[:, 0] += 4 * labels
    with HDF5DatasetWriter((40, 3), str(path), dataKey="features") as writer:
        writer.add(features, labels)
        writer.storeClassLabels(["cat", "dog"])
        # a network none of these rows trained: the book's split of rows holds
        writer.db.attrs["backbone_kind"] = "keras.applications"


def test_the_classifier_and_its_report_replace_nothing_unasked(tmp_path, capsys):
    """train_model.py once replaced a .keras model given as --report, and
    an existing classifier, without --force."""
    features = tmp_path / "f.hdf5"
    write_separable_features(features)
    precious = tmp_path / "alexnet.keras"
    precious.write_bytes(b"a model")
    base = ["--db", features, "--jobs", 1]
    cases = [
        (["--classifier", tmp_path / "c.json", "--report", precious], precious, "already exists"),
        (["--classifier", tmp_path / "c.json", "--report", tmp_path / "c.json"],
         "--report", "another output of this run"),
        (["--classifier", tmp_path / "c.json", "--report", features], "--report",
         "an input of this run"),
    ]  # fmt: skip
    for extra, named, words in cases:
        (code, _, err) = call_main(train_model, base + extra, capsys)
        one_line_error(code, err, named, words)
    assert precious.read_bytes() == b"a model" and not (tmp_path / "c.json").exists()
    argv = base + ["--classifier", tmp_path / "c.json", "--report", tmp_path / "r.json"]
    assert call_main(train_model, argv, capsys)[0] == 0
    (code, _, err) = call_main(train_model, argv, capsys)
    one_line_error(code, err, tmp_path / "c.json", "already exists: pass --force")
    assert call_main(train_model, argv + ["--force"], capsys)[0] == 0


def test_crop_accuracy_output_needs_force_and_is_never_an_input(built, trained, tmp_path, capsys):
    """crop_accuracy.py --output once replaced the mean JSON it had read."""
    mean = tmp_path / "mean.json"
    mean.write_bytes(open(built["mean"], "rb").read())
    base = ["--test", built["test"], "--mean", mean, "--model", trained["model"]]
    (code, _, err) = call_main(crop_accuracy, base + ["--output", mean, "--force"], capsys)
    one_line_error(code, err, "--output", mean, "an input of this run")
    assert mean.read_bytes() == open(built["mean"], "rb").read()
    output = tmp_path / "figures.json"
    output.write_text("{}")
    (code, _, err) = call_main(crop_accuracy, base + ["--output", output], capsys)
    one_line_error(code, err, output, "already exists: pass --force")
    assert call_main(crop_accuracy, base + ["--output", output, "--force"], capsys)[0] == 0
    assert json.loads(output.read_text())["images"] == 10


def test_a_mean_in_place_of_the_output_folder_is_refused_not_locked_out(sample, tmp_path, capsys):
    """--mean equal to --output-dir locked itself out ("being written by
    another run")."""
    argv = build_args(sample["train"], tmp_path, "--mean", tmp_path / "hdf5")
    (code, _, err) = call_main(build_dogs_vs_cats, argv, capsys)
    one_line_error(code, err, "--mean", "another output of this run")
    assert not (tmp_path / "hdf5").exists()


def test_a_model_declaring_a_device_cache_is_refused_before_allocating(sample, tmp_path, capsys):
    """A 16 KB .keras whose DeviceRows declared [12000, 256, 256, 3] made
    predict.py allocate 3 GB before refusing it."""
    import keras

    from pyimagesearch.nn.devicerows import DeviceRows

    small = tmp_path / "small.keras"
    model = keras.Sequential([keras.Input((1,), dtype="int32"),
                              DeviceRows(np.zeros((2, 12, 12, 3), np.uint8))])  # fmt: skip
    model.save(small)
    lying = tmp_path / "lying.keras"
    with zipfile.ZipFile(small) as source, zipfile.ZipFile(lying, "w") as target:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == "config.json":
                data = data.replace(b"[2, 12, 12, 3]", b"[12000, 256, 256, 3]")
                assert b"12000" in data
            target.writestr(item, data)
    mean = tmp_path / "mean.json"
    mean.write_text('{"R": 1.0, "G": 2.0, "B": 3.0}')
    argv = predict_args(sample["test"], lying, mean, tmp_path / "s.csv")
    (code, _, err) = call_main(predict, argv, capsys)
    one_line_error(code, err, lying, "holds a training split (DeviceRows)")
    assert not (tmp_path / "s.csv").exists()


def test_a_strip_of_a_photo_is_skipped_before_its_resize_and_size_is_bounded(sample, tmp_path,
                                                                             capsys):  # fmt: skip
    """A 3 KB PNG of 1 x 1,000,000 pixels (1% of --max-pixels) made the
    aspect-aware resize ask for 15.5 GB; --size 100000 was a traceback."""
    import shutil

    photos = tmp_path / "photos"
    shutil.copytree(sample["train"], photos)
    strip = cv2.imencode(".png", np.zeros((1, 1_000_000, 3), np.uint8))[1].tobytes()
    (photos / "cat.999.png").write_bytes(strip)
    assert len(strip) < 10_000
    (code, out, err) = call_main(build_dogs_vs_cats, build_args(photos, tmp_path), capsys)
    assert code == 0, err
    assert "cat.999.png: too large (1000000 x 1 pixels: resizing it needs" in out
    argv = build_args(photos, tmp_path / "big", "--size", 100000)
    (code, _, err) = call_main(build_dogs_vs_cats, argv, capsys)
    one_line_error(code, err, "--size", "100000 is not from 1 to 2048")
    assert not (tmp_path / "big").exists()


def test_a_photo_name_that_is_not_utf8_is_listed_not_fatal(sample, tmp_path):
    """A photo named with byte 0xFF, stdout in UTF-8: every output was
    written, then the listing of skipped files died of a codec error
    (exit 2)."""
    import shutil

    photos = tmp_path / "photos"
    shutil.copytree(sample["train"], photos)
    (photos / os.fsdecode(b"cat.\xff.jpg")).write_bytes(b"")
    args = [str(a) for a in build_args(photos, tmp_path)]
    result = subprocess.run(
        [sys.executable, "build_dogs_vs_cats.py", *args], cwd=SCRIPTS, capture_output=True,
        env=dict(os.environ, PYTHONIOENCODING="utf-8"), text=True, encoding="utf-8",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "cat.\\xff.jpg: " in result.stdout
    assert (tmp_path / "hdf5" / "train.hdf5").exists()


def test_a_read_only_output_folder_names_the_output_not_its_lock(sample, tmp_path, capsys):
    """It said "[Errno 30] .../.hdf5.lock"."""
    with small_disk(tmp_path / "disk", "1m") as disk:
        subprocess.run(["mount", "-o", "remount,ro", str(disk)], check=True)
        try:
            argv = build_args(sample["train"], disk / "out")
            (code, _, err) = call_main(build_dogs_vs_cats, argv, capsys)
        finally:
            subprocess.run(["mount", "-o", "remount,rw", str(disk)], check=True)
    line = one_line_error(code, err, "cannot be written (Read-only file system)")
    assert ".lock" not in line


def test_a_keras_file_declaring_a_huge_configuration_is_refused_unread(tmp_path, monkeypatch):
    import zipfile

    from pyimagesearch.nn.modelfiles import load_model

    path = tmp_path / "model.keras"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("config.json", b" " * (32 * 2**20))  # 32 MB declared, 32 KB stored
        archive.writestr("metadata.json", b"{}")
    sizes = read_sizes(monkeypatch)
    with pytest.raises(ValueError, match="config.json declares 33554432 bytes"):
        load_model(path)
    assert sizes == []


def test_names_that_are_not_utf8_are_stored_and_shown_with_their_bytes_escaped(
    sample, tmp_path, capsys
):
    """A subfolder and a file whose names are not valid UTF-8: the build
    stores the subfolder's photos under names with the bytes escaped (h5py
    refused them: a traceback naming nothing), records the same names, and
    the report shows them (it failed on every run: surrogates not allowed)."""
    import shutil

    import h5py

    from dogs_vs_cats import build_dogs_vs_cats
    from pyimagesearch.pipeline.report import data_section

    photos = tmp_path / "photos"
    shutil.copytree(sample["train"], photos)
    odd = os.path.join(os.fsencode(photos), b"\xe9t\xe9")
    os.mkdir(odd)
    for name in ("cat.3.jpg", "dog.3.jpg"):
        os.replace(os.path.join(photos, name), os.path.join(odd, name.encode()))
    shutil.copy(
        os.path.join(photos, "cat.4.jpg"), os.path.join(os.fsencode(photos), b"caf\xe9.jpg")
    )
    out = tmp_path / "out"
    (code, printed, err) = call_main(build_dogs_vs_cats, build_args(photos, out), capsys)
    assert code == 0, err
    assert "caf\\xe9.jpg: no class label in the name" in printed
    report = json.loads((out / "hdf5" / "build_record.json").read_text())
    stored = []
    for split in ("train", "val", "test"):
        with h5py.File(out / "hdf5" / f"{split}.hdf5", "r") as db:
            names = list(db["image_names"].asstr()[()])
        assert names == report["image_names"][split]
        stored += names
    assert {"\\xe9t\\xe9/cat.3.jpg", "\\xe9t\\xe9/dog.3.jpg"} <= set(stored)

    page = data_section(report, json.loads((out / "mean.json").read_text()))
    assert "caf\\xe9.jpg" in page
    page.encode("utf-8")  # no surrogate left: the page can be written
