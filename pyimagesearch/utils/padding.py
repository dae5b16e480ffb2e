"""Pad a batch with copies of its own rows, weighted 0, so that devices
that split it get equal parts."""

from __future__ import annotations

import numpy as np


def round_up(count: int, multiple: int) -> int:
    """The smallest multiple of `multiple` that is at least `count`."""
    return -(-count // multiple) * multiple


def padded_rows(count: int, size: int) -> tuple[np.ndarray, np.ndarray]:
    """(rows, weights) for padding `count` rows to `size`: the row indices
    0..count-1 and then copies of them from the start, and weight 1 for the
    originals, 0 for the copies."""
    positions = np.arange(size)
    return positions % count, (positions < count).astype("float32")
