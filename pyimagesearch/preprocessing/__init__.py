"""Preprocessors, importable from here or from their own modules.

The classes are imported on first use, so that code that only decodes and
resizes photos (build_dogs_vs_cats.py) starts without loading Keras and
TensorFlow, which takes seconds.
"""

from pyimagesearch.utils.lazy import lazy_getattr

_MODULES = {
    "AspectAwarePreprocessor": "aspectawarepreprocessor",
    "CropPreprocessor": "croppreprocessor",
    "DatasetMean": "datasetmean",
    "ImageAugmenter": "imageaugmenter",
    "ImageToArrayPreprocessor": "imagetoarraypreprocessor",
    "MeanPreprocessor": "meanpreprocessor",
    "PatchPreprocessor": "patchpreprocessor",
    "SimplePreprocessor": "simplepreprocessor",
}

__all__ = sorted(_MODULES)

__getattr__ = lazy_getattr(__name__, _MODULES)
