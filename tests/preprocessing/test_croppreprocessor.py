"""`preprocessing.croppreprocessor`: the book's crop windows and order, with
and without mirrors, in batches, into a reused buffer, on float, single-
channel and 2-D grayscale images; its module path is the package's export."""

import cv2
import numpy as np
import pytest

from helpers import random_images
from pyimagesearch.preprocessing import CropPreprocessor
from pyimagesearch.preprocessing.croppreprocessor import CropPreprocessor as CropByModule


def test_crop_preprocessor_crops_2d_grayscale_images():
    image = np.arange(12 * 16, dtype=np.uint8).reshape(12, 16)
    crops = CropPreprocessor(10, 8).preprocess(image)
    assert crops.shape == (10, 8, 10)
    assert np.array_equal(crops[0], image[:8, :10]) and np.array_equal(crops[2], image[4:, 6:])
    assert np.array_equal(crops[5], image[:8, :10][:, ::-1])


def test_module_paths_match_package_exports():
    assert CropByModule is CropPreprocessor


def test_crop_windows_for_256_to_227_are_the_books():
    windows = CropPreprocessor(227, 227).windows(256, 256)
    assert windows == [
        (0, 0, 227, 227),
        (29, 0, 256, 227),
        (29, 29, 256, 256),
        (0, 29, 227, 256),
        (14, 14, 242, 242),
    ]


def test_crops_in_the_books_order_with_mirrors():
    image = random_images(1, 9, 12, seed=4)[0]
    crops = CropPreprocessor(width=8, height=6).preprocess(image)
    assert crops.shape == (10, 6, 8, 3)
    dW, dH = int(0.5 * (12 - 8)), int(0.5 * (9 - 6))  # 2, 1: centre window is 7x8
    centre = cv2.resize(image[dH : 9 - dH, dW : 12 - dW], (8, 6), interpolation=cv2.INTER_AREA)
    expected = [image[0:6, 0:8], image[0:6, 4:12], image[3:9, 4:12], image[3:9, 0:8], centre]
    expected += [e[:, ::-1] for e in expected]
    for got, want in zip(crops, expected):
        assert np.array_equal(got, want)


def test_crops_without_mirrors_and_in_batches():
    images = random_images(3, 10, 10, seed=5)
    p = CropPreprocessor(7, 7, horiz=False)
    assert p.preprocess(images[0]).shape == (5, 7, 7, 3)
    p = CropPreprocessor(7, 7)
    batch = p.preprocess_batch(images)
    assert batch.shape == (3, 10, 7, 7, 3)
    for image, crops in zip(images, batch):
        assert np.array_equal(crops, p.preprocess(image))


def test_crop_keeps_float_images_and_single_channels():
    image = random_images(1, 9, 9, c=1)[0].astype("float32") - 100.5
    crops = CropPreprocessor(6, 6).preprocess(image)
    assert crops.shape == (10, 6, 6, 1) and crops.dtype == np.float32
    assert np.array_equal(crops[0], image[:6, :6])


def test_crops_into_a_reused_buffer():
    images = random_images(4, 10, 10, seed=6)
    p = CropPreprocessor(7, 7)
    out = np.full((4, 10, 7, 7, 3), 99, np.uint8)
    assert p.preprocess_batch(images, out=out) is out
    assert np.array_equal(out, p.preprocess_batch(images))
    with pytest.raises(ValueError, match="out"):
        p.preprocess_batch(images, out=out[:3])
