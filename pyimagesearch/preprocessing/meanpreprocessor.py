from __future__ import annotations

import os

import cv2
import numpy as np

from pyimagesearch.preprocessing.datasetmean import DatasetMean
from pyimagesearch.utils.parallel import map_ranges

# Below this many values a batch is not worth splitting among threads.
PARALLEL_SIZE = 1 << 20


class MeanPreprocessor:
    """Subtract the dataset's per-channel mean from BGR images.

    Images are BGR, as OpenCV reads them: `bMean` is subtracted from channel
    0, `gMean` from channel 1 and `rMean` from channel 2. The book's argument
    order (R, G, B) is kept.

    `preprocess`: (H, W, 3) -> (H, W, 3) float32.
    `preprocess_batch`: (N, H, W, 3) -> (N, H, W, 3) float32.

    Its Keras-layer twin, the same subtraction inside a model: `MeanSubtraction`.
    """

    def __init__(self, rMean: float, gMean: float, bMean: float) -> None:
        self.rMean = rMean
        self.gMean = gMean
        self.bMean = bMean
        self.bgrMean = np.array([bMean, gMean, rMean], dtype="float32")
        self.scalar = tuple(float(m) for m in self.bgrMean) + (0.0,)

    @classmethod
    def from_json(cls, path: str | os.PathLike) -> MeanPreprocessor:
        """Read the means from a JSON file {"R": ..., "G": ..., "B": ...}, as
        build_dogs_vs_cats.py writes it."""
        means = DatasetMean.load(path).mean_
        return cls(means["R"], means["G"], means["B"])

    def _subtract(self, images):
        if images.shape[-1] != 3:
            raise ValueError(
                f"MeanPreprocessor expects 3-channel BGR images; received shape {images.shape}"
            )
        if images.dtype not in (np.uint8, np.float32):
            images = images.astype("float32")  # as the book: to float32, then subtract
        rows = np.ascontiguousarray(images).reshape(-1, images.shape[-2], 3)
        out = np.empty(rows.shape, np.float32)
        # One OpenCV pass converts and subtracts (3-4x faster than numpy's
        # convert-then-subtract, identical float32 results); a large batch is
        # split among threads, as OpenCV releases the GIL.
        map_ranges(
            lambda a, b: cv2.subtract(rows[a:b], self.scalar, dst=out[a:b], dtype=cv2.CV_32F),
            len(rows),
            min(os.cpu_count(), rows.size // PARALLEL_SIZE),
        )
        return out.reshape(images.shape)

    def __call__(self, image: np.ndarray) -> np.ndarray:
        """`preprocess(image)`: a preprocessor is a function of one image."""
        return self.preprocess(image)

    def preprocess(self, image: np.ndarray) -> np.ndarray:
        return self._subtract(np.asarray(image))

    def preprocess_batch(self, images: np.ndarray) -> np.ndarray:
        return self._subtract(np.asarray(images))
