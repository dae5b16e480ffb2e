"""Preprocessors, importable from here or from their own modules.

The classes are imported on first use, so that a process that only decodes
and resizes photos (a worker of `pyimagesearch.io.imagefiles`) never loads
Keras and TensorFlow.
"""

import importlib

_MODULES = {
    "AspectAwarePreprocessor": "aspectawarepreprocessor",
    "CropPreprocessor": "croppreprocessor",
    "ImageAugmenter": "imageaugmenter",
    "ImageToArrayPreprocessor": "imagetoarraypreprocessor",
    "MeanPreprocessor": "meanpreprocessor",
    "PatchPreprocessor": "patchpreprocessor",
    "SimplePreprocessor": "simplepreprocessor",
}

__all__ = sorted(_MODULES)


def __getattr__(name):
    if name not in _MODULES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{_MODULES[name]}"), name)
