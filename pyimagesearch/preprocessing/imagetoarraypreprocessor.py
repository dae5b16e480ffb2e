from __future__ import annotations

import keras
import numpy as np

from pyimagesearch.utils.checks import check_image_batch

DATA_FORMATS = ("channels_last", "channels_first")


class ImageToArrayPreprocessor:
    """Convert an image to a float32 array in Keras's data format.

    Args:
        dataFormat: "channels_last", "channels_first", or None for
            `keras.config.image_data_format()`.

    `preprocess`: (H, W, C) -> (H, W, C), or (C, H, W) for channels_first.
    `preprocess_batch`: (N, H, W, C) -> (N, H, W, C) or (N, C, H, W).
    """

    def __init__(self, dataFormat: str | None = None) -> None:
        if dataFormat is not None and dataFormat not in DATA_FORMATS:
            raise ValueError(
                f"`dataFormat` must be one of {DATA_FORMATS} or None; received {dataFormat!r}"
            )
        self.dataFormat = dataFormat

    def _channels_first(self):
        return (self.dataFormat or keras.config.image_data_format()) == "channels_first"

    def preprocess(self, image: np.ndarray) -> np.ndarray:
        image = np.asarray(image, dtype="float32")
        if image.ndim == 2:
            image = image[:, :, None]
        return np.moveaxis(image, -1, 0) if self._channels_first() else image

    def __call__(self, image: np.ndarray) -> np.ndarray:
        """`preprocess(image)`: a preprocessor is a function of one image."""
        return self.preprocess(image)

    def preprocess_batch(self, images: np.ndarray) -> np.ndarray:
        images = check_image_batch(images).astype("float32", copy=False)
        return np.moveaxis(images, -1, 1) if self._channels_first() else images
