"""`nn.deploylayers`, the small layers around a deployable model's network:
`ApplicationPreprocessing` is the feature extractor's own preprocessing, in
each of its modes; `Mirror` reverses each row; `ClipProbabilities` bounds
each probability as a submission's clip does, and takes only a clip over 0
and under 0.5."""

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


def test_the_mirror_reverses_each_row_and_the_clip_bounds_each_probability():
    from pyimagesearch.nn.deploylayers import ClipProbabilities, Mirror

    images = np.arange(2 * 3 * 4, dtype="float32").reshape(2, 3, 4, 1)
    np.testing.assert_array_equal(np.asarray(Mirror()(images)), images[:, :, ::-1])
    probabilities = np.array([[0.0, 1.0], [0.3, 0.7]], "float32")
    clipped = np.asarray(ClipProbabilities(0.01)(probabilities))
    np.testing.assert_allclose(clipped, [[0.01, 0.99], [0.3, 0.7]], rtol=1e-6)
    for clip in (0, 0.5):
        with pytest.raises(ValueError, match=f"clip {clip} is not over 0 and under 0.5"):
            ClipProbabilities(clip)
