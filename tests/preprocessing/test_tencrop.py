"""`preprocessing.tencrop`: the ten crops in the graph equal
CropPreprocessor's, in its order."""

import keras
import numpy as np
import pytest
from keras import ops

from pyimagesearch.preprocessing import CropPreprocessor, MeanPreprocessor


@pytest.mark.parametrize("shape,crop", [((256, 256), (227, 227)), ((40, 52), (31, 24))])
def test_ten_crops_in_the_graph_equal_crop_preprocessor_in_its_order(shape, crop):
    from pyimagesearch.preprocessing.meansubtraction import MeanSubtraction
    from pyimagesearch.preprocessing.tencrop import TenCrop

    images = np.random.default_rng(1).integers(0, 256, (3, *shape, 3), dtype=np.uint8)
    means = MeanPreprocessor(124.4, 115.1, 105.3)
    expected = CropPreprocessor(*crop).preprocess_batch(means.preprocess_batch(images))
    layers = keras.Sequential(
        [
            keras.Input((*shape, 3), dtype="uint8"),
            MeanSubtraction(124.4, 115.1, 105.3),
            TenCrop(*crop),
        ]
    )
    got = ops.convert_to_numpy(layers(images)).reshape(expected.shape)
    for k in (0, 1, 2, 3, 5, 6, 7, 8):
        assert np.array_equal(got[:, k], expected[:, k]), k  # corners: exact copies
    assert np.abs(got[:, [4, 9]] - expected[:, [4, 9]]).max() < 1e-3  # the resized centre
