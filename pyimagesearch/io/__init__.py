from pyimagesearch.io.hdf5datasetgenerator import HDF5DatasetGenerator
from pyimagesearch.io.hdf5datasetwriter import HDF5DatasetWriter

__all__ = ["HDF5DatasetGenerator", "HDF5DatasetWriter"]
