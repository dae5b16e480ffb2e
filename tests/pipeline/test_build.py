"""`pipeline.build`: bad photos are skipped, counted and reported; too few
usable photos, a full disk, a disk filled by another process, a kill, a mean
naming a split or the output folder leave the old build or nothing; existing
outputs need --force; every HDF5 row holds its photo; names that are not
UTF-8 are stored and shown escaped."""

import json
import os
import signal
import subprocess
import sys
import zipfile

import cv2
import h5py
import numpy as np
import pytest

from conftest import SCRIPTS, STORED_SIZE, build_args, call_main, run_script
from dogs_vs_cats import build_dogs_vs_cats
from helpers import fill, leftovers, one_line_error, run_killed_at, small_disk, snapshot

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


def test_a_build_into_a_folder_with_glob_characters(sample, tmp_path, capsys):
    out = tmp_path / "out [a]*?"
    code, _, err = call_main(build_dogs_vs_cats, build_args(sample["train"], out), capsys)
    assert code == 0 and (out / "hdf5" / "train.hdf5").exists(), err


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


def test_a_mean_in_place_of_the_output_folder_is_refused_not_locked_out(sample, tmp_path, capsys):
    """--mean equal to --output-dir locked itself out ("being written by
    another run")."""
    argv = build_args(sample["train"], tmp_path, "--mean", tmp_path / "hdf5")
    (code, _, err) = call_main(build_dogs_vs_cats, argv, capsys)
    one_line_error(code, err, "--mean", "another output of this run")
    assert not (tmp_path / "hdf5").exists()


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


def jpeg_bytes(image, quality=90):
    return cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, quality])[1].tobytes()


def messy_files(good_folder):
    """{name: bytes} of every kind of bad or unusual file, plus the good
    photos of `good_folder`; and the names that must be skipped."""
    import io

    from PIL import Image

    files = {
        name: open(os.path.join(good_folder, name), "rb").read()
        for name in sorted(os.listdir(good_folder))
    }
    whole = jpeg_bytes(np.full((60, 80, 3), 120, np.uint8))
    cmyk = io.BytesIO()
    Image.new("CMYK", (40, 30), (0, 128, 255, 0)).save(cmyk, "JPEG")
    rgba = np.zeros((30, 40, 4), np.uint8)
    rgba[..., 3] = 128
    files.update(
        {
            "cat.900.jpg": b"",  # zero bytes
            "dog.901.jpg": whole[: len(whole) // 2],  # truncated JPEG
            "dog.7.jpg": b"this is not a picture\n" * 20,  # text named like a photo
            "cat.902.png": cv2.imencode(".png", rgba)[1].tobytes(),  # PNG with alpha
            "dog.903.jpg": jpeg_bytes(np.full((50, 40), 90, np.uint8)),  # grayscale
            "cat.904.jpg": cmyk.getvalue(),  # CMYK
            "dog.905.jpg": jpeg_bytes(np.full((1, 1, 3), 200, np.uint8)),  # 1 x 1
            "cat.906.jpg": jpeg_bytes(np.full((10000, 10000, 3), 60, np.uint8), 50),  # huge
            "holiday.jpg": whole,  # no label
            "README.txt": b"photos of cats and dogs\n",  # not an image
            "nested/dog.907.jpg": whole,  # in a sub-folder
        }
    )
    skipped = {"cat.900.jpg", "dog.901.jpg", "dog.7.jpg", "holiday.jpg", "README.txt"}
    return files, skipped


@pytest.fixture(scope="module")
def messy(sample, tmp_path_factory):
    files, skipped = messy_files(sample["train"])
    folder = tmp_path_factory.mktemp("messy") / "train"
    for name, data in files.items():
        os.makedirs(os.path.dirname(folder / name), exist_ok=True)
        (folder / name).write_bytes(data)
    archive = folder.parent / "train.zip"
    with zipfile.ZipFile(archive, "w") as z:
        for name, data in files.items():
            z.writestr(f"train/{name}", data)
    return {"folder": folder, "zip": archive, "files": files, "skipped": skipped}


@pytest.mark.parametrize("source", ["folder", "zip"])
def test_bad_photos_are_skipped_counted_and_reported(messy, source, tmp_path, capsys):
    out = tmp_path / "hdf5"
    code, stdout, _ = call_main(
        build_dogs_vs_cats,
        build_args(messy[source], tmp_path),
        capsys,
    )
    assert code == 0
    report = json.loads((out / "build_record.json").read_text())
    skipped = {os.path.basename(item["file"]): item["reason"] for item in report["skipped"]}
    assert skipped == {
        "cat.900.jpg": "empty file",
        "dog.901.jpg": "truncated JPEG",
        "dog.7.jpg": "not a readable image (no PNG, JPEG, BMP, GIF, WebP or TIFF header)",
        "holiday.jpg": "no class label in the name",
        "README.txt": "not an image file",
    }
    assert report["skipped_count"] == 5 and "skipped 5 file(s)" in stdout
    # 59 good photos (the text replaced dog.7.jpg) and the 6 usable odd ones:
    # alpha, grayscale, CMYK, 1x1, huge, nested
    assert sum(report["used"].values()) == 65
    with h5py.File(out / "train.hdf5", "r") as db:
        assert db["images"].shape == (45, STORED_SIZE, STORED_SIZE, 3)


def test_too_few_usable_photos_fail_with_the_counts_and_leave_nothing(messy, tmp_path, capsys):
    out = tmp_path / "hdf5"
    code, _, err = call_main(
        build_dogs_vs_cats,
        build_args(messy["folder"], tmp_path, "--val-size", 33, "--test-size", 33, "--workers", 1),
        capsys,
    )
    # 68 names carry a label, so the split looks possible until the photos are decoded
    one_line_error(code, err, "only 65 of 70 files are usable photos", "need at least 67")
    assert not out.exists() or os.listdir(out) == []
    assert not (tmp_path / "mean.json").exists()


def test_existing_outputs_are_left_untouched_without_force(built, sample, tmp_path, capsys):
    out = tmp_path / "hdf5"
    out.mkdir()
    (out / "val.hdf5").write_bytes(b"my precious data")
    code, _, err = call_main(
        build_dogs_vs_cats,
        build_args(sample["train"], tmp_path),
        capsys,
    )
    one_line_error(code, err, "val.hdf5 already exists", "--force")
    assert (out / "val.hdf5").read_bytes() == b"my precious data"
    assert sorted(os.listdir(out)) == ["val.hdf5"]


@pytest.mark.slow
def test_killed_build_leaves_nothing_complete_and_a_rerun_succeeds(messy, tmp_path):
    out = tmp_path / "hdf5"
    args = build_args(messy["folder"], tmp_path, "--workers", 1)
    # killed after 30 of the 65 photos are stored
    code = run_killed_at(
        "build_dogs_vs_cats",
        args,
        "pyimagesearch.io.hdf5datasetwriter",
        "HDF5DatasetWriter.add",
        30,
    )
    assert code == -signal.SIGKILL
    assert [p.name for p in out.iterdir() if ".partial" in p.name]  # killed mid-write
    assert not any((out / f"{s}.hdf5").exists() for s in ("train", "val", "test"))
    assert not (tmp_path / "mean.json").exists()
    rerun = run_script("build_dogs_vs_cats", *args)
    assert rerun.returncode == 0, rerun.stderr
    with h5py.File(out / "train.hdf5", "r") as db:
        assert db["images"].shape[0] == 45
    assert not [p for p in out.iterdir() if ".partial" in p.name]
