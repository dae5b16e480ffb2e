"""HDF5 data sets and photo files, importable from here or from their own
modules. Imported on first use, for the reason given in
`pyimagesearch.preprocessing`."""

from pyimagesearch.utils.lazy import lazy_getattr

_MODULES = {
    "HDF5DatasetGenerator": "hdf5datasetgenerator",
    "HDF5DatasetWriter": "hdf5datasetwriter",
}

__all__ = sorted(_MODULES)

__getattr__ = lazy_getattr(__name__, _MODULES)
