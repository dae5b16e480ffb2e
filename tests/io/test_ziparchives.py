"""`io.ziparchives`: the archives inside Kaggle's bundle -- damaged, deflated,
over the size limit or the free space, nested deeper or named twice, or
named in capitals -- are read or refused in one line naming bundle and
member (issue 34, items 7, 8 and 13)."""

import struct
import tracemalloc
import zipfile

import pytest

from conftest import ROOT, call_main
from helpers import finishes, jpeg, zip_bytes
from pyimagesearch.io import ziparchives
from pyimagesearch.io.imagefiles import labelled_image_files, list_image_files


def test_an_inner_archive_named_in_capitals_is_read(tmp_path):
    """TRAIN.ZIP was listed as an inner archive but its photos were not
    found in it: every one skipped."""
    import io

    inner = io.BytesIO()
    with zipfile.ZipFile(inner, "w") as archive:
        archive.writestr("cat.0.jpg", b"\xff\xd8a")
    with zipfile.ZipFile(tmp_path / "bundle.zip", "w") as archive:
        archive.writestr("TRAIN.ZIP", inner.getvalue())
    (images, skipped) = list_image_files(str(tmp_path / "bundle.zip"))
    assert [f.name for f in images] == ["TRAIN.ZIP/cat.0.jpg"] and skipped == []
    assert images[0].read_bytes() == b"\xff\xd8a"


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
