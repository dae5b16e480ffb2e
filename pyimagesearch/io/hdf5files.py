"""Open the HDF5 files this package writes, without Keras: the build and
the classifier read them without loading a deep-learning backend."""

import os

import h5py


def open_hdf5(dbPath):
    """Open an HDF5 file read-only, with one clear error if it is missing or
    is not HDF5."""
    if not os.path.isfile(dbPath):
        raise FileNotFoundError(f"{dbPath} does not exist: build the HDF5 data sets first")
    try:
        return h5py.File(dbPath, "r")
    except OSError as error:
        raise ValueError(f"{dbPath} is not a readable HDF5 file ({error})") from None


def read_label_names(db):
    """The class names stored by `HDF5DatasetWriter.storeClassLabels`, as
    `str`, or None when the file has none."""
    if "label_names" not in db:
        return None
    return [name for name in db["label_names"].asstr()[()]]


def stored_label_names(dbPath):
    """The class names of an HDF5 file; ValueError if it has none."""
    with open_hdf5(dbPath) as db:
        names = read_label_names(db)
    if not names:
        raise ValueError(
            f"{dbPath} has no class names ('label_names'): build it with build_dogs_vs_cats.py"
        )
    return names
