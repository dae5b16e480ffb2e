from __future__ import annotations

import contextlib
import io
import os
import re
from collections.abc import Iterable
from typing import Any

import h5py
import numpy as np

from pyimagesearch.utils.checks import check_positive_int
from pyimagesearch.utils.files import (
    discard_partial,
    new_partial,
    place,
    printable,
    refuse_existing,
    remove_stale_partials,
)

# Rows are chunked together up to about this many bytes, so that reading a
# batch of consecutive rows touches few chunks while a single row stays cheap.
CHUNK_BYTES = 1 << 20


def hdf5_reason(error):
    """The system's words for why HDF5 could not write ("No space left on
    device"), out of h5py's long message."""
    found = re.search(r"error message = '([^']*)'", str(error))
    if found:
        return found.group(1)
    return getattr(error, "strerror", None) or " ".join(str(error).split())[:200]


class WriteTrap(io.RawIOBase):
    """The new file HDF5 writes through (h5py's file-object driver), which
    never lets HDF5 see a failed write.

    HDF5 cannot recover from a write the disk refuses (a disk that another
    process filled meanwhile): it keeps the failure in its caches, and the
    process crashes when the file is released. Here the first failure is
    kept in `error` and it and every later write are dropped; the writer
    raises `error` once HDF5 returns, then discards the file. The file is
    created exclusively, following no link.
    """

    def __init__(self, path: str) -> None:
        super().__init__()
        flags = os.O_RDWR | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
        self.file = io.FileIO(os.open(path, flags, 0o666), "r+")
        self.error: OSError | None = None

    def readable(self) -> bool:
        return True

    def writable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        return self.file.readinto(buffer)

    def write(self, data) -> int:
        view = memoryview(data).cast("B")
        written = 0
        while self.error is None and written < len(view):
            try:
                written += self.file.write(view[written:])
            except OSError as error:
                self.error = error
        return len(view)

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        return self.file.seek(offset, whence)

    def tell(self) -> int:
        return self.file.tell()

    def truncate(self, size: int | None = None) -> int:
        if self.error is None:
            try:
                return self.file.truncate(size)
            except OSError as error:
                self.error = error
        return self.tell() if size is None else size

    def close(self) -> None:
        self.file.close()
        super().close()


class HDF5DatasetWriter:
    """Write rows and integer labels to an HDF5 file, buffered.

    Args:
        dims: the shape of the data, (N, ...): N rows are expected, each of
            shape dims[1:]. The finished file holds exactly the rows added,
            whether that is fewer or more than N.
        outputPath: the .hdf5 file to create. Its parent folders are created.
        dataKey: the name of the data set ("images", or "features").
        bufSize: how many rows are buffered in memory between writes.
        dtype: the stored dtype; None for the dtype of the first rows added,
            with floating point stored as float32. Rows that would lose
            precision in `dtype` (floats into uint8, say) raise a TypeError.
        overwrite: replace an existing `outputPath` instead of refusing it.

    The file is written as `partialPath`, in a private folder made for it
    beside `outputPath` (`pyimagesearch.utils.files.new_partial`), and moved
    to `outputPath` only by a successful `close()`, so an interrupted run never
    leaves a complete-looking file behind. Used as a context manager, an
    exception discards the partial file.
    """

    def __init__(
        self,
        dims: tuple[int, ...],
        outputPath: str | os.PathLike,
        dataKey: str = "images",
        bufSize: int = 1000,
        dtype: Any = None,
        overwrite: bool = False,
    ) -> None:
        dims = tuple(dims)
        if len(dims) < 2:
            raise ValueError(f"`dims` must be (N, ...) with at least two sizes; received {dims!r}")
        for size in dims:
            check_positive_int("dims", size)
        self.bufSize = check_positive_int("bufSize", bufSize)
        refuse_existing([outputPath], overwrite)
        self.dims = dims
        self.outputPath = outputPath
        self.dataKey = dataKey
        self.dtype = None if dtype is None else np.dtype(dtype)

        parent = os.path.dirname(os.path.abspath(outputPath))
        os.makedirs(parent, exist_ok=True)
        remove_stale_partials(outputPath)  # left by a killed run
        self.partialPath = new_partial(outputPath)
        try:
            self.sink = WriteTrap(self.partialPath)
            self.db = h5py.File(self.sink, "w")
            self._raise_trapped()
        except OSError as error:
            self.abort()
            raise OSError(f"{outputPath} cannot be written ({hdf5_reason(error)})") from None
        self.data = None
        self.labels = None
        self.buffer = {"data": [], "labels": []}
        self.buffered = 0
        self.idx = 0

    def _create(self, dtype):
        self.dtype = np.dtype(dtype)
        row_bytes = int(np.prod(self.dims[1:])) * self.dtype.itemsize
        rows_per_chunk = int(max(1, min(self.dims[0], CHUNK_BYTES // max(row_bytes, 1))))
        self.data = self.db.create_dataset(
            self.dataKey,
            shape=self.dims,
            maxshape=(None,) + self.dims[1:],
            dtype=self.dtype,
            chunks=(rows_per_chunk,) + self.dims[1:],
        )
        self.labels = self.db.create_dataset(
            "labels",
            shape=(self.dims[0],),
            maxshape=(None,),
            dtype="int64",
            chunks=(min(self.dims[0], 65536),),
        )

    def _checked(self, rows):
        rows = np.asarray(rows)
        if rows.shape[1:] != self.dims[1:]:
            raise ValueError(
                f"rows of shape {rows.shape[1:]} do not match dims {self.dims[1:]} "
                f"of {self.outputPath}"
            )
        if self.data is None:
            dtype = self.dtype
            if dtype is None:
                dtype = "float32" if np.issubdtype(rows.dtype, np.floating) else rows.dtype
            with self._failing_write():
                self._create(dtype)
        if not self._fits(rows):
            raise TypeError(
                f"cannot store {rows.dtype} rows in the {self.dtype} data set of "
                f"{self.outputPath} without losing precision"
            )
        return rows

    def _fits(self, rows):
        """Whether `rows` can be stored in self.dtype without losing values."""
        if np.issubdtype(self.dtype, np.floating):
            return np.issubdtype(rows.dtype, np.number)
        if not np.issubdtype(rows.dtype, np.integer) and rows.dtype != np.bool_:
            return False
        if np.can_cast(rows.dtype, self.dtype) or rows.size == 0:
            return True
        limits = np.iinfo(self.dtype)
        return limits.min <= rows.min() and rows.max() <= limits.max

    def add(self, rows: np.ndarray, labels: np.ndarray) -> None:
        """Buffer `rows` (n, *dims[1:]) with their integer `labels` (n,)."""
        rows = self._checked(rows)
        labels = np.asarray(labels)
        if labels.shape != (len(rows),):
            raise ValueError(f"got {len(rows)} rows but labels of shape {labels.shape}")
        self.buffer["data"].append(rows)
        self.buffer["labels"].append(labels)
        self.buffered += len(rows)
        if self.buffered >= self.bufSize:
            self.flush()

    def flush(self) -> None:
        """Write the buffered rows to the file."""
        if self.buffered == 0:
            return
        end = self.idx + self.buffered
        if end > self.data.shape[0]:
            self.data.resize(end, axis=0)
            self.labels.resize(end, axis=0)
        with self._failing_write():
            self.data[self.idx : end] = np.concatenate(self.buffer["data"])
            self.labels[self.idx : end] = np.concatenate(self.buffer["labels"])
            self.db.flush()
        self.idx = end
        self.buffer = {"data": [], "labels": []}
        self.buffered = 0

    def _raise_trapped(self):
        if self.sink.error is not None:
            raise self.sink.error

    @contextlib.contextmanager
    def _failing_write(self):
        """Turn a failure to write (the disk's, caught by the `WriteTrap`, or
        HDF5's) into OSError naming the output, after discarding the file."""
        try:
            yield
            self._raise_trapped()
        except (OSError, RuntimeError) as error:
            # after a dropped write HDF5 may fail on what it reads back: the
            # disk's error is the one to report
            cause = self.sink.error or error
            self.abort()
            raise OSError(f"{self.outputPath} cannot be written ({hdf5_reason(cause)})") from None

    def storeClassLabels(self, classLabels: Iterable[str]) -> None:
        """Store the class names, index i naming label i, as UTF-8 strings."""
        self.storeStrings("label_names", classLabels)

    def storeStrings(self, key: str, values: Iterable[str]) -> None:
        """Store `values` as the UTF-8 string data set `key` ("image_names":
        the photo of each row, in row order); a file name that is not valid
        UTF-8 is stored with its bytes escaped (`printable`)."""
        names = [printable(str(name)) for name in values]
        with self._failing_write():
            self.db.create_dataset(key, data=names, dtype=h5py.string_dtype("utf-8"))

    def finish(self) -> None:
        """Write what is buffered, trim the file to the rows added and close
        it, complete, at `partialPath`: for a caller that puts several
        outputs in place together (`pyimagesearch.utils.files.commit_files`)."""
        self.flush()
        with self._failing_write():
            if self.data is None:
                self._create(self.dtype or "float32")
            self.data.resize(self.idx, axis=0)
            self.labels.resize(self.idx, axis=0)
            self.db.flush()
            self.db.close()
            self.sink.close()

    def close(self) -> None:
        """`finish`, then move the file to `outputPath`."""
        self.finish()
        place(self.partialPath, self.outputPath)

    def abort(self) -> None:
        """Close and delete the partial file; `outputPath` is not touched."""
        db = getattr(self, "db", None)
        if db is not None and db.id.valid:
            try:
                db.close()
            except (OSError, RuntimeError):
                pass  # the file is being deleted: nothing in it matters
        if hasattr(self, "sink"):
            self.sink.close()
        discard_partial(self.partialPath)

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        if exc_type is None:
            self.close()
        else:
            self.abort()
        return False
