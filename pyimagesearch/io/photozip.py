"""The photos of a .zip archive (such as Kaggle's train.zip), read without
unpacking it."""

from __future__ import annotations

import threading
import weakref
import zipfile
from collections import Counter
from collections.abc import Callable

from pyimagesearch.io.photobytes import MAX_FILE_BYTES, check_size, read_photo
from pyimagesearch.io.ziparchives import ARCHIVE, file_key, read_zip
from pyimagesearch.utils.files import open_input


class PhotoZip:
    """A .zip archive of photos: `names()` lists its members, `read(name)`
    reads one. Each thread reading it keeps its own open handle on the
    archive (no handle is shared between threads), so its directory is
    read once per thread, not once per photo; every file it opened is
    closed when it is garbage-collected."""

    in_zip = True

    def __init__(self, path: str):
        self.path = str(path)
        self._threads = threading.local()
        self._opened = []  # every file any thread opened, to close with this object
        weakref.finalize(self, close_all, self._opened)

    def thread_handle(self, name: str | None, opener: Callable) -> zipfile.ZipFile:
        """This thread's handle `name` on the archive, made by `opener(key)`
        as (file, ZipFile) the first time, and again when the file at
        `path` has been replaced since (another `file_key`)."""
        handles = self._threads.__dict__
        key = file_key(self.path)
        (openedAt, f, handle) = handles.get(name, (None, None, None))
        if handle is None or openedAt != key:
            if handle is not None:
                self.forget(handle, f)
            (f, handle) = opener(key)
            self._opened.extend((f, handle))
            handles[name] = (key, f, handle)
        return handle

    def forget(self, *files) -> None:
        """Close `files`, which this object opened, now."""
        for f in files:
            f.close()
            self._opened.remove(f)

    def archive(self) -> zipfile.ZipFile:
        """This thread's handle on the archive; FileNotFoundError or
        ValueError naming `path` when it is missing, not a regular file, or
        not a readable zip."""
        return self.thread_handle(None, self._open)

    def _open(self, key):
        f = open_input(self.path, ARCHIVE)
        return f, read_zip(f, self.path)

    def names(self) -> tuple[list[str], list[dict]]:
        """(names, skipped): every file name in the archive once, and
        {"file", "reason"} for each earlier copy of a name stored twice
        (only its last copy can be read by name)."""
        copies = Counter(self.member_names())
        skipped = [
            {"file": name, "reason": "duplicate name in the archive"}
            for name, count in copies.items()
            for _ in range(count - 1)
        ]
        return list(copies), skipped

    def member_names(self) -> list[str]:
        """The file names in the archive, a name stored twice twice."""
        return [info.filename for info in self.archive().infolist() if not info.is_dir()]

    def read(self, name: str, maxBytes: int = MAX_FILE_BYTES) -> bytes:
        """The bytes of the member `name` (see `read_photo`); `Unusable`
        when it declares more than `maxBytes`, checked before it is
        inflated."""
        return self.read_member(self.archive(), name, maxBytes)

    @staticmethod
    def read_member(handle: zipfile.ZipFile, member: str, maxBytes: int) -> bytes:
        """The bytes of `member` of the open zip `handle` (see `read`)."""
        check_size(handle.getinfo(member).file_size, maxBytes)
        with handle.open(member) as f:
            return read_photo(f, maxBytes)


def close_all(files: list) -> None:
    for f in files:
        f.close()
