"""One HDF5 split (a file `HDF5DatasetWriter` wrote: the build's train,
val and test splits, or a features file), opened and checked once."""

from __future__ import annotations

import os

import h5py
import numpy as np

from pyimagesearch.io.hdf5files import (
    open_hdf5,
    read_image_names,
    read_label_names,
    read_rows_and_labels,
)


def file_identity(db: h5py.File) -> tuple[int, int, int]:
    """(device, inode, modification time) of an open HDF5 file: another
    file at the same path, or the same file rewritten, differs."""
    status = os.fstat(db.id.get_vfd_handle())
    return status.st_dev, status.st_ino, status.st_mtime_ns


class Split:
    """The rows of one HDF5 split, with what every reader needs of it, read
    and checked when it is opened (`read_rows_and_labels`): a missing,
    damaged or foreign file is reported here in one line naming it.

    Args:
        dbPath: the file.
        dataKey: its rows: "images" (N, H, W, C) or "features" (N, D).
        rank: the dimensions each row must have (3 for images, 1 for
            feature vectors), or None for any.

    Attributes:
        dbPath, dataKey: as given.
        identity: the file's `file_identity`: `open` refuses a file that
            was replaced or rewritten since.
        count: N, its rows (at least one).
        shape: the shape of one row, such as (256, 256, 3).
        dtype: the rows' NumPy type.
        labels: (N,) the class index of each row.
        labelNames: the class names, or None when the file has none.
        imageNames: the photo of each row, or None when the file has none
            (the build records every split's photos: membership is asked of
            these names, never drawn again from a seed).
    """

    def __init__(self, dbPath: str | os.PathLike, dataKey: str = "images", rank=None) -> None:
        self.dbPath = dbPath
        self.dataKey = dataKey
        with open_hdf5(dbPath) as db:
            self.identity = file_identity(db)
            (rows, self.labels) = read_rows_and_labels(db, dbPath, dataKey, rank)
            (self.count, *shape) = (int(n) for n in rows.shape)
            self.shape = tuple(shape)
            self.dtype = rows.dtype
            self.labelNames = read_label_names(db)
            self.imageNames = read_image_names(db)
        if self.count == 0:
            raise ValueError(f"{dbPath} holds no rows")

    @property
    def nbytes(self) -> int:
        """The bytes of all its rows in memory."""
        return self.count * int(np.prod(self.shape)) * self.dtype.itemsize

    def open(self) -> h5py.File:
        """The file, opened read-only again; ValueError if it is no longer
        the one this split read its labels from."""
        db = open_hdf5(self.dbPath)
        if file_identity(db) != self.identity:
            db.close()
            raise ValueError(
                f"{self.dbPath} was replaced while this run was reading it: "
                "run again on the new file"
            )
        return db

    def rows(self, db: h5py.File) -> h5py.Dataset:
        """Its rows in `db`, a file this split opened."""
        return db[self.dataKey]

    def read(self, parts: list[tuple[int, int]] | None = None) -> np.ndarray:
        """The rows [start, end) of each of `parts` (default: every row),
        one after the other, read straight into one array (no second copy
        of a split that may fill most of the RAM); parts that follow on in
        the file are read as one."""
        runs = []
        for start, end in [(0, self.count)] if parts is None else parts:
            if runs and runs[-1][1] == start:
                runs[-1][1] = end
            elif end > start:
                runs.append([start, end])
        data = np.empty((sum(end - start for start, end in runs), *self.shape), self.dtype)
        with self.open() as db:
            offset = 0
            for start, end in runs:
                target = np.s_[offset : offset + end - start]
                self.rows(db).read_direct(data, np.s_[start:end], target)
                offset += end - start
        return data

    def check_image_size(self, size: int) -> None:
        """Raise unless the rows are (H, W, 3) images with H and W >= size."""
        if len(self.shape) != 3 or self.shape[2] != 3 or min(self.shape[:2]) < size:
            raise ValueError(
                f"{self.dbPath} holds images of shape {self.shape}: expected (H, W, 3) with "
                f"H and W at least the model's input size {size}"
            )

    def check_labels(self, classes: int) -> None:
        """Raise unless every label lies in [0, classes)."""
        if self.labels.min() < 0 or self.labels.max() >= classes:
            raise ValueError(
                f"{self.dbPath} has labels from {self.labels.min()} to {self.labels.max()}, "
                f"outside [0, {classes}) for classes={classes}"
            )
