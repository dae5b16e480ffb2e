"""Find, name and decode the photos of a data set: a folder (searched
recursively) or a .zip archive such as Kaggle's `train.zip`, read without
unpacking it -- or an archive of such archives, as Kaggle ships the
competition (`dogs-vs-cats.zip` holding `train.zip` and `test1.zip`), whose
photos are named "<inner archive>/<member>" ("train.zip/cat.0.jpg"; see
`ziparchives`). Every file is opened through the opening rule
(`open_input`).

Decoding runs in worker threads (see `load_images`).
"""

from __future__ import annotations

import os
import re
import zipfile
import zlib
from collections import Counter, deque
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import cv2
import numpy as np

from pyimagesearch.errors import InputError
from pyimagesearch.io.imageheaders import has_image_signature, image_size
from pyimagesearch.io.ziparchives import (  # noqa: F401 (Window, inner_archives: importable here)
    ARCHIVE,
    MAX_INNER_ARCHIVE_BYTES,
    Window,
    archive,
    inner_archives,
    member_names,
    open_zip,
    split_inner,
)
from pyimagesearch.utils.files import open_input

# A photo that declares more pixels is skipped as "too large" before it is
# decoded (100 megapixels decode to 300 MB), as is a file of more bytes.
MAX_PIXELS = 100_000_000
MAX_FILE_BYTES = 256 * 2**20
IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff", ".webp", ".gif")
# Kaggle's names: "<label>.<id>.<ext>" for training photos, "<id>.<ext>" for test photos.
# Only ASCII digits: \d would take "٣.jpg" as id 3.
LABELLED_NAME = re.compile(r"^(?P<label>[A-Za-z_]+)\.(?P<id>[0-9]+)\.[A-Za-z]+$")
ID_NAME = re.compile(r"^(?P<id>[0-9]+)\.[A-Za-z]+$")


def is_archive(source) -> bool:
    """Whether the photos of `source` are in a .zip (anything but a folder:
    what else it might be, `open_input` refuses when it is opened)."""
    return not os.path.isdir(source)


@dataclass(frozen=True)
class ImageFile:
    """One photo: `name` is its path inside `source`, a folder or, when
    `in_zip`, a .zip archive."""

    source: str
    name: str
    in_zip: bool = False

    @property
    def basename(self):
        return os.path.basename(self.name)

    @property
    def label(self):
        """The class in a Kaggle-style name ("cat.12.jpg" -> "cat"), or None."""
        match = LABELLED_NAME.match(self.basename)
        return match.group("label").lower() if match else None

    @property
    def test_id(self):
        """The number of a Kaggle test photo's name ("12.jpg" -> 12), or None
        (for "cat.12.jpg" too: a training photo is not a test photo)."""
        match = ID_NAME.match(self.basename)
        return int(match.group("id")) if match else None

    def read_bytes(self, maxBytes=MAX_FILE_BYTES):
        """The file's bytes; `Unusable` when it declares more than `maxBytes`
        (a zip member's declared size is checked before it is inflated) or
        its first bytes are no image's."""
        if self.in_zip:
            (inner, member) = split_inner(self.source, self.name)
            handle = archive(self.source, inner)
            _check_size(handle.getinfo(member).file_size, maxBytes)
            with handle.open(member) as f:
                return _read_image(f, maxBytes)
        try:
            f = open_input(os.path.join(self.source, self.name), "a photo")
        except InputError as error:
            # a FIFO or device put where a photo was listed: skipped
            raise Unusable("not a regular file") from error
        with f:
            _check_size(os.fstat(f.fileno()).st_size, maxBytes)
            return _read_image(f, maxBytes)


class Unusable(ValueError):
    """A photo larger than the limits, not a regular file, or not starting
    as an image does: skipped, with this as its reason."""


# The bytes read first, whose signature must be an image's before the rest
# of a file is read or inflated.
HEAD_BYTES = 4096


def _check_size(size, maxBytes):
    if size > maxBytes:
        raise Unusable(f"too large ({size} bytes, more than the limit of {maxBytes})")


def _read_image(f, maxBytes):
    """The bytes of the open file or archive member `f`, read only once its
    first `HEAD_BYTES` start as an image does (an empty file is returned as
    it is, for `decode_image` to name)."""
    head = f.read(HEAD_BYTES)
    if head and not has_image_signature(head):
        raise Unusable("not a readable image (no PNG, JPEG, BMP, GIF, WebP or TIFF header)")
    return head + f.read(maxBytes + 1 - len(head))


def _skip(image_file, reason):
    return {"file": image_file.name, "reason": reason}


def list_image_files(source):
    """Every file under a folder or in a .zip archive, sorted by name, as
    (images, skipped): the image files to read, and {"file", "reason"} for
    the others -- no image extension, not a regular file (a FIFO or device
    would hang or never end), or a repeated name in an archive (only its
    last copy can be read by name; the earlier ones are skipped).

    Raises FileNotFoundError or ValueError, naming `source`, when it is
    missing, neither a folder nor a zip (a FIFO, a device: see
    `open_input`), holds two archives of one name, or holds no images.
    """
    in_zip = is_archive(source)
    skipped = []
    if not in_zip:
        names = [
            os.path.relpath(os.path.join(folder, f), source)
            for folder, _, files in os.walk(source)
            for f in files
        ]
        regular = [n for n in names if os.path.isfile(os.path.join(source, n))]
        skipped += [
            {"file": n, "reason": "not a regular file"} for n in sorted(set(names) - set(regular))
        ]
        names = regular
    else:
        names = member_names(source)
        if not any(n.lower().endswith(IMAGE_EXTENSIONS) for n in names):
            # Kaggle's bundle: the photos are in the archives inside
            names = [n for n in names if not n.lower().endswith(".zip")] + [
                f"{inner}/{member}"
                for inner in inner_archives(source)
                for member in member_names(source, inner)
            ]
        copies = Counter(names)
        skipped += [
            {"file": name, "reason": "duplicate name in the archive"}
            for name, count in copies.items()
            for _ in range(count - 1)
        ]
        names = list(copies)
    files = [ImageFile(source, name, in_zip) for name in sorted(names)]
    images = [f for f in files if f.name.lower().endswith(IMAGE_EXTENSIONS)]
    skipped += [
        _skip(f, "not an image file")
        for f in files
        if not f.name.lower().endswith(IMAGE_EXTENSIONS)
    ]
    if not images:
        raise ValueError(_no_images(source, [f.name for f in files]))
    return images, skipped


def _no_images(source, names):
    """Why `source`, holding the files `names`, has no photo to read."""
    nested = [n for n in names if n.lower().endswith(".zip") and "/" in n]
    if nested:
        return (
            f"{source} holds archives inside its archives ({', '.join(nested[:3])}): photos "
            "are read from a zip, or from the zips inside one (Kaggle's bundle), no deeper; "
            "unpack one level"
        )
    found = ", ".join(names[:5]) + (", ..." if len(names) > 5 else "")
    return (
        f"{source} holds no image files ({', '.join(IMAGE_EXTENSIONS)}) and no archives "
        f"of them; found {len(names)} other file(s){': ' + found if names else ''}"
    )


def labelled_image_files(source):
    """(files, labelled, skipped) for a folder or .zip of photos named
    "<label>.<id>.<ext>": every image file, those whose name carries a
    label, and {"file", "reason"} for every file that is not an image or
    has no label."""
    files, skipped = list_image_files(source)
    skipped += [_skip(f, "no class label in the name") for f in files if f.label is None]
    return files, [f for f in files if f.label is not None], skipped


def jpeg_is_complete(data: bytes) -> bool:
    """Whether JPEG bytes run to their end-of-image marker.

    Walks the marker segments (skipping each by its length, so a thumbnail
    inside EXIF does not count) and the entropy-coded data of each scan,
    where a 0xFF byte is followed by 0x00 (stuffing), a restart marker
    (0xD0-0xD7) or the next marker. Bytes after the end marker -- which
    many cameras and phones append -- are allowed.
    """
    position = 2  # after the start-of-image marker
    size = len(data)
    while position + 1 < size:
        if data[position] != 0xFF:
            return False
        marker = data[position + 1]
        if marker == 0xFF:  # fill byte before a marker
            position += 1
            continue
        if marker == 0xD9:
            return True
        if marker == 0x01 or 0xD0 <= marker <= 0xD7:  # markers without a length
            position += 2
            continue
        if position + 3 >= size:
            return False
        position += 2 + ((data[position + 2] << 8) | data[position + 3])
        if marker == 0xDA:  # start of scan: skip the entropy-coded data
            while True:
                position = data.find(b"\xff", position)
                if position < 0 or position + 1 >= size:
                    return False
                following = data[position + 1]
                if following == 0x00 or 0xD0 <= following <= 0xD7:
                    position += 2
                else:
                    break
    return False


def decode_image(data: bytes, maxPixels: int = MAX_PIXELS) -> np.ndarray | str:
    """Decode image bytes to a 3-channel BGR uint8 array, or return a reason
    string when they are not a complete image.

    The size the header declares is checked first: an image of more than
    `maxPixels` pixels, or one whose size cannot be read from a PNG, JPEG,
    BMP, GIF, WebP or TIFF header, is refused before anything is decoded.
    Grayscale, CMYK, 16-bit and alpha images are converted to 8-bit BGR.
    """
    if len(data) == 0:
        return "empty file"
    size = image_size(data)
    if size is None:
        return "not a readable image (no PNG, JPEG, BMP, GIF, WebP or TIFF header)"
    if size[0] * size[1] > maxPixels:
        return f"too large ({size[0]} x {size[1]} pixels, more than the limit of {maxPixels})"
    # A truncated JPEG still decodes, with its missing rows grey: refuse it.
    if data[:2] == b"\xff\xd8" and not jpeg_is_complete(data):
        return "truncated JPEG"
    try:
        image = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    except cv2.error as error:  # OpenCV's own limits, or a header it refuses
        return f"not a readable image ({' '.join(str(error).split())[-120:]})"
    if image is None:
        return "not a readable image"
    return image


# What reading a damaged file or archive member can raise: a bad CRC, a
# corrupt deflate stream, a cut archive, an unsupported or encrypted member.
READ_ERRORS = (OSError, zipfile.BadZipFile, KeyError, zlib.error, EOFError, NotImplementedError,
               RuntimeError)  # fmt: skip


def _load(image_file, preprocessor, maxPixels):
    """(image, None) for a usable photo, else (None, reason)."""
    try:
        data = image_file.read_bytes()
    except Unusable as error:
        return None, str(error)
    except READ_ERRORS as error:
        return None, f"cannot be read ({' '.join(str(error).split())})"
    image = decode_image(data, maxPixels)
    if isinstance(image, str):
        return None, image
    measure = getattr(preprocessor, "intermediate_pixels", None)
    if measure is not None and measure(*image.shape[:2]) > maxPixels:
        (height, width) = image.shape[:2]
        return None, (
            f"too large ({width} x {height} pixels: resizing it needs "
            f"{measure(height, width)} pixels, more than the limit of {maxPixels})"
        )
    if preprocessor is not None:
        image = preprocessor.preprocess(image)
    return image, None


def load_images(image_files, preprocessor=None, workers=1, maxPixels=MAX_PIXELS):
    """Decode (and preprocess) photos, `workers` at a time; larger than
    `maxPixels`, they are unusable (see `decode_image`).

    Yields (image_file, image, reason) in the order given: `image` is the
    preprocessed BGR array, or None with `reason` saying why it is unusable.

    The workers are threads: OpenCV releases the GIL while it decodes and
    resizes, so they run in parallel without copying images between
    processes -- and without forking a process whose OpenCV thread pool is
    running, which can deadlock. At most 4 photos per worker are in flight,
    so memory does not grow with the number of photos.
    """
    if workers <= 1:
        for image_file in image_files:
            yield (image_file, *_load(image_file, preprocessor, maxPixels))
        return
    with ThreadPoolExecutor(workers) as pool:
        pending = deque()
        for image_file in image_files:
            pending.append((image_file, pool.submit(_load, image_file, preprocessor, maxPixels)))
            if len(pending) >= 4 * workers:
                (done, future) = pending.popleft()
                yield (done, *future.result())
        while pending:
            (done, future) = pending.popleft()
            yield (done, *future.result())


def usable_batches(image_files, preprocessor, batchSize, workers, skipped, maxPixels=MAX_PIXELS):
    """Decode photos in `workers` threads and yield lists of up to
    `batchSize` (image_file, image) pairs of usable photos, in order.
    Unusable ones are appended to `skipped` as {"file", "reason"}; each list
    comes with the number of files it accounts for, for progress bars:
    yields (pairs, files_done)."""
    pairs, done = [], 0
    for image_file, image, reason in load_images(image_files, preprocessor, workers, maxPixels):
        done += 1
        if image is None:
            skipped.append(_skip(image_file, reason))
        else:
            pairs.append((image_file, image))
        if len(pairs) == batchSize:
            yield pairs, done
            pairs = []
    if pairs or done:
        yield pairs, done
