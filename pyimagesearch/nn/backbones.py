"""Feature extractors: a `keras.applications` CNN by name, or a layer of a
saved `.keras` model, each returning global-average-pooled features."""

import sys

import keras
import numpy as np

from pyimagesearch import bookdefaults as book
from pyimagesearch.errors import ArgumentError
from pyimagesearch.nn.modelfiles import load_model
from pyimagesearch.nn.parallel.replicas import predict_batch
from pyimagesearch.preprocessing.simplepreprocessor import SimplePreprocessor
from pyimagesearch.utils.checks import check_image_size, image_size_problem
from pyimagesearch.utils.files import MAX_MODEL_BYTES, check_input

# Input sizes of the networks that are not trained at book.FEATURE_SIZE (224).
INPUT_SIZES = {
    "inceptionv3": 299,
    "xception": 299,
    "inceptionresnetv2": 299,
    "nasnetlarge": 331,
    "efficientnetb1": 240,
    "efficientnetb2": 260,
    "efficientnetb3": 300,
    "efficientnetb4": 380,
    "efficientnetb5": 456,
    "efficientnetb6": 528,
    "efficientnetb7": 600,
    "efficientnetv2b1": 240,
    "efficientnetv2b2": 260,
    "efficientnetv2b3": 300,
    "efficientnetv2s": 384,
    "efficientnetv2m": 480,
    "efficientnetv2l": 480,
}


def network_key(name):
    return name.replace("_", "").replace("-", "").lower()


def application_names():
    """{"resnet50": ResNet50, "mobilenetv2": MobileNetV2, ...}: every CNN in
    `keras.applications`, keyed by its lower-case name without underscores."""
    return {
        network_key(name): getattr(keras.applications, name)
        for name in dir(keras.applications)
        if name[0].isupper() and callable(getattr(keras.applications, name))
    }


class FeatureExtractor:
    """Turn BGR images, resized by `resizer`, into one feature vector each.

    Args:
        model: a Keras model whose output is (N, D).
        inputSize: the model's input is inputSize x inputSize.
        preprocess: a callable on a float32 batch (N, S, S, 3) BGR.
        name: for messages, and recorded with the features.
        kind: where its weights come from: "keras.applications" (trained
            on other photos, or untrained) or "model file" (a saved model,
            which may have been trained on the very photos it describes).
        flip: each image's features are the mean of its own and its
            left-right mirror's (test-time augmentation: twice the work).

    `resizer`: a `SimplePreprocessor` to the input size, to apply to each
    photo first (in the decoding workers).
    `extract(images)`: (N, S, S, 3) BGR -> (N, D) float32.
    `replicas`: the devices `extract` splits its batches among (a
    `pyimagesearch.nn.parallel.replicas.Replicas`; None: one device).
    """

    KINDS = ("keras.applications", "model file")

    def __init__(self, model, inputSize, preprocess, name, kind="keras.applications", flip=False):
        if kind not in self.KINDS:
            raise ValueError(f"kind {kind!r} is not one of {', '.join(self.KINDS)}")
        self.model = model
        self.inputSize = inputSize
        self.preprocess = preprocess
        self.name = name
        self.kind = kind
        self.flip = flip
        self.replicas = None

    @property
    def resizer(self):
        """A `SimplePreprocessor` to the input size, for each photo."""
        return SimplePreprocessor(self.inputSize, self.inputSize)

    @property
    def dim(self):
        return int(self.model.output_shape[-1])

    def extract(self, images):
        batch = self.preprocess(np.asarray(images, dtype="float32"))
        features = predict_batch(self.model, batch, self.replicas)
        if self.flip:
            mirrored = predict_batch(self.model, np.ascontiguousarray(batch[:, :, ::-1]),
                                     self.replicas)  # fmt: skip
            features = (features + mirrored) / 2
        features = features.astype("float32", copy=False)
        if not np.all(np.isfinite(features)):
            raise ValueError(f"{self.name} returned NaN or infinite features")
        return features


def native_size(backbone):
    """The input size a `keras.applications` network was trained at."""
    return INPUT_SIZES.get(network_key(backbone), book.FEATURE_SIZE)


def application_extractor(backbone, weights="imagenet", featureSize=None, flip=False):
    """A `keras.applications` CNN without its classifier, average-pooled.

    Args:
        backbone: its name in lower case, underscores optional:
            "resnet50", "mobilenet_v2", "efficientnet_b0", ...
        weights: "imagenet" (downloaded by Keras on first use), a local
            weights file for the network without its top, or "none".
        featureSize: photos are resized to featureSize x featureSize
            (default: `native_size`); the network is convolutional up to its average
            pool, so its weights take any size from 32 to `LARGEST_SIZE`.
        flip: see `FeatureExtractor`.
    """
    networks = application_names()
    if network_key(backbone) not in networks:
        raise ArgumentError(
            "backbone",
            f"{backbone!r} is not a keras.applications network nor a .keras file; "
            f"choose one of: {', '.join(sorted(networks))}",
        )
    constructor = networks[network_key(backbone)]
    if weights not in ("imagenet", "none"):
        check_weights_file(weights, constructor.__name__)
    size = native_size(backbone) if featureSize is None else featureSize
    if check_image_size("featureSize", size) < 32:
        raise ArgumentError("featureSize", f"{size} is under 32 pixels, too small for a CNN")
    try:
        model = constructor(
            include_top=False,
            weights=None if weights == "none" else weights,
            input_shape=(size, size, 3),
            pooling="avg",
        )
    except ValueError as error:
        if weights in ("imagenet", "none"):
            raise
        message = " ".join(str(error).split())[:200]
        raise ArgumentError(
            "weights", f"{weights} does not fit {constructor.__name__} without its top ({message})"
        ) from None
    except Exception as error:  # Keras raises a bare Exception when a download fails
        if weights != "imagenet":
            raise
        raise ArgumentError(
            "weights",
            f"could not download the ImageNet weights of {constructor.__name__} ({error}); "
            "offline, give the path of a local weights file without the top",
        ) from None
    preprocess_input = sys.modules[constructor.__module__].preprocess_input

    def preprocess(bgr):
        return preprocess_input(np.ascontiguousarray(bgr[..., ::-1]))

    return FeatureExtractor(model, size, preprocess, constructor.__name__, flip=flip)


def check_weights_file(path, network="the backbone"):
    """Raise `ArgumentError` for "weights" unless `path` passes the opening
    rule as a weights file (a FIFO, a device or a folder is named as what
    it is)."""
    try:
        check_input(path, f"a weights file of {network} without its top", MAX_MODEL_BYTES)
    except (OSError, ValueError) as error:
        raise ArgumentError("weights", f"{error} (or imagenet, or none)") from None


def feature_extractor(
    backbone, weights="imagenet", layer=None, meanPath=None, featureSize=None, flip=False
):
    """`saved_model_extractor` for a path ending in .keras (its means read
    from `meanPath`; `featureSize`, if given, must be its input's), else
    `application_extractor`."""
    from pyimagesearch.preprocessing.meanpreprocessor import MeanPreprocessor

    if featureSize is not None:  # before a network is loaded
        check_image_size("featureSize", featureSize)
    if backbone.endswith(".keras"):
        means = MeanPreprocessor.from_json(meanPath)
        extractor = saved_model_extractor(backbone, means, layer, flip)
        if featureSize is not None and featureSize != extractor.inputSize:
            raise ArgumentError(
                "featureSize",
                f"{backbone} takes {extractor.inputSize} x {extractor.inputSize} inputs, "
                f"not {featureSize}: leave the size out for a .keras model",
            )
        return extractor
    return application_extractor(backbone, weights, featureSize, flip)


def saved_model_extractor(path, means, layer=None, flip=False):
    """A layer of a saved .keras model, such as the AlexNet trained by
    train_alexnet.py, average-pooled when its output is a feature map.

    Args:
        path: the .keras file.
        means: the `MeanPreprocessor` the model was trained with.
        layer: the name of the layer to tap; by default the input of the
            model's last Dense layer (for AlexNet, the 4096-d features of its
            second fully connected block).
        flip: see `FeatureExtractor`.
    """
    model = load_model(path)
    if layer is None:
        dense = [item for item in model.layers if isinstance(item, keras.layers.Dense)]
        output = (dense or model.layers)[-1].input
    else:
        names = [item.name for item in model.layers]
        if layer not in names:
            raise ArgumentError("layer", f"{layer!r} is not in {path}; its layers are {names}")
        output = model.get_layer(layer).output
    if len(output.shape) == 4:
        output = keras.layers.GlobalAveragePooling2D()(output)
    extractor = keras.Model(model.inputs, output)
    return FeatureExtractor(
        extractor, model_input_size(model, path), means.preprocess_batch, path, "model file", flip
    )


def model_input_size(model, path) -> int:
    """The side of the square photos `model` (read from `path`) takes,
    bounded as the size flags are; ValueError naming the file otherwise."""
    shape = tuple(model.input_shape)
    if len(shape) != 4 or shape[1] != shape[2]:
        raise ValueError(f"{path} takes inputs of shape {shape}, not square photos")
    problem = image_size_problem(shape[1])
    if problem:
        raise ValueError(f"{path}: its input side: {problem}")
    return int(shape[1])
