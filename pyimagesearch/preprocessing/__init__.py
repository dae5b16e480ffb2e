"""Preprocessors, importable from here or from their own modules.

Three of the book's preprocessors have a twin: the book's class works on
NumPy images on the CPU (`preprocess(image)`, `preprocess_batch(images)`);
the twin is a Keras layer doing the same inside a model, where the model
runs (the GPU when there is one):

    book's class (NumPy, per image)   Keras layer (in the graph)
    MeanPreprocessor                  MeanSubtraction
    PatchPreprocessor                 RandomPatch
    CropPreprocessor                  TenCrop

The classes are imported on first use, so that code that only decodes and
resizes photos (build_dogs_vs_cats.py) starts without loading Keras and
TensorFlow, which takes seconds.
"""

from typing import TYPE_CHECKING

from pyimagesearch.utils.lazy import lazy_getattr

if TYPE_CHECKING:  # what IDEs and type checkers see; imported lazily at run time
    from pyimagesearch.preprocessing.aspectawarepreprocessor import (
        AspectAwarePreprocessor as AspectAwarePreprocessor,
    )
    from pyimagesearch.preprocessing.croppreprocessor import CropPreprocessor as CropPreprocessor
    from pyimagesearch.preprocessing.datasetmean import DatasetMean as DatasetMean
    from pyimagesearch.preprocessing.imageaugmenter import ImageAugmenter as ImageAugmenter
    from pyimagesearch.preprocessing.imagetoarraypreprocessor import (
        ImageToArrayPreprocessor as ImageToArrayPreprocessor,
    )
    from pyimagesearch.preprocessing.meanpreprocessor import MeanPreprocessor as MeanPreprocessor
    from pyimagesearch.preprocessing.meansubtraction import MeanSubtraction as MeanSubtraction
    from pyimagesearch.preprocessing.patchpreprocessor import PatchPreprocessor as PatchPreprocessor
    from pyimagesearch.preprocessing.randompatch import RandomPatch as RandomPatch
    from pyimagesearch.preprocessing.simplepreprocessor import (
        SimplePreprocessor as SimplePreprocessor,
    )
    from pyimagesearch.preprocessing.tencrop import TenCrop as TenCrop

_MODULES = {
    "AspectAwarePreprocessor": "aspectawarepreprocessor",
    "CropPreprocessor": "croppreprocessor",
    "DatasetMean": "datasetmean",
    "ImageAugmenter": "imageaugmenter",
    "ImageToArrayPreprocessor": "imagetoarraypreprocessor",
    "MeanPreprocessor": "meanpreprocessor",
    "MeanSubtraction": "meansubtraction",
    "PatchPreprocessor": "patchpreprocessor",
    "RandomPatch": "randompatch",
    "SimplePreprocessor": "simplepreprocessor",
    "TenCrop": "tencrop",
}

__all__ = sorted(_MODULES)

__getattr__ = lazy_getattr(__name__, _MODULES)
