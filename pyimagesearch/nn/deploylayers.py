"""The small layers a deployable model needs around a network: an ImageNet
network's own input preprocessing, a mirror, and the submission's clip."""

import sys

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="pyimagesearch")
class ApplicationPreprocessing(keras.layers.Layer):
    """A `keras.applications` network's `preprocess_input`, on BGR images
    as OpenCV decodes them (turned to RGB first, as `application_extractor`
    does): (N, H, W, 3) float32 -> (N, H, W, 3) float32.

    Args:
        network: its class name, as `keras.applications` spells it
            ("MobileNetV2", "ResNet50", ...).
    """

    def __init__(self, network, **kwargs):
        kwargs.setdefault("dtype", "float32")
        super().__init__(**kwargs)
        constructor = getattr(keras.applications, str(network), None)
        if not callable(constructor):
            raise ValueError(f"{network!r} is not a keras.applications network")
        self.network = constructor.__name__
        self.preprocess_input = sys.modules[constructor.__module__].preprocess_input

    def call(self, images):
        return self.preprocess_input(ops.flip(ops.cast(images, "float32"), axis=-1))

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = super().get_config()
        config.update(network=self.network)
        return config


@keras.saving.register_keras_serializable(package="pyimagesearch")
class Mirror(keras.layers.Layer):
    """Each image's left-right mirror: (N, H, W, C) -> (N, H, W, C)."""

    def call(self, images):
        return ops.flip(images, axis=2)

    def compute_output_shape(self, input_shape):
        return input_shape


@keras.saving.register_keras_serializable(package="pyimagesearch")
class ClipProbabilities(keras.layers.Layer):
    """Each probability p as min(max(p, clip), 1 - clip), as a submission
    writes it (`write_submission`'s clip)."""

    def __init__(self, clip, **kwargs):
        super().__init__(**kwargs)
        if not 0 < float(clip) < 0.5:
            raise ValueError(f"clip {clip} is not over 0 and under 0.5")
        self.clip = float(clip)

    def call(self, probabilities):
        return ops.clip(probabilities, self.clip, 1 - self.clip)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = super().get_config()
        config.update(clip=self.clip)
        return config
