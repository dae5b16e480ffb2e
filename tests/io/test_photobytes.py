"""`io.photobytes`, how every source reads a photo's bytes: a member that
is no image is refused after its first `HEAD_BYTES`, not inflated whole."""

import zipfile

from helpers import jpeg, read_sizes
from pyimagesearch.io.imagedecoder import load_images
from pyimagesearch.io.imagefile import ImageFile
from pyimagesearch.io.photobytes import HEAD_BYTES


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
