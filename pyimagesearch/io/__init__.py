"""HDF5 data sets and photo files, importable from here or from their own
modules. Imported on first use, for the reason given in
`pyimagesearch.preprocessing`."""

from typing import TYPE_CHECKING

from pyimagesearch.utils.lazy import lazy_getattr

if TYPE_CHECKING:  # what IDEs and type checkers see; imported lazily at run time
    from pyimagesearch.io.hdf5datasetgenerator import HDF5DatasetGenerator as HDF5DatasetGenerator
    from pyimagesearch.io.hdf5datasetwriter import HDF5DatasetWriter as HDF5DatasetWriter
    from pyimagesearch.io.split import Split as Split

_MODULES = {
    "HDF5DatasetGenerator": "hdf5datasetgenerator",
    "HDF5DatasetWriter": "hdf5datasetwriter",
    "Split": "split",
}

__all__ = sorted(_MODULES)

__getattr__ = lazy_getattr(__name__, _MODULES)
