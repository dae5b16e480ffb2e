"""Decode photos to BGR arrays, refusing what would cost too much or show
wrong pixels (a size declared too large, a truncated JPEG), in worker
threads (see `load_images`)."""

from __future__ import annotations

import zipfile
import zlib
from collections import deque
from concurrent.futures import ThreadPoolExecutor

import cv2
import numpy as np

from pyimagesearch.io.imageheaders import image_size
from pyimagesearch.io.photobytes import Unusable
from pyimagesearch.utils.parallel import DEFAULT_WORKERS

# A photo that declares more pixels is skipped as "too large" before it is
# decoded (100 megapixels decode to 300 MB).
MAX_PIXELS = 100_000_000

# What reading a damaged file or archive member can raise: a bad CRC, a
# corrupt deflate stream, a cut archive, an unsupported or encrypted member.
READ_ERRORS = (OSError, zipfile.BadZipFile, KeyError, zlib.error, EOFError, NotImplementedError,
               RuntimeError)  # fmt: skip


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


def load_images(image_files, preprocessor=None, workers=DEFAULT_WORKERS, maxPixels=MAX_PIXELS):
    """Decode (and preprocess) photos (`ImageFile`s), `workers` at a time;
    larger than `maxPixels`, they are unusable (see `decode_image`).

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
            skipped.append(image_file.skipped(reason))
        else:
            pairs.append((image_file, image))
        if len(pairs) == batchSize:
            yield pairs, done
            pairs = []
    if pairs or done:
        yield pairs, done
