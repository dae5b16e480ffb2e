"""The bytes of one photo, read the same way from every source: its
declared size checked before anything is read or inflated, its first bytes
checked to start as an image does before the rest is read."""

from __future__ import annotations

from typing import BinaryIO

from pyimagesearch.io.imageheaders import has_image_signature

# A file of more bytes is skipped as "too large" before it is read.
MAX_FILE_BYTES = 256 * 2**20

# The bytes read first, whose signature must be an image's before the rest
# of a file is read or inflated.
HEAD_BYTES = 4096


class Unusable(ValueError):
    """A photo larger than the limits, not a regular file, or not starting
    as an image does: skipped, with this as its reason."""


def check_size(size: int, maxBytes: int) -> None:
    """Raise `Unusable` when a photo declares more than `maxBytes`."""
    if size > maxBytes:
        raise Unusable(f"too large ({size} bytes, more than the limit of {maxBytes})")


def read_photo(f: BinaryIO, maxBytes: int) -> bytes:
    """The bytes of the open file or archive member `f`, read only once its
    first `HEAD_BYTES` start as an image does (an empty file is returned as
    it is, for `decode_image` to name); at most `maxBytes` + 1 of them,
    whatever the file has grown to since its size was checked."""
    head = f.read(HEAD_BYTES)
    if head and not has_image_signature(head):
        raise Unusable("not a readable image (no PNG, JPEG, BMP, GIF, WebP or TIFF header)")
    return head + f.read(maxBytes + 1 - len(head))
