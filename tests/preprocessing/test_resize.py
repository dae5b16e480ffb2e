"""`preprocessing.resize`: both resizers give a batch as they give each image,
keeping a single channel."""

import numpy as np
import pytest

from helpers import random_images
from pyimagesearch.preprocessing import AspectAwarePreprocessor, SimplePreprocessor


@pytest.mark.parametrize("cls", [SimplePreprocessor, AspectAwarePreprocessor])
def test_resizers_batch_equals_per_image_and_keep_one_channel(cls):
    images = random_images(4, 30, 50, c=1)
    p = cls(12, 8)
    batch = p.preprocess_batch(images)
    assert batch.shape == (4, 8, 12, 1)
    assert np.array_equal(batch, np.stack([p.preprocess(i) for i in images]))
