"""The photo sources (`io/imagefiles`): a folder, a .zip and Kaggle's bundle,
each listing its photos and reading one; Kaggle's naming rules; what a
running process does when an archive changes or holds hostile members."""

import gc
import os
import threading
import warnings
import zipfile

import pytest
from test_opening_rule import jpeg, zip_bytes

from pyimagesearch.io import kagglebundle, kagglenames
from pyimagesearch.io.imagefiles import (
    HEAD_BYTES,
    ImageFile,
    KaggleBundle,
    PhotoFolder,
    PhotoZip,
    list_image_files,
    load_images,
    photo_source,
)

NAMES = [  # (name, its label, its test id)
    ("cat.12.jpg", "cat", None), ("train/DOG.7.JPG", "dog", None), ("12.jpg", None, 12),
    ("test1/3.png", None, 3), ("\u0663.jpg", None, None), ("cat.\u0663.jpg", None, None),
    ("cat.12", None, None), ("cat.jpg", None, None), ("bird_cage.4.jpeg", "bird_cage", None),
]  # fmt: skip


@pytest.mark.parametrize("name, label, test_id", NAMES)
def test_kaggle_names_give_a_label_or_a_test_id(name, label, test_id):
    assert (kagglenames.label_of(name), kagglenames.test_id_of(name)) == (label, test_id)


@pytest.fixture
def sources(tmp_path):
    """{kind: path} of the same two photos as a folder, a zip and a bundle
    (its train.zip deflated, and smaller than a file buffer: it was
    unreadable, its inflated bytes left in the buffer of the file read)."""
    photos = [("cat.1.jpg", jpeg()), ("dog.2.jpg", jpeg())]
    folder = tmp_path / "photos"
    folder.mkdir()
    for name, data in photos:
        (folder / name).write_bytes(data)
    flat = tmp_path / "train.zip"
    flat.write_bytes(zip_bytes(photos))
    bundle = tmp_path / "dogs-vs-cats.zip"
    with zipfile.ZipFile(bundle, "w") as archive:
        archive.writestr("train.zip", zip_bytes(photos), compress_type=zipfile.ZIP_DEFLATED)
    return {PhotoFolder: folder, PhotoZip: flat, KaggleBundle: bundle}


def test_each_source_is_recognised_and_reads_what_a_photo_made_by_hand_reads(sources):
    for kind, path in sources.items():
        photos = photo_source(str(path))
        assert type(photos) is kind
        (images, skipped) = list_image_files(str(path))
        assert [f.basename for f in images] == ["cat.1.jpg", "dog.2.jpg"] and skipped == []
        assert all(f.photos is images[0].photos for f in images)  # one source, shared
        by_hand = ImageFile(str(path), images[1].name, in_zip=kind is not PhotoFolder)
        assert by_hand == images[1] and by_hand.read_bytes() == images[1].read_bytes() == jpeg()


def open_descriptors():
    return len(os.listdir("/proc/self/fd"))


def test_a_bundle_inflates_once_for_its_threads_and_closes_what_it_opened(sources, monkeypatch):
    """The inflated archive and the open handles belong to the source that
    listed the photos: none is kept by the module once it is gone."""
    inflated = []
    real = kagglebundle.inflate
    monkeypatch.setattr(kagglebundle, "inflate", lambda *a: inflated.append(a) or real(*a))
    before = open_descriptors()
    with warnings.catch_warnings():
        warnings.simplefilter("error", ResourceWarning)
        (images, _) = list_image_files(str(sources[KaggleBundle]))
        loaded = list(load_images(images * 20, workers=4))
        assert all(image is not None for _, image, _ in loaded) and len(inflated) == 1
        del images, loaded
        gc.collect()
    assert open_descriptors() == before
    list_image_files(str(sources[KaggleBundle]))
    assert len(inflated) == 2  # another source, its own copy


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


def test_a_fifo_where_a_photo_was_listed_is_refused_without_blocking(tmp_path):
    """The report reads the held-out photos by the names a run recorded:
    a FIFO put there since must not hang it (opened non-blocking, then
    refused as not a regular file)."""
    from pyimagesearch.pipeline.reportdata import photo, training_photos

    os.mkfifo(tmp_path / "cat.1.jpg")
    found = {}

    def read():
        found["photo"] = photo(training_photos(str(tmp_path)), "cat.1.jpg")
        found["loaded"] = list(load_images([ImageFile(str(tmp_path), "cat.1.jpg")]))

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    reader.join(timeout=20)
    assert not reader.is_alive(), "reading a FIFO blocked"
    assert found["photo"] is None
    assert [reason for _, _, reason in found["loaded"]] == ["not a regular file"]


def read_sizes(monkeypatch):
    """The sizes asked of every zip member read from now on."""
    sizes = []
    original = zipfile.ZipExtFile.read

    def counted(self, n=-1):
        data = original(self, n)
        sizes.append(len(data))
        return data

    monkeypatch.setattr(zipfile.ZipExtFile, "read", counted)
    return sizes


def test_a_member_that_is_no_image_is_refused_after_its_first_bytes(tmp_path, monkeypatch):
    path = tmp_path / "train.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("cat.1.jpg", bytes(64 * 2**20))  # 64 MB of zeros, 64 KB deflated
        archive.writestr("dog.7.jpg", jpeg())
    sizes = read_sizes(monkeypatch)
    files = [ImageFile(str(path), name, in_zip=True) for name in ("cat.1.jpg", "dog.7.jpg")]
    loaded = list(load_images(files))
    assert loaded[0][2].startswith("not a readable image") and loaded[1][1] is not None
    assert sizes[0] <= HEAD_BYTES and sum(sizes) < 2 * 2**20  # the zeros: 4 KB read


def test_a_train_zip_holding_only_a_zip_is_named_as_such_by_the_build(tmp_path):
    """Kaggle's bundle whose train.zip holds only another zip once said
    "0 labelled photos" and nothing of the nesting."""
    import io

    from pyimagesearch.pipeline.build import build_dataset

    def zipped(members):
        data = io.BytesIO()
        with zipfile.ZipFile(data, "w") as archive:
            for name, content in members.items():
                archive.writestr(name, content)
        return data.getvalue()

    photos = {f"cat.{k}.jpg": b"\xff\xd8x" for k in range(4)}
    bundle = tmp_path / "bundle.zip"
    bundle.write_bytes(zipped({"train.zip": zipped({"train.zip": zipped(photos)}),
                               "test1.zip": zipped({"test1/1.jpg": b"\xff\xd8x"})}))  # fmt: skip
    with pytest.raises(ValueError, match="1 an archive inside an archive: photos are read no "
                       r"deeper \(unpack it\) \(such as train.zip/train.zip\)"):  # fmt: skip
        build_dataset(str(bundle), str(tmp_path / "out"), str(tmp_path / "mean.json"))


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
