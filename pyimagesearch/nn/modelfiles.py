"""Load and save Keras models with one clear error for a wrong path."""

import os
import zipfile

import keras

from pyimagesearch.utils.files import atomic_path


def load_model(path):
    """Load a `.keras` model in Keras's safe mode: a model file from someone
    else cannot run arbitrary code (no Lambda layers with pickled code).
    Classes of this package (such as `ImageAugmenter`) are registered when
    their modules are imported."""
    import pyimagesearch.preprocessing.imageaugmenter  # noqa: F401  (registers the layer)

    if not os.path.isfile(path):
        raise FileNotFoundError(f"{path} does not exist: train a model first or pass its path")
    if not zipfile.is_zipfile(path):
        raise ValueError(f"{path} is not a Keras 3 .keras model file")
    try:
        return keras.models.load_model(path, safe_mode=True)
    except (ValueError, TypeError, KeyError, zipfile.BadZipFile) as error:
        message = " ".join(str(error).split())[:300]
        raise ValueError(f"{path} could not be loaded as a Keras model ({message})") from None


def check_keras_path(path):
    """Raise unless `path` is one Keras 3 can save a model to."""
    if not path.endswith(".keras"):
        raise ValueError(f"{path}: Keras 3 saves models only to paths ending in .keras")


def save_model(model, path):
    """Save `model` to a `.keras` path; the file appears only when complete."""
    check_keras_path(path)
    with atomic_path(path) as temporary:
        model.save(temporary)
