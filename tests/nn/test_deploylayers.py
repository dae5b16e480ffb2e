"""`nn.deploylayers`, the small layers around a deployable model's network:
`ApplicationPreprocessing` is the feature extractor's own preprocessing, in
each of its modes."""

import numpy as np
import pytest


@pytest.mark.parametrize("network", ["mobilenet_v2", "vgg16"])
def test_application_preprocessing_is_the_extractors(network):
    """The "tf" mode (scaled to [-1, 1]) and the "caffe" one (BGR, ImageNet mean)."""
    from pyimagesearch.nn.backbones import application_extractor
    from pyimagesearch.nn.deploylayers import ApplicationPreprocessing

    extractor = application_extractor(network, "none", 32)
    photos = np.random.default_rng(0).integers(0, 256, (2, 32, 32, 3)).astype(np.float32)
    layer = ApplicationPreprocessing(extractor.name)
    np.testing.assert_array_equal(np.asarray(layer(photos)), extractor.preprocess(photos))
