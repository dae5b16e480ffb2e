"""Argument checks shared by the library's constructors."""

import numpy as np


def check_positive_int(name, value):
    """Return `value` if it is an integer >= 1, else raise a ValueError that
    names the argument and what was received."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"`{name}` must be a positive integer; received {value!r}")
    return int(value)


def check_image_batch(images):
    """Return `images` as an array of shape (N, H, W, C), else raise."""
    images = np.asarray(images)
    if images.ndim != 4:
        raise ValueError(
            "expected a batch of images of shape (N, H, W, C); "
            f"received an array of shape {images.shape}"
        )
    return images
