"""`preprocessing.patchpreprocessor`: random patches reach every offset and
only those, reproducibly from a seed."""

import numpy as np
import pytest

from helpers import random_images
from pyimagesearch.preprocessing import PatchPreprocessor


def test_patch_reaches_every_offset_and_only_those():
    h, w = 5, 6
    image = np.arange(h * w, dtype=np.int32).reshape(h, w, 1)
    p = PatchPreprocessor(width=4, height=3, seed=7)
    seen = set()
    for _ in range(600):
        patch = p.preprocess(image)
        y, x = divmod(int(patch[0, 0, 0]), w)
        assert np.array_equal(patch, image[y : y + 3, x : x + 4])
        seen.add((y, x))
    for (patch,) in zip(p.preprocess_batch(np.stack([image] * 600))):
        seen.add(divmod(int(patch[0, 0, 0]), w))
    assert seen == {(y, x) for y in range(h - 3 + 1) for x in range(w - 4 + 1)}


def test_patch_seed_is_reproducible():
    images = random_images(8, 20, 20)
    a = PatchPreprocessor(10, 10, seed=3).preprocess_batch(images)
    b = PatchPreprocessor(10, 10, seed=3).preprocess_batch(images)
    assert np.array_equal(a, b)
    with pytest.raises(ValueError, match="patch"):
        PatchPreprocessor(30, 10).preprocess(images[0])
