"""Open the HDF5 files this package writes, without Keras: the build and
the classifier read them without loading a deep-learning backend."""

from __future__ import annotations

import os

import h5py
import numpy as np

from pyimagesearch.utils.files import check_input

HDF5_FILE = "an HDF5 file of this project (build the HDF5 data sets first)"


def open_hdf5(dbPath: str | os.PathLike) -> h5py.File:
    """Open an HDF5 file read-only, with one clear error if it is missing,
    not a regular file (checked by the opening rule before h5py opens it by
    its path: HDF5 would wait on a FIFO) or not HDF5. Any size: its data
    sets are checked as they are read (`stored_dataset`)."""
    check_input(dbPath, HDF5_FILE)
    try:
        return h5py.File(dbPath, "r")
    except OSError as error:
        raise ValueError(f"{dbPath} is not a readable HDF5 file ({error})") from None


def read_label_names(db: h5py.File) -> list[str] | None:
    """The class names stored by `HDF5DatasetWriter.storeClassLabels`, as
    `str`, or None when the file has none."""
    if "label_names" not in db:
        return None
    return [name for name in stored_dataset(db, db.filename, "label_names").asstr()[()]]


def read_image_names(db: h5py.File) -> list[str] | None:
    """The photo of each row ("image_names", written by the build and by
    feature extraction), or None for a file without them."""
    if "image_names" not in db:
        return None
    return list(stored_dataset(db, db.filename, "image_names").asstr()[()])


def stored_label_names(dbPath: str | os.PathLike) -> list[str]:
    """The class names of an HDF5 file; ValueError if it has none."""
    with open_hdf5(dbPath) as db:
        names = read_label_names(db)
    if not names:
        raise ValueError(
            f"{dbPath} has no class names ('label_names'): build it with build_dogs_vs_cats.py"
        )
    return names


def stored_dataset(db, dbPath, key):
    """The data set `key` of an open file, checked as untrusted before any
    of it is read: a plain data set of this file (no soft or external link,
    no external or virtual storage that would read other files), of real
    numbers or strings, storing the bytes its shape declares (a small file
    declaring billions of rows would make a read allocate them)."""
    try:
        link = db.get(key, getlink=True)
        if link is None:
            raise ValueError(f"{dbPath} has no '{key}' data set (it has {sorted(db.keys())})")
        if not isinstance(link, h5py.HardLink):
            kind = type(link).__name__
            raise ValueError(f"{dbPath}: '{key}' is a {kind}, not data stored in the file")
        dataset = db[key]
    except (RuntimeError, KeyError, OSError) as error:  # link loops, damaged headers
        raise ValueError(f"{dbPath}: '{key}' cannot be opened ({error})") from None
    if not isinstance(dataset, h5py.Dataset):
        raise ValueError(f"{dbPath}: '{key}' is a {type(dataset).__name__}, not a data set")
    if dataset.external or dataset.is_virtual:
        raise ValueError(f"{dbPath}: '{key}' keeps its data outside the file: refused")
    if dataset.dtype.kind not in "uifSOT":
        raise ValueError(f"{dbPath}: '{key}' holds {dataset.dtype}, not real numbers")
    declared = dataset.size * dataset.dtype.itemsize
    stored = dataset.id.get_storage_size()
    if declared > 2 * stored + 2**20:
        raise ValueError(
            f"{dbPath}: '{key}' declares {dataset.shape} ({declared} bytes) but stores "
            f"{stored} bytes: damaged, or not written by this project"
        )
    return dataset


def read_rows_and_labels(db, dbPath, dataKey, rank):
    """(the `dataKey` data set, its labels as a 1-D integer array), checked
    when the file is opened (`stored_dataset`): a damaged or foreign file is
    reported here, in one line naming it, not as a failure deep inside
    training.

    Args:
        db: the open file.
        rank: the dimensions each row must have (3 for images, 1 for
            feature vectors), or None for any.
    """
    (rows, labels) = (stored_dataset(db, dbPath, key) for key in (dataKey, "labels"))
    wrongRank = rows.ndim < 2 if rank is None else rows.ndim != rank + 1
    if wrongRank or rows.dtype.kind not in "uif":
        raise ValueError(
            f"{dbPath}: '{dataKey}' holds {rows.dtype} rows of shape {rows.shape[1:]}; "
            f"expected real numbers in rows of {rank or 'one or more'} dimension(s)"
        )
    if labels.ndim != 1 or not np.issubdtype(labels.dtype, np.integer):
        raise ValueError(
            f"{dbPath}: 'labels' holds {labels.dtype} of shape {labels.shape}; expected one "
            "integer class index per row (not one-hot, float or text labels)"
        )
    if labels.shape != (rows.shape[0],):
        raise ValueError(
            f"{dbPath} holds {rows.shape[0]} rows of '{dataKey}' but {len(labels)} labels"
        )
    try:
        labels = labels[:]
    except OSError as error:
        raise ValueError(f"{dbPath}: 'labels' cannot be read ({error})") from None
    return rows, labels
