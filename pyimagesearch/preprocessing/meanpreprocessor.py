import json
import math

import cv2
import numpy as np


class MeanPreprocessor:
    """Subtract the dataset's per-channel mean from BGR images.

    Images are BGR, as OpenCV reads them: `bMean` is subtracted from channel
    0, `gMean` from channel 1 and `rMean` from channel 2. The book's argument
    order (R, G, B) is kept.

    `preprocess`: (H, W, 3) -> (H, W, 3) float32.
    `preprocess_batch`: (N, H, W, 3) -> (N, H, W, 3) float32.
    """

    # Subtracting a constant per channel commutes with a spatial resampling
    # whose weights sum to one, so it may run before or after augmentation.
    commutesWithWarp = True

    def __init__(self, rMean, gMean, bMean):
        self.rMean = rMean
        self.gMean = gMean
        self.bMean = bMean
        self.bgrMean = np.array([bMean, gMean, rMean], dtype="float32")

    @classmethod
    def from_json(cls, path):
        """Read the means from a JSON file {"R": ..., "G": ..., "B": ...}, as
        build_dogs_vs_cats.py writes it."""
        try:
            with open(path) as f:
                means = json.load(f)
        except FileNotFoundError:
            raise FileNotFoundError(
                f"{path} does not exist: pass the mean JSON written by build_dogs_vs_cats.py"
            ) from None
        except (UnicodeDecodeError, json.JSONDecodeError) as error:
            raise ValueError(f"{path} is not valid JSON ({error})") from None
        values = [means.get(key) if isinstance(means, dict) else None for key in "RGB"]
        if not all(isinstance(v, (int, float)) and math.isfinite(v) for v in values):
            raise ValueError(
                f"{path} must hold finite numbers under the keys R, G and B, "
                'like {"R": 124.96, "G": 115.97, "B": 106.13}'
            )
        return cls(*values)

    def _subtract(self, images):
        if images.shape[-1] != 3:
            raise ValueError(
                f"MeanPreprocessor expects 3-channel BGR images; received shape {images.shape}"
            )
        # One OpenCV pass converts and subtracts: 3-4x faster than numpy's
        # convert-then-subtract, with identical float32 results.
        if images.dtype not in (np.uint8, np.float32):
            images = images.astype("float32")  # as the book: to float32, then subtract
        images = np.ascontiguousarray(images)
        rows = images.reshape(-1, images.shape[-2], 3)
        scalar = (float(self.bgrMean[0]), float(self.bgrMean[1]), float(self.bgrMean[2]), 0.0)
        return cv2.subtract(rows, scalar, dtype=cv2.CV_32F).reshape(images.shape)

    def preprocess(self, image):
        return self._subtract(np.asarray(image))

    def preprocess_batch(self, images):
        return self._subtract(np.asarray(images))
