from __future__ import annotations

import cv2
import imutils
import numpy as np

from pyimagesearch.preprocessing.resize import ResizingPreprocessor, keep_channel_axis


class AspectAwarePreprocessor(ResizingPreprocessor):
    """Resize the shorter side to the target, centre-crop the longer side,
    then resize to exactly (width, height) -- the book's algorithm.

    Args:
        width, height: the output size in pixels.
        inter: an OpenCV interpolation flag (default `cv2.INTER_AREA`).

    `preprocess`: (H, W, C) -> (height, width, C), dtype kept.
    `preprocess_batch`: (N, H, W, C) -> (N, height, width, C).
    """

    def intermediate_pixels(self, height: int, width: int) -> int:
        """The pixels of the image resized on its shorter side, before the
        crop: what resizing a `height` x `width` image allocates (a 1 x
        1,000,000 strip resized to 256 would be 256 x 256,000,000)."""
        if width < height:
            return self.width * (height * self.width // width)
        return self.height * (width * self.height // height)

    def preprocess(self, image: np.ndarray) -> np.ndarray:
        original = image
        (h, w) = image.shape[:2]
        dW = 0
        dH = 0
        if w < h:
            image = imutils.resize(image, width=self.width, inter=self.inter)
            dH = int((image.shape[0] - self.height) / 2.0)
        else:
            image = imutils.resize(image, height=self.height, inter=self.inter)
            dW = int((image.shape[1] - self.width) / 2.0)
        (h, w) = image.shape[:2]
        image = image[dH : h - dH, dW : w - dW]
        image = cv2.resize(image, (self.width, self.height), interpolation=self.inter)
        return keep_channel_axis(image, original)
