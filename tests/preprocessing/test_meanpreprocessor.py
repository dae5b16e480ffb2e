"""`preprocessing.meanpreprocessor`: B, G, R means subtracted from channels
0, 1, 2, a batch as float32 NumPy subtraction, and in a forked worker."""

import numpy as np
import pytest

from helpers import random_images
from pyimagesearch.preprocessing import MeanPreprocessor


def test_mean_subtracts_b_g_r_from_channels_0_1_2():
    image = np.zeros((2, 3, 3), np.uint8)
    image[..., 0], image[..., 1], image[..., 2] = 10, 20, 30  # B, G, R
    out = MeanPreprocessor(rMean=1.5, gMean=2.0, bMean=3.25).preprocess(image)
    assert out.dtype == np.float32
    assert np.array_equal(out[0, 0], np.array([6.75, 18.0, 28.5], np.float32))
    batch = MeanPreprocessor(1.5, 2.0, 3.25).preprocess_batch(np.stack([image, image]))
    assert batch.shape == (2, 2, 3, 3) and np.array_equal(batch[1], out)


@pytest.mark.parametrize("dtype", ["uint8", "float32", "float64"])
def test_mean_batch_equals_float32_numpy_subtraction(dtype):
    images = random_images(3, 5, 7, seed=2).astype(dtype) * (1.37 if dtype != "uint8" else 1)
    p = MeanPreprocessor(rMean=124.96, gMean=115.97, bMean=106.13)
    expected = images.astype("float32") - np.array([106.13, 115.97, 124.96], "float32")
    assert np.array_equal(p.preprocess_batch(images), expected)
    assert np.array_equal(p.preprocess(images[1]), expected[1])


def test_mean_works_in_a_forked_worker_after_the_parent_used_it():
    import multiprocessing

    big = random_images(8, 256, 256)  # large enough to be split among threads
    p = MeanPreprocessor(1.0, 2.0, 3.0)
    expected = p.preprocess_batch(big)
    with multiprocessing.get_context("fork").Pool(1) as pool:
        got = pool.apply_async(p.preprocess_batch, (big,)).get(timeout=60)
    assert np.array_equal(got, expected)
