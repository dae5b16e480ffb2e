import json
import math

import numpy as np


class MeanPreprocessor:
    """Subtract the dataset's per-channel mean from BGR images.

    Images are BGR, as OpenCV reads them: `bMean` is subtracted from channel
    0, `gMean` from channel 1 and `rMean` from channel 2. The book's argument
    order (R, G, B) is kept.

    `preprocess`: (H, W, 3) -> (H, W, 3) float32.
    `preprocess_batch`: (N, H, W, 3) -> (N, H, W, 3) float32.
    """

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
        return np.subtract(images, self.bgrMean, dtype="float32")

    def preprocess(self, image):
        return self._subtract(np.asarray(image))

    def preprocess_batch(self, images):
        return self._subtract(np.asarray(images))
