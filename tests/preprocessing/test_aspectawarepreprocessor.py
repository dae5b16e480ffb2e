"""`preprocessing.aspectawarepreprocessor`: the centre columns of a landscape
photo, the centre rows of a portrait one, and an odd margin resized to the
exact size."""

import cv2
import numpy as np

from helpers import random_images
from pyimagesearch.preprocessing import AspectAwarePreprocessor


def test_aspect_aware_landscape_crops_the_centre_columns():
    image = random_images(1, 100, 200)[0]
    out = AspectAwarePreprocessor(50, 50).preprocess(image)
    # height 100 -> 50 makes the image 50x100; dW = 25 keeps columns 25..75.
    expected = cv2.resize(image, (100, 50), interpolation=cv2.INTER_AREA)[:, 25:75]
    assert np.array_equal(out, expected)


def test_aspect_aware_portrait_crops_the_centre_rows():
    image = random_images(1, 90, 30)[0]
    out = AspectAwarePreprocessor(10, 10).preprocess(image)
    # width 30 -> 10 makes the image 30x10; dH = 10 keeps rows 10..20.
    expected = cv2.resize(image, (10, 30), interpolation=cv2.INTER_AREA)[10:20]
    assert np.array_equal(out, expected)


def test_aspect_aware_odd_margin_is_resized_to_the_exact_size():
    image = random_images(1, 60, 81)[0]
    out = AspectAwarePreprocessor(40, 40).preprocess(image)
    resized = cv2.resize(image, (54, 40), interpolation=cv2.INTER_AREA)  # imutils: int(81 * 40/60)
    expected = cv2.resize(resized[:, 7:47], (40, 40), interpolation=cv2.INTER_AREA)
    assert out.shape == (40, 40, 3)
    assert np.array_equal(out, expected)
