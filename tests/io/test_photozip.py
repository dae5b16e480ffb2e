"""`io.photozip`: damaged and hostile members of a photo archive are skipped,
duplicate names keep only the last copy, and a zip replaced under a running
process is read anew."""

import json
import os
import struct
import warnings
import zipfile

import pytest

from conftest import build_args, call_main
from dogs_vs_cats import build_dogs_vs_cats
from pyimagesearch.io.imagefiles import list_image_files

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


def test_a_zip_replaced_in_a_running_process_is_read_anew(tmp_path):
    """The open-archive cache was keyed by path alone: a second build in
    the same process read the archive that had been replaced."""
    path = tmp_path / "train.zip"
    # contents start as a JPEG does: read_bytes reads no further otherwise
    for content in (b"\xff\xd8first", b"\xff\xd8second, longer"):
        with zipfile.ZipFile(tmp_path / "new.zip", "w") as archive:
            archive.writestr("cat.1.jpg", content)
        os.replace(tmp_path / "new.zip", path)
        (images, _) = list_image_files(str(path))
        assert images[0].read_bytes() == content


def test_duplicate_names_in_an_archive_skip_every_copy_but_the_last(tmp_path):
    path = tmp_path / "train.zip"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # zipfile warns of the duplicate names
        with zipfile.ZipFile(path, "w") as archive:
            for name, content in (("cat.1.jpg", b"a"), ("dog.2.jpg", b"b"), ("cat.1.jpg", b"c"),
                                  ("cat.1.jpg", b"d"), ("notes.txt", b"e")):  # fmt: skip
                archive.writestr(name, b"\xff\xd8" + content)
    (images, skipped) = list_image_files(str(path))
    assert [f.name for f in images] == ["cat.1.jpg", "dog.2.jpg"]
    assert images[0].read_bytes() == b"\xff\xd8d"
    assert sorted((s["file"], s["reason"]) for s in skipped) == [
        ("cat.1.jpg", "duplicate name in the archive"),
        ("cat.1.jpg", "duplicate name in the archive"),
        ("notes.txt", "not an image file"),
    ]
