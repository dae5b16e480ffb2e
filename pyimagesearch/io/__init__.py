"""HDF5 data sets and photo files, importable from here or from their own
modules. Imported on first use, for the reason given in
`pyimagesearch.preprocessing`."""

import importlib

_MODULES = {
    "HDF5DatasetGenerator": "hdf5datasetgenerator",
    "HDF5DatasetWriter": "hdf5datasetwriter",
}

__all__ = sorted(_MODULES)


def __getattr__(name):
    if name not in _MODULES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{_MODULES[name]}"), name)
