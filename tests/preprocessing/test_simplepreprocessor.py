"""`preprocessing.simplepreprocessor`: resizing ignores the aspect ratio, and
a batch gives the same pixels as each image alone."""

import cv2
import numpy as np
import pytest

from helpers import random_images
from pyimagesearch.preprocessing import SimplePreprocessor


def test_simple_resizes_ignoring_aspect_ratio():
    image = random_images(1, 30, 50)[0]
    out = SimplePreprocessor(20, 10).preprocess(image)
    assert out.shape == (10, 20, 3) and out.dtype == np.uint8
    assert np.array_equal(out, cv2.resize(image, (20, 10), interpolation=cv2.INTER_AREA))


@pytest.mark.parametrize(
    "shape,size",
    [
        ((5, 256, 256, 3), (227, 227)),
        ((7, 61, 90, 3), (40, 17)),
        ((3, 30, 30, 1), (30, 12)),
        ((130, 20, 24, 3), (7, 9)),
    ],
)
def test_simple_batch_resize_gives_the_same_pixels_as_per_image(shape, size):
    images = random_images(*shape)
    p = SimplePreprocessor(*size)
    batch = p.preprocess_batch(images)
    assert batch.shape == (shape[0], size[1], size[0], shape[3])
    assert np.array_equal(batch, np.stack([p.preprocess(i) for i in images]))
    floats = images.astype("float32") / 3
    assert np.array_equal(p.preprocess_batch(floats), np.stack([p.preprocess(i) for i in floats]))
