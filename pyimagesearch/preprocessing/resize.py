"""What the preprocessors that change an image's size have in common."""

from __future__ import annotations

import cv2
import numpy as np

from pyimagesearch.utils.checks import check_image_batch, check_positive_int


def keep_channel_axis(resized: np.ndarray, original: np.ndarray) -> np.ndarray:
    """OpenCV drops the channel axis of an (H, W, 1) image when it resizes it;
    put it back so every preprocessor returns the channel count it was given."""
    if original.ndim == 3 and resized.ndim == 2:
        return resized[:, :, None]
    return resized


def resize(image: np.ndarray, width: int, height: int, inter: int) -> np.ndarray:
    return keep_channel_axis(cv2.resize(image, (width, height), interpolation=inter), image)


class ResizingPreprocessor:
    """Base of the preprocessors whose output is (height, width, C).

    Args:
        width, height: the output size in pixels.
        inter: an OpenCV interpolation flag (default `cv2.INTER_AREA`).

    Subclasses define `preprocess(image)`: (H, W, C) -> (height, width, C),
    dtype kept; `preprocess_batch` maps it over (N, H, W, C) into one
    preallocated (N, height, width, C) array.
    """

    def __init__(self, width: int, height: int, inter: int = cv2.INTER_AREA) -> None:
        self.width = check_positive_int("width", width)
        self.height = check_positive_int("height", height)
        self.inter = inter

    def __call__(self, image: np.ndarray) -> np.ndarray:
        """`preprocess(image)`: a preprocessor is a function of one image."""
        return self.preprocess(image)

    def preprocess_batch(self, images: np.ndarray) -> np.ndarray:
        images = check_image_batch(images)
        out = np.empty((len(images), self.height, self.width, images.shape[3]), images.dtype)
        for i, image in enumerate(images):
            out[i] = self.preprocess(image)
        return out
