"""`preprocessing.imagetoarraypreprocessor`: channels-last and
channels-first arrays."""

import numpy as np
import pytest

from helpers import random_images
from pyimagesearch.preprocessing import ImageToArrayPreprocessor


def test_image_to_array_formats():
    image = random_images(1, 4, 5)[0]
    last = ImageToArrayPreprocessor("channels_last").preprocess(image)
    first = ImageToArrayPreprocessor("channels_first").preprocess(image)
    assert last.dtype == np.float32 and last.shape == (4, 5, 3)
    assert first.shape == (3, 4, 5) and np.array_equal(first[2], image[:, :, 2].astype("float32"))
    batch = ImageToArrayPreprocessor("channels_first").preprocess_batch(random_images(2, 4, 5))
    assert batch.shape == (2, 3, 4, 5) and batch.dtype == np.float32
    with pytest.raises(ValueError, match="dataFormat"):
        ImageToArrayPreprocessor("nchw")
