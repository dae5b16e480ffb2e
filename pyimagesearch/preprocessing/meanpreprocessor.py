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
