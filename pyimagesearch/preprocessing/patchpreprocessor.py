from __future__ import annotations

import numpy as np

from pyimagesearch.utils.checks import check_image_batch, check_positive_int


class PatchPreprocessor:
    """Take one uniformly random (height, width) window of each image.

    Every top-left offset (y, x) with 0 <= y <= H - height and
    0 <= x <= W - width is equally likely, the last row and column included.

    Args:
        width, height: the window size in pixels.
        seed: an int for a reproducible sequence of windows, or None.

    `preprocess`: (H, W, C) -> (height, width, C), dtype kept.
    `preprocess_batch(images, rng=None)`: (N, H, W, C) -> (N, height, width,
        C), an independent window for each image, drawn from `rng` (a
        `np.random.Generator`; the `HDF5DatasetGenerator` passes one per
        batch) or from this preprocessor's own generator.

    Its Keras-layer twin, such windows drawn inside a model (and the centre
    window at inference): `RandomPatch`.
    """

    def __init__(self, width: int, height: int, seed: int | None = None) -> None:
        self.width = check_positive_int("width", width)
        self.height = check_positive_int("height", height)
        self.seed = seed
        self.rng = np.random.default_rng(seed)

    def offsets(
        self,
        count: int,
        image_height: int,
        image_width: int,
        rng: np.random.Generator | None = None,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Random top-left corners (ys, xs) for `count` windows."""
        rng = self.rng if rng is None else rng
        if image_height < self.height or image_width < self.width:
            raise ValueError(
                f"cannot take a {self.height}x{self.width} patch from a "
                f"{image_height}x{image_width} image"
            )
        ys = rng.integers(0, image_height - self.height + 1, size=count)
        xs = rng.integers(0, image_width - self.width + 1, size=count)
        return ys, xs

    def __call__(self, image: np.ndarray) -> np.ndarray:
        """`preprocess(image)`: a preprocessor is a function of one image."""
        return self.preprocess(image)

    def preprocess(self, image: np.ndarray) -> np.ndarray:
        (y,), (x,) = self.offsets(1, *image.shape[:2])
        return image[y : y + self.height, x : x + self.width]

    def preprocess_batch(
        self, images: np.ndarray, rng: np.random.Generator | None = None
    ) -> np.ndarray:
        images = check_image_batch(images)
        ys, xs = self.offsets(len(images), *images.shape[1:3], rng=rng)
        out = np.empty((len(images), self.height, self.width, images.shape[3]), images.dtype)
        for i, (y, x) in enumerate(zip(ys, xs)):
            out[i] = images[i, y : y + self.height, x : x + self.width]
        return out
