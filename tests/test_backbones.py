"""The feature extractors: the size the photos are seen at, the mirrored
pass, and what the features file and the classifier record of them."""

import os

import keras
import numpy as np
import pytest

from pyimagesearch.errors import ArgumentError
from pyimagesearch.nn.backbones import FeatureExtractor, application_extractor, native_size

WEIGHTS = os.path.join(
    os.path.dirname(__file__), "..", "..", "shared", "data", "weights",
    "mobilenet_v2_1.0_224_imagenet_no_top.weights.h5",
)  # fmt: skip


def column_sums():
    """A model whose features say where the image's bright pixels are: the
    sum of each column of the first channel, so a mirror reverses them."""
    inputs = keras.Input((4, 4, 3))
    outputs = keras.layers.Lambda(lambda x: keras.ops.sum(x[..., 0], axis=1))(inputs)
    return keras.Model(inputs, outputs)


def test_flip_averages_each_image_with_its_left_right_mirror():
    images = np.random.default_rng(0).uniform(0, 255, (3, 4, 4, 3)).astype("float32")
    plain = FeatureExtractor(column_sums(), 4, lambda batch: batch, "sums")
    flipped = FeatureExtractor(column_sums(), 4, lambda batch: batch, "sums", flip=True)
    own = images[..., 0].sum(axis=1)
    assert np.allclose(plain.extract(images), own, rtol=1e-6)
    assert np.allclose(flipped.extract(images), (own + own[:, ::-1]) / 2, rtol=1e-6)
    with pytest.raises(ValueError, match="kind 'other'"):
        FeatureExtractor(column_sums(), 4, lambda batch: batch, "sums", kind="other")


def test_feature_size_sets_the_network_input_and_the_resizer():
    extractor = application_extractor("mobilenet_v2", "none", featureSize=96, flip=True)
    assert extractor.model.input_shape == (None, 96, 96, 3) and extractor.inputSize == 96
    resizer = extractor.resizer
    assert (resizer.width, resizer.height) == (96, 96)
    assert extractor.flip and extractor.kind == "keras.applications"
    assert extractor.extract(np.zeros((2, 96, 96, 3), "uint8")).shape == (2, 1280)
    assert native_size("mobilenet_v2") == 224 and native_size("inception_v3") == 299
    with pytest.raises(ArgumentError, match="under 32"):
        application_extractor("mobilenet_v2", "none", featureSize=16)


@pytest.mark.skipif(not os.path.isfile(WEIGHTS), reason="no ImageNet weights in ../shared")
def test_imagenet_weights_load_at_a_size_other_than_their_own():
    """The weights file is of the 224-pixel network without its top: every
    weight is a convolution's, so it loads at 288 too, to the same values."""
    at224 = application_extractor("mobilenet_v2", WEIGHTS)
    at288 = application_extractor("mobilenet_v2", WEIGHTS, featureSize=288)
    for a, b in zip(at224.model.weights, at288.model.weights):
        assert np.array_equal(keras.ops.convert_to_numpy(a), keras.ops.convert_to_numpy(b))
