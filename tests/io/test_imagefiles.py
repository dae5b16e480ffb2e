"""The photo sources (`io/imagefiles`): a folder, a .zip and Kaggle's bundle,
each listing its photos and reading one; a bundle inflated once for its
threads; a FIFO where a photo was listed or named as the photos, and a
train.zip holding only a zip. How a photo's bytes are read is tested in
test_photobytes.py."""

import gc
import os
import threading
import warnings
import zipfile

import pytest

from helpers import finishes, jpeg, zip_bytes
from pyimagesearch.io import kagglebundle
from pyimagesearch.io.imagedecoder import load_images
from pyimagesearch.io.imagefile import ImageFile
from pyimagesearch.io.imagefiles import list_image_files, photo_source
from pyimagesearch.io.kagglebundle import KaggleBundle
from pyimagesearch.io.photofolder import PhotoFolder
from pyimagesearch.io.photozip import PhotoZip


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


def test_a_fifo_or_device_as_photos_neither_hangs_nor_reads(tmp_path):
    """Item 6 in the library: `zipfile.is_zipfile` opened the path as it
    was, so a FIFO waited for a writer and /dev/zero was read for ever."""
    fifo = tmp_path / "train.zip"
    os.mkfifo(fifo)
    for path in (fifo, "/dev/zero"):
        with pytest.raises(ValueError, match="not a regular file"):
            finishes(lambda: list_image_files(str(path)), timeout=10)
