"""One deployable model: photos in, the probability of each class out.

A deployable model is a Keras model of two layers:

    "resize"   `PhotoResize`: (N, h, w, 3) BGR photos as OpenCV decodes
               them (uint8, any size; one size per batch) -> the size the
               network takes, by OpenCV's INTER_AREA arithmetic
    "network"  a model of the resized photos: the network's preprocessing
               as layers, the network, and either the logistic regression
               as a softmax Dense layer (features of each photo, averaged
               with its mirror's when they were) or AlexNet's 10 crops
               averaged; then the submission's clip, if it had one

Its outputs are in the order of the class names saved in the same file
(`load_label_names`). `model_predictor` runs the two layers apart, the
resize per photo as it is decoded and the network on batches, so that
photos of many sizes make one batch: the chapter's submission and
predict.py both predict through it.
"""

from __future__ import annotations

import os

import keras
import numpy as np

from pyimagesearch.errors import ArgumentError
from pyimagesearch.nn.deploylayers import ApplicationPreprocessing, ClipProbabilities, Mirror
from pyimagesearch.nn.modelfiles import (
    layer_classes,
    load_label_names,
    load_model,
    register_layers,
    save_model,
)
from pyimagesearch.preprocessing.photoresize import PhotoResize
from pyimagesearch.utils.checks import image_size_problem

# every layer a deployable model may hold, so that keras.saving.load_model
# reads one once this module is imported
register_layers()

RESIZE = "resize"
NETWORK = "network"


def deployable_model(network: keras.Model, aspectAware: bool, clip: float | None) -> keras.Model:
    """`network` (resized photos -> probabilities) behind a `PhotoResize` to
    its input size and before the clip of `ClipProbabilities` (none when
    `clip` is None or 0)."""
    if clip is not None and not 0 <= clip < 0.5:
        raise ArgumentError("clip", f"{clip} is not from 0 to under 0.5")
    (height, width) = (int(network.input_shape[1]), int(network.input_shape[2]))
    photos = keras.Input((None, None, 3), dtype="uint8", name="photos")
    resized = PhotoResize(width, height, aspectAware, name=RESIZE)(photos)
    inner = keras.Input(network.input_shape[1:], name="resized")
    probabilities = network(inner)
    if clip:
        probabilities = ClipProbabilities(clip)(probabilities)
    wrapped = keras.Model(inner, probabilities, name=NETWORK)
    return keras.Model(photos, wrapped(resized), name="deployable")


def classifier_network(extractor, preprocessing, classifier) -> keras.Model:
    """Resized BGR photos -> class probabilities: `preprocessing` (the
    Keras layer doing `extractor`'s preprocess), `extractor`'s network
    (its mirror's features averaged in when `extractor.flip`) and the
    fitted scikit-learn `classifier` as a softmax Dense layer, its columns
    the classes 0, 1, ... in order. A binary logistic regression has one
    row of weights w, b: the layer's logits are (0, x.w + b), whose
    softmax is scikit-learn's (1 - p, p)."""
    classes = list(classifier.classes_)
    if classes != list(range(len(classes))):
        raise ValueError(
            f"the classifier knows the classes {classes}, not every class 0 to "
            f"{len(classes) - 1}: a model's outputs are every class in order"
        )
    size = extractor.inputSize
    images = keras.Input((size, size, 3), name="photo")
    prepared = preprocessing(images)
    features = extractor.model(prepared)
    if extractor.flip:
        mirrored = extractor.model(Mirror()(prepared))
        features = keras.layers.Average(name="with_mirror")([features, mirrored])
    (coef, intercept) = (classifier.coef_.T, classifier.intercept_)
    if len(classes) == 2:
        coef = np.concatenate([np.zeros_like(coef), coef], axis=1)
        intercept = np.concatenate([np.zeros_like(intercept), intercept])
    dense = keras.layers.Dense(len(classes), activation="softmax", name="logistic_regression")
    probabilities = dense(features)
    dense.set_weights([coef.astype("float32"), intercept.astype("float32")])
    return keras.Model(images, probabilities, name="features_and_classifier")


def classifier_model(
    backbone: str,
    classifierPath: str | os.PathLike,
    weights: str = "imagenet",
    layer: str | None = None,
    meanPath: str | os.PathLike | None = None,
    featureSize: int | None = None,
    flip: bool = False,
    clip: float | None = None,
) -> tuple[keras.Model, list[str]]:
    """(deployable model, its class names) from a backbone as
    `feature_extractor` takes it and the logistic regression fitted on its
    features (train_model.py's JSON): photos resized as by
    `SimplePreprocessor` to the features' size."""
    from pyimagesearch.nn.backbones import feature_extractor
    from pyimagesearch.pipeline.classifier import load_logistic_regression
    from pyimagesearch.preprocessing.meanpreprocessor import MeanPreprocessor
    from pyimagesearch.preprocessing.meansubtraction import MeanSubtraction

    extractor = feature_extractor(backbone, weights, layer, meanPath, featureSize, flip)
    (classifier, labelNames) = load_logistic_regression(classifierPath)
    if extractor.dim != classifier.n_features_in_:
        raise ArgumentError(
            "backbone",
            f"{classifierPath} takes {classifier.n_features_in_} "
            f"features but {extractor.name} gives {extractor.dim}",
        )
    if labelNames is None:
        raise ValueError(f"{classifierPath} names no classes: fit it again with this version")
    if extractor.kind == "model file":
        means = MeanPreprocessor.from_json(meanPath)
        preprocessing = MeanSubtraction(means.rMean, means.gMean, means.bMean)
    else:
        preprocessing = ApplicationPreprocessing(extractor.name)
    network = classifier_network(extractor, preprocessing, classifier)
    return deployable_model(network, False, clip), list(labelNames)


def finetuned_model(
    backbone: str,
    weights: str,
    featureSize: int | None,
    topPath: str | os.PathLike,
    layer: str,
    labelNames: list[str],
    clip: float | None = None,
) -> tuple[keras.Model, list[str]]:
    """(deployable model, its class names) from a keras.applications
    backbone cut at `layer` and the fine-tuned top saved at `topPath` (the
    fine-tuning stage's `finetuned.keras`: the cut layer's activations ->
    class probabilities): photos resized as by `SimplePreprocessor`, each
    photo's probabilities averaged with its mirror's, as the fine-tuning
    stage scored them."""
    from pyimagesearch.nn.backbones import feature_extractor
    from pyimagesearch.pipeline.finetune import split_backbone

    extractor = feature_extractor(backbone, weights, None, None, featureSize, False)
    (bottom, _) = split_backbone(extractor.model, layer)
    top = load_model(topPath)
    size = extractor.inputSize
    images = keras.Input((size, size, 3), name="photo")
    prepared = ApplicationPreprocessing(extractor.name)(images)
    views = [prepared, Mirror()(prepared)]
    probabilities = keras.layers.Average(name="with_mirror")([top(bottom(v)) for v in views])
    network = keras.Model(images, probabilities, name="finetuned")
    return deployable_model(network, False, clip), list(labelNames)


def alexnet_model(
    modelPath: str | os.PathLike,
    meanPath: str | os.PathLike,
    size: int,
    clip: float | None = None,
) -> tuple[keras.Model, list[str]]:
    """(deployable model, its class names) from a trained AlexNet and its
    training mean: photos resized as by `AspectAwarePreprocessor(size,
    size)` (as the build stores them), the mean subtracted, the class
    probabilities averaged over the 10 crops (`ten_crop_model`)."""
    from pyimagesearch.nn.modelfiles import check_image_classifier
    from pyimagesearch.preprocessing.meanpreprocessor import MeanPreprocessor
    from pyimagesearch.preprocessing.tencrop import ten_crop_model

    network = load_model(modelPath)
    labelNames = load_label_names(modelPath)
    check_image_classifier(network, modelPath, labelNames)
    if labelNames is None:
        raise ValueError(f"{modelPath} names no classes: train it again with this version")
    (height, width) = (int(network.input_shape[1]), int(network.input_shape[2]))
    if size < max(height, width):
        raise ArgumentError("size", f"{size} is smaller than the model's input {height}x{width}")
    means = MeanPreprocessor.from_json(meanPath)
    tenCrops = ten_crop_model(network, means, (size, size, 3))
    return deployable_model(tenCrops, True, clip), labelNames


def save_deployable(model: keras.Model, path: str | os.PathLike, labelNames: list[str]) -> None:
    """`save_model` with the class names, after checking that `model` is
    deployable and has one output per name."""
    check_deployable(model, path)
    if int(model.output_shape[-1]) != len(labelNames):
        raise ValueError(f"{path}: {model.output_shape[-1]} outputs but {len(labelNames)} names")
    save_model(model, path, labelNames)


def is_deployable(path: str | os.PathLike) -> bool:
    """Whether the .keras file at `path` is a deployable model (it holds a
    `PhotoResize`), read from its configuration without building it."""
    return "PhotoResize" in layer_classes(path)


def check_deployable(model: keras.Model, path) -> None:
    names = [layer.name for layer in model.layers[1:]]
    if names != [RESIZE, NETWORK] or not isinstance(model.get_layer(RESIZE), PhotoResize):
        raise ValueError(
            f"{path} is not a deployable model: its layers are {names}, not a "
            f"PhotoResize {RESIZE!r} then a {NETWORK!r}"
        )
    resize = model.get_layer(RESIZE)
    for side in ("width", "height"):  # bounded as the size flags are
        problem = image_size_problem(getattr(resize, side))
        if problem:
            raise ValueError(f"{path}: its {RESIZE!r} layer's {side}: {problem}")


class PhotoResizer:
    """The "resize" layer of a deployable model as a preprocessor of one
    decoded photo (for `load_images`' workers): (h, w, 3) uint8 -> (height,
    width, 3) float32. Refuses, as `AspectAwarePreprocessor` does, a photo
    whose resize on its shorter side would exceed the pixel limit."""

    def __init__(self, layer: PhotoResize) -> None:
        self.layer = layer
        if layer.aspectAware:
            from pyimagesearch.preprocessing.aspectawarepreprocessor import (
                AspectAwarePreprocessor,
            )

            self.intermediate_pixels = AspectAwarePreprocessor(
                layer.width, layer.height
            ).intermediate_pixels

    def preprocess(self, image: np.ndarray) -> np.ndarray:
        return np.asarray(self.layer(image[None]))[0]


def model_predictor(modelPath: str | os.PathLike, positive: str = "dog"):
    """(preprocessor for each photo, batch -> P(positive)) from a
    deployable model: its "resize" layer on each photo, its "network" on
    batches of resized photos -- the model's own computation, in two
    steps."""
    from pyimagesearch.pipeline.evaluation import check_finite
    from pyimagesearch.pipeline.submission import column_of

    model = load_model(modelPath)
    check_deployable(model, modelPath)
    column = column_of(load_label_names(modelPath), positive, modelPath)
    network = model.get_layer(NETWORK)

    def predict(images):
        return check_finite(np.asarray(network.predict_on_batch(images)))[:, column]

    return PhotoResizer(model.get_layer(RESIZE)), predict


def write_deployable(outputPath, build, inputs, overwrite: bool = False) -> None:
    """Save the (model, class names) that `build()` returns to
    `outputPath`, a .keras path that is none of `inputs` ((flag, path)
    pairs) and, unless `overwrite`, does not exist: both checked, and the
    output locked, before anything is built."""
    from pyimagesearch.nn.modelfiles import check_keras_path
    from pyimagesearch.utils.files import check_distinct, refuse_existing
    from pyimagesearch.utils.locks import output_lock

    check_keras_path(outputPath)
    check_distinct([("output", outputPath)], inputs)
    with output_lock(outputPath):
        refuse_existing([outputPath], overwrite)
        (model, labelNames) = build()
        save_deployable(model, outputPath, labelNames)
