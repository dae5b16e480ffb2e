"""Open the HDF5 files this package writes, without Keras: the build and
the classifier read them without loading a deep-learning backend."""

from __future__ import annotations

import os

import h5py
import numpy as np


def open_hdf5(dbPath: str | os.PathLike) -> h5py.File:
    """Open an HDF5 file read-only, with one clear error if it is missing or
    is not HDF5."""
    if not os.path.isfile(dbPath):
        raise FileNotFoundError(f"{dbPath} does not exist: build the HDF5 data sets first")
    try:
        return h5py.File(dbPath, "r")
    except OSError as error:
        raise ValueError(f"{dbPath} is not a readable HDF5 file ({error})") from None


def read_label_names(db: h5py.File) -> list[str] | None:
    """The class names stored by `HDF5DatasetWriter.storeClassLabels`, as
    `str`, or None when the file has none."""
    if "label_names" not in db:
        return None
    return [name for name in db["label_names"].asstr()[()]]


def stored_label_names(dbPath: str | os.PathLike) -> list[str]:
    """The class names of an HDF5 file; ValueError if it has none."""
    with open_hdf5(dbPath) as db:
        names = read_label_names(db)
    if not names:
        raise ValueError(
            f"{dbPath} has no class names ('label_names'): build it with build_dogs_vs_cats.py"
        )
    return names


def read_rows_and_labels(db, dbPath, dataKey, rank):
    """(the `dataKey` data set, its labels as a 1-D integer array), checked
    when the file is opened: a damaged or foreign file is reported here, in
    one line naming it, not as a failure deep inside training.

    Args:
        db: the open file.
        rank: the dimensions each row must have (3 for images, 1 for
            feature vectors), or None for any.
    """
    for key in (dataKey, "labels"):
        if key not in db:
            raise ValueError(f"{dbPath} has no '{key}' data set (it has {sorted(db.keys())})")
        if not isinstance(db[key], h5py.Dataset):
            raise ValueError(f"{dbPath}: '{key}' is a {type(db[key]).__name__}, not a data set")
    rows = db[dataKey]
    wrongRank = rows.ndim < 2 if rank is None else rows.ndim != rank + 1
    if wrongRank or not np.issubdtype(rows.dtype, np.number):
        raise ValueError(
            f"{dbPath}: '{dataKey}' holds {rows.dtype} rows of shape {rows.shape[1:]}; "
            f"expected numbers in rows of {rank or 'one or more'} dimension(s)"
        )
    labels = db["labels"]
    if labels.ndim != 1 or not np.issubdtype(labels.dtype, np.integer):
        raise ValueError(
            f"{dbPath}: 'labels' holds {labels.dtype} of shape {labels.shape}; expected one "
            "integer class index per row (not one-hot, float or text labels)"
        )
    try:
        labels = labels[:]
    except OSError as error:
        raise ValueError(f"{dbPath}: 'labels' cannot be read ({error})") from None
    if labels.shape != (rows.shape[0],):
        raise ValueError(
            f"{dbPath} holds {rows.shape[0]} rows of '{dataKey}' but {len(labels)} labels"
        )
    return rows, labels
