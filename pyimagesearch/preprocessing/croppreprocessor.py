from __future__ import annotations

import cv2
import numpy as np

from pyimagesearch.preprocessing.resize import resize
from pyimagesearch.utils.checks import check_image_batch, check_positive_int


class CropPreprocessor:
    """10-crop oversampling: four corners and the centre, then their mirrors.

    For an (h, w) image the crops come back in this order, exactly as the
    book computes them:

    0. top-left      rows [0, height),      cols [0, width)
    1. top-right     rows [0, height),      cols [w - width, w)
    2. bottom-right  rows [h - height, h),  cols [w - width, w)
    3. bottom-left   rows [h - height, h),  cols [0, width)
    4. centre        rows [dH, h - dH),     cols [dW, w - dW), where
       dW = int(0.5 * (w - width)) and dH = int(0.5 * (h - height)); when the
       difference is odd that window is one pixel larger (228 for 256 -> 227)
       and is resized to (width, height) with `inter`
    5-9. the horizontal mirror (left-right flip) of crops 0-4, same order

    Args:
        width, height: the crop size in pixels.
        horiz: include the five mirrors (default True).
        inter: OpenCV interpolation for the crops that need a resize.

    `preprocess`: (h, w, C) -> (10, height, width, C), or 5 with horiz=False;
        a 2-D grayscale (h, w) image gives (10, height, width).
    `preprocess_batch`: (N, h, w, C) -> (N, 10, height, width, C).

    Its Keras-layer twin, the same ten crops inside a model: `TenCrop`.
    """

    def __init__(
        self, width: int, height: int, horiz: bool = True, inter: int = cv2.INTER_AREA
    ) -> None:
        self.width = check_positive_int("width", width)
        self.height = check_positive_int("height", height)
        self.horiz = horiz
        self.inter = inter

    def windows(self, h: int, w: int) -> list[tuple[int, int, int, int]]:
        """The five (startX, startY, endX, endY) windows for an (h, w) image."""
        if h < self.height or w < self.width:
            raise ValueError(f"cannot take {self.height}x{self.width} crops from a {h}x{w} image")
        dW = int(0.5 * (w - self.width))
        dH = int(0.5 * (h - self.height))
        return [
            (0, 0, self.width, self.height),
            (w - self.width, 0, w, self.height),
            (w - self.width, h - self.height, w, h),
            (0, h - self.height, self.width, h),
            (dW, dH, w - dW, h - dH),
        ]

    def preprocess_batch(self, images: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
        """The crops of every image; `out`, when given, is an array of the
        result's shape and dtype to write them into (reusing one buffer
        across batches spares the page faults of a fresh ~6 MB per image)."""
        images = check_image_batch(images)
        (count, h, w, channels) = images.shape
        shape = (count, 10 if self.horiz else 5, self.height, self.width, channels)
        if out is None:
            out = np.empty(shape, images.dtype)
        elif out.shape != shape or out.dtype != images.dtype:
            raise ValueError(
                f"`out` must be a {images.dtype} array of shape {shape}; "
                f"received {out.dtype} {out.shape}"
            )
        for k, (startX, startY, endX, endY) in enumerate(self.windows(h, w)):
            crops = images[:, startY:endY, startX:endX]
            if crops.shape[1:3] == (self.height, self.width):
                out[:, k] = crops
            else:
                for i, crop in enumerate(crops):
                    out[i, k] = resize(crop, self.width, self.height, self.inter)
        if self.horiz:
            self._mirror(out)
        return out

    @staticmethod
    def _mirror(out):
        """Fill out[:, 5:10] with the left-right mirrors of out[:, 0:5]."""
        if out.shape[-1] not in (3, 4):
            out[:, 5:] = out[:, :5, :, ::-1]
            return
        # cv2.flip writes in place and is about 3x faster than a reversed
        # numpy copy of interleaved channels
        for i in range(len(out)):
            for k in range(5):
                cv2.flip(out[i, k], 1, dst=out[i, 5 + k])

    def __call__(self, image: np.ndarray) -> np.ndarray:
        """`preprocess(image)`: a preprocessor is a function of one image."""
        return self.preprocess(image)

    def preprocess(self, image: np.ndarray) -> np.ndarray:
        image = np.asarray(image)
        if image.ndim == 2:
            return self.preprocess_batch(image[None, :, :, None])[0, ..., 0]
        return self.preprocess_batch(image[None])[0]
