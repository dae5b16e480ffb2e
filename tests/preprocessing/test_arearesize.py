"""`preprocessing.arearesize`: the area weights resize as OpenCV's
INTER_AREA does."""

import cv2
import numpy as np
import pytest


@pytest.mark.parametrize("source,target", [(228, 227), (256, 227), (100, 37), (9, 9)])
def test_area_weights_resize_as_opencv_inter_area(source, target):
    from pyimagesearch.preprocessing.arearesize import area_weights

    image = np.random.default_rng(0).uniform(-120, 130, (source, source + 3)).astype("float32")
    expected = cv2.resize(image, (target, target), interpolation=cv2.INTER_AREA)
    got = area_weights(source, target) @ image @ area_weights(source + 3, target).T
    assert np.abs(got - expected).max() < 1e-3
