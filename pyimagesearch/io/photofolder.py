"""The photos of a folder, searched recursively."""

from __future__ import annotations

import os

from pyimagesearch.errors import InputError
from pyimagesearch.io.photobytes import MAX_FILE_BYTES, Unusable, check_size, read_photo
from pyimagesearch.utils.files import open_input


class PhotoFolder:
    """A folder of photos: `names()` lists its files, `read(name)` reads
    one through the opening rule."""

    in_zip = False

    def __init__(self, path: str):
        self.path = str(path)

    def names(self) -> tuple[list[str], list[dict]]:
        """(names, skipped): the path of every regular file under the
        folder, relative to it, and {"file", "reason"} for every other
        entry (a FIFO or device would hang or never end)."""
        names = [
            os.path.relpath(os.path.join(folder, f), self.path)
            for folder, _, files in os.walk(self.path)
            for f in files
        ]
        regular = [n for n in names if os.path.isfile(os.path.join(self.path, n))]
        skipped = [
            {"file": n, "reason": "not a regular file"} for n in sorted(set(names) - set(regular))
        ]
        return regular, skipped

    def read(self, name: str, maxBytes: int = MAX_FILE_BYTES) -> bytes:
        """The bytes of the photo `name` (see `read_photo`); `Unusable`
        when it is larger than `maxBytes` or no longer a regular file."""
        try:
            f = open_input(os.path.join(self.path, name), "a photo")
        except InputError as error:
            # a FIFO or device put where a photo was listed: skipped
            raise Unusable("not a regular file") from error
        with f:
            check_size(os.fstat(f.fileno()).st_size, maxBytes)
            return read_photo(f, maxBytes)
