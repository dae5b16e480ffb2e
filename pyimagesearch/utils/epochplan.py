"""The one place where a seed becomes random state."""

from __future__ import annotations

import numpy as np


def stored_order(seed: int, count: int) -> np.ndarray:
    """The order in which the build and the feature extraction store
    `count` photos: a permutation of range(count) drawn from `seed` alone
    (a first/last cut of the rows is then a random split)."""
    return np.random.default_rng(seed).permutation(count)


class EpochPlan:
    """Every random draw of a training run, from one seed and the place of
    the draw alone -- never from a running state -- so that epoch `e`
    draws the same whether the run got there straight or resumed, and
    whatever the number and kind of workers.

    Args:
        seed: a non-negative int, or None to draw one now (`entropy`).

    Attributes:
        seed: as given.
        entropy: the int every draw starts from (`seed` when one is given).

    The draws:
        - `order(epoch, count)`: the order epoch `epoch` visits `count`
          items in (the batches of `HDF5DatasetGenerator`, the rows of
          `RowIndexBatches`).
        - `batch_rng(epoch, index, shard)`: the generator of batch `index`
          (its random patches and augmentation on the host).
        - `layer_state(place, epoch)`: the state `EpochSeeds` gives the
          model's `place`-th random layer at the start of `epoch`; the
          seeds the layers were built with only matter outside `fit`.
    """

    def __init__(self, seed: int | None = None) -> None:
        self.seed = seed
        self.entropy = np.random.SeedSequence(seed).entropy

    def order(self, epoch: int, count: int) -> np.ndarray:
        """A permutation of range(count) for `epoch`."""
        return np.random.default_rng([self.entropy, int(epoch)]).permutation(count)

    def batch_rng(self, epoch: int, index: int, shard: int | None = None) -> np.random.Generator:
        """The generator of batch `index` of `epoch` (of shard `shard`, when
        the run reads several, so that shards draw apart)."""
        place = [int(epoch), int(index)] + ([] if shard is None else [int(shard)])
        return np.random.default_rng([self.entropy, *place])

    def layer_state(self, place: int, epoch: int) -> np.ndarray:
        """The (2,) state of a `keras.random.SeedGenerator`: its seed for
        `epoch` and a counter of 0."""
        start = np.random.SeedSequence([self.entropy, int(place), int(epoch)]).generate_state(1)[0]
        return np.array([start % 2**31, 0])
