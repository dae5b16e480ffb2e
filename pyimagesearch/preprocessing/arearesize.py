from __future__ import annotations

import numpy as np


def area_weights(source: int, target: int) -> np.ndarray:
    """The (target, source) matrix of OpenCV's INTER_AREA when shrinking one
    axis from `source` to `target` pixels: output pixel i averages the
    input pixels under [i * s, (i + 1) * s), s = source / target, each
    weighted by how much of it lies inside. A separable resize is then
    weights_h @ image @ weights_w.T, as matrix products on any device."""
    if target > source:
        raise ValueError(f"area weights shrink: {source} -> {target} pixels is not a shrink")
    scale = source / target
    weights = np.zeros((target, source), np.float64)
    for i in range(target):
        start, end = i * scale, (i + 1) * scale
        for j in range(int(np.floor(start)), min(int(np.ceil(end)), source)):
            weights[i, j] = min(end, j + 1) - max(start, j)
    return (weights / scale).astype("float32")
