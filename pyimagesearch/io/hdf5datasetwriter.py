from __future__ import annotations

import contextlib
import errno
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
    refuse_existing,
    remove_stale_partials,
)

# Rows are chunked together up to about this many bytes, so that reading a
# batch of consecutive rows touches few chunks while a single row stays cheap.
CHUNK_BYTES = 1 << 20
# Room kept free beyond the rows written: HDF5's metadata, and the close.
SPACE_MARGIN = 4 << 20


def hdf5_reason(error):
    """The system's words for why HDF5 could not write ("No space left on
    device"), out of h5py's long message."""
    found = re.search(r"error message = '([^']*)'", str(error))
    if found:
        return found.group(1)
    return getattr(error, "strerror", None) or " ".join(str(error).split())[:200]


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
            self.db = h5py.File(self.partialPath, "w")
        except OSError as error:
            discard_partial(self.partialPath)
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
            rows = np.concatenate(self.buffer["data"])
            labels = np.concatenate(self.buffer["labels"])
            self._check_space(rows.nbytes + labels.nbytes)
            self.data[self.idx : end] = rows
            self.labels[self.idx : end] = labels
            # to disk now: a full disk fails here, where it can be handled,
            # not later inside HDF5's close, which cannot recover from it
            self.db.flush()
        self.idx = end
        self.buffer = {"data": [], "labels": []}
        self.buffered = 0

    def _check_space(self, size):
        """Raise ENOSPC before HDF5 would run out of room: a write that fails
        inside HDF5 leaves its caches in a state that crashes the process
        when the file is released, so it must not be tried."""
        disk = os.statvfs(os.path.dirname(os.path.abspath(self.partialPath)))
        if disk.f_bavail * disk.f_frsize < size + SPACE_MARGIN:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    @contextlib.contextmanager
    def _failing_write(self):
        """Turn HDF5's failure to write into OSError naming the output, after
        releasing the file so that nothing is left behind (see `abort`)."""
        try:
            yield
        except (OSError, RuntimeError) as error:
            self.abort()
            raise OSError(f"{self.outputPath} cannot be written ({hdf5_reason(error)})") from None

    def storeClassLabels(self, classLabels: Iterable[str]) -> None:
        """Store the class names, index i naming label i, as UTF-8 strings."""
        names = [str(name) for name in classLabels]
        self.db.create_dataset("label_names", data=names, dtype=h5py.string_dtype("utf-8"))

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

    def close(self) -> None:
        """`finish`, then move the file to `outputPath`."""
        self.finish()
        place(self.partialPath, self.outputPath)

    def abort(self) -> None:
        """Close and delete the partial file; `outputPath` is not touched.

        The file is emptied before HDF5 closes it: on a full disk, the close
        then has room for what it still writes, instead of failing in a way
        that crashes the process when it exits."""
        if os.path.exists(self.partialPath):
            os.truncate(self.partialPath, 0)
        if self.db.id.valid:
            try:
                self.db.close()
            except (OSError, RuntimeError):
                pass  # the file is being deleted: nothing in it matters
        discard_partial(self.partialPath)

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        if exc_type is None:
            self.close()
        else:
            self.abort()
        return False
