from __future__ import annotations

import os

import cv2
import numpy as np

from pyimagesearch.utils.files import read_json, write_json


class DatasetMean:
    """The per-channel mean of a set of BGR images, fitted batch by batch.

    `partial_fit(images)` adds (N, H, W, 3) or (H, W, 3) BGR images; after
    it, `mean_` is {"R": ..., "G": ..., "B": ...}: each channel's mean over
    every pixel seen. `save(path)` writes `mean_` as JSON (the book's
    format), `load(path)` reads it back, and
    `MeanPreprocessor.from_json(path)` subtracts it.
    """

    def __init__(self) -> None:
        self.sums_ = np.zeros(3, np.float64)  # B, G, R
        self.pixels_ = 0
        self.mean_ = None

    def partial_fit(self, images: np.ndarray) -> DatasetMean:
        images = np.asarray(images)
        if images.shape[-1] != 3 or images.ndim not in (3, 4):
            raise ValueError(f"expected BGR images (..., H, W, 3); received shape {images.shape}")
        for image in images.reshape((-1,) + images.shape[-3:]):
            # exact for uint8 and much faster than ndarray.sum over two axes
            self.sums_ += cv2.sumElems(image)[:3]
            self.pixels_ += image.shape[0] * image.shape[1]
        (b, g, r) = self.sums_ / self.pixels_
        self.mean_ = {"R": float(r), "G": float(g), "B": float(b)}
        return self

    def fit(self, images: np.ndarray) -> DatasetMean:
        self.__init__()
        return self.partial_fit(images)

    def save(self, path: str | os.PathLike) -> None:
        if self.mean_ is None:
            raise ValueError("the mean is not fitted: call fit or partial_fit first")
        write_json(path, self.mean_)

    @classmethod
    def load(cls, path: str | os.PathLike) -> DatasetMean:
        """A fitted `DatasetMean` from a JSON file {"R": ..., "G": ..., "B": ...}."""
        fitted = cls()
        fitted.mean_ = read_mean(path)
        return fitted


def read_mean(path: str | os.PathLike) -> dict[str, float]:
    """{"R": ..., "G": ..., "B": ...} from the mean JSON at `path`, checked
    here, in one place; ValueError naming `path` otherwise."""
    means = read_json(path, "the mean JSON written by build_dogs_vs_cats.py")
    values = [means.get(key) if isinstance(means, dict) else None for key in "RGB"]
    if not all(
        isinstance(v, (int, float)) and not isinstance(v, bool) and 0 <= v <= 255 for v in values
    ):
        # a mean of 8-bit pixels lies in [0, 255]; a finite 1e39 would
        # still overflow the float32 the images are computed in
        raise ValueError(
            f"{path} must hold pixel means from 0 to 255 under the keys R, G and B, "
            'like {"R": 124.96, "G": 115.97, "B": 106.13}'
        )
    return dict(zip("RGB", map(float, values)))
