from __future__ import annotations

import cv2
import numpy as np

from pyimagesearch.preprocessing.resize import ResizingPreprocessor, resize
from pyimagesearch.utils.checks import check_image_batch


class SimplePreprocessor(ResizingPreprocessor):
    """Resize to exactly (width, height) with `cv2.resize`, ignoring the
    aspect ratio.

    Args:
        width, height: the output size in pixels.
        inter: an OpenCV interpolation flag (default `cv2.INTER_AREA`).

    `preprocess`: (H, W, C) -> (height, width, C), dtype kept.
    `preprocess_batch`: (N, H, W, C) -> (N, height, width, C).
    """

    def preprocess(self, image: np.ndarray) -> np.ndarray:
        return resize(image, self.width, self.height, self.inter)

    def preprocess_batch(self, images: np.ndarray) -> np.ndarray:
        images = check_image_batch(images)
        (count, h, w, channels) = images.shape
        if self.inter != cv2.INTER_AREA or self.height > h or self.width > w:
            return super().preprocess_batch(images)
        # Shrinking with INTER_AREA maps every output row to input rows of the
        # same image, so the batch resizes as one tall image with identical
        # pixels -- and OpenCV spreads one large resize over all cores.
        tall = images.reshape(count * h, w, channels)
        out = cv2.resize(tall, (self.width, count * self.height), interpolation=cv2.INTER_AREA)
        return out.reshape(count, self.height, self.width, channels)
