"""Load and save Keras models with one clear error for a wrong path, and
the class names that name the model's outputs inside the same file."""

from __future__ import annotations

import contextlib
import json
import os
import zipfile
from collections.abc import Iterator

import keras

from pyimagesearch.utils.files import MAX_MODEL_BYTES, atomic_path, open_input


def register_layers():
    """Import every module of this package that defines a Keras layer or
    model class, so that saved models holding them load."""
    # imported for what importing them does: each registers its classes
    import pyimagesearch.nn.deploylayers
    import pyimagesearch.nn.devicerows
    import pyimagesearch.nn.trainingmodel
    import pyimagesearch.preprocessing.imageaugmenter
    import pyimagesearch.preprocessing.meansubtraction
    import pyimagesearch.preprocessing.photoresize
    import pyimagesearch.preprocessing.randompatch
    import pyimagesearch.preprocessing.tencrop  # noqa: F401


def load_model(path: str | os.PathLike, training: bool = False) -> keras.Model:
    """Load a `.keras` model in Keras's safe mode: a model file from someone
    else cannot run arbitrary code (no Lambda layers with pickled code).
    The layers of this package are registered when their modules are
    imported, which `register_layers` does.

    Unless `training` (a checkpoint to resume), a model holding a
    `DeviceRows` layer is refused before any of its variables is made: a
    network for inference never holds one, and its declared shape (the
    whole split) would be allocated. The file is checked through the
    opening rule first (`model_archive`)."""
    register_layers()
    check_declared_sizes(path)
    if not training and "DeviceRows" in layer_classes(path):
        raise ValueError(
            f"{path} holds a training split (DeviceRows): pass the trained network "
            "(train_alexnet.py's --model), not a checkpoint of a --cache device run"
        )
    try:
        return keras.models.load_model(path, safe_mode=True)
    except (ValueError, TypeError, KeyError, zipfile.BadZipFile) as error:
        message = " ".join(str(error).split())[:300]
        raise ValueError(f"{path} could not be loaded as a Keras model ({message})") from None


MODEL_FILE = "a Keras 3 .keras model file"


@contextlib.contextmanager
def model_archive(path: str | os.PathLike) -> Iterator[zipfile.ZipFile]:
    """The .keras file at `path` as the zip archive it is, opened through
    the opening rule (`open_input`, at most `MAX_MODEL_BYTES`): Keras
    itself opens it by its path only once it passed."""
    with open_input(path, MODEL_FILE, MAX_MODEL_BYTES) as f:
        try:
            archive = zipfile.ZipFile(f)
        except zipfile.BadZipFile as error:
            raise ValueError(f"{path} is not {MODEL_FILE} ({error})") from None
        with archive:
            yield archive


# The JSON members of a .keras file are a few KB; one declaring more is
# refused before it is inflated (a 1.5 MB file can declare 1.5 GB).
LARGEST_JSON_MEMBER = 16 * 2**20


def check_declared_sizes(path: str | os.PathLike) -> None:
    """Raise ValueError naming `path` if a JSON member of the .keras file
    declares more than LARGEST_JSON_MEMBER bytes, checked from the zip's
    directory alone."""
    with model_archive(path) as archive:
        members = archive.infolist()
    for info in members:
        if info.filename.endswith(".json") and info.file_size > LARGEST_JSON_MEMBER:
            raise ValueError(
                f"{path}: its {info.filename} declares {info.file_size} bytes, more than a "
                f"model's configuration holds ({LARGEST_JSON_MEMBER}); not a model file to load"
            )


def layer_classes(path: str | os.PathLike) -> set[str]:
    """The class names of every layer in a .keras file's configuration,
    read without building anything ("pyimagesearch>DeviceRows" counts as
    "DeviceRows")."""
    try:
        with model_archive(path) as archive:
            config = json.loads(archive.read("config.json"))
    except (KeyError, ValueError, RecursionError, zipfile.BadZipFile) as error:
        raise ValueError(f"{path} has no readable model configuration ({error})") from None
    found = set()
    pending = [config]
    while pending:
        item = pending.pop()
        if isinstance(item, dict):
            if isinstance(item.get("class_name"), str):
                found.add(item["class_name"].split(">")[-1])
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)
    return found


def check_image_classifier(model, path, labelNames=None):
    """Raise ValueError naming `path` unless `model` takes (N, H, W, 3)
    images and returns (N, classes) scores, with one class per name in
    `labelNames` when they are given: checked before any prediction."""
    inputs = getattr(model, "input_shape", None)
    outputs = getattr(model, "output_shape", None)
    if not (
        isinstance(inputs, tuple)
        and len(inputs) == 4
        and inputs[-1] == 3
        and all(isinstance(size, int) for size in inputs[1:3])
    ):
        raise ValueError(
            f"{path} takes inputs of shape {inputs}; expected (N, H, W, 3) images of a "
            "fixed height and width"
        )
    if not (isinstance(outputs, tuple) and len(outputs) == 2 and (outputs[-1] or 0) >= 2):
        raise ValueError(f"{path} returns {outputs}; expected (N, classes) with 2 or more classes")
    if labelNames is not None and outputs[-1] != len(labelNames):
        raise ValueError(f"{path} returns {outputs[-1]} scores but names {len(labelNames)} classes")


def check_keras_path(path: str | os.PathLike) -> None:
    """Raise unless `path` is one Keras 3 can save a model to."""
    if not path.endswith(".keras"):
        raise ValueError(f"{path}: Keras 3 saves models only to paths ending in .keras")


# A member of the .keras zip archive that Keras itself ignores.
LABEL_NAMES_MEMBER = "pyimagesearch_label_names.json"


def save_model(
    model: keras.Model, path: str | os.PathLike, labelNames: list[str] | None = None
) -> None:
    """Save `model` to a `.keras` path; the file appears only when complete.
    `labelNames` (output column i is class labelNames[i]) are stored in the
    same file, for `load_label_names`."""
    check_keras_path(path)
    with atomic_path(path) as temporary:
        model.save(temporary)
        if labelNames is not None:
            with zipfile.ZipFile(temporary, "a") as archive:
                archive.writestr(LABEL_NAMES_MEMBER, json.dumps([str(n) for n in labelNames]))


def load_label_names(path: str | os.PathLike) -> list[str] | None:
    """The class names saved with a model by `save_model`, or None."""
    with model_archive(path) as archive:
        if LABEL_NAMES_MEMBER not in archive.namelist():
            return None
        try:
            names = json.loads(archive.read(LABEL_NAMES_MEMBER))
        except (ValueError, RecursionError):  # not JSON, or not UTF-8
            names = None
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        raise ValueError(f"{path} holds malformed class names in {LABEL_NAMES_MEMBER}")
    return names
