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

    # Each kind of draw is tagged in the seed's spawn key, which NumPy mixes
    # in after the seed, word for word: a place written as trailing words of
    # the seed itself would be lost where they are zero ([s, 0] seeds as [s]),
    # so epoch 0's order would be the seed's own stream and shard 0 no shard.
    ORDER, BATCH, LAYER = 1, 2, 3
    LARGEST_SEED = 2**128 - 1  # the spawn key starts after four words of seed

    def __init__(self, seed: int | None = None) -> None:
        if seed is not None and not (
            isinstance(seed, (int, np.integer)) and 0 <= seed <= self.LARGEST_SEED
        ):
            raise ValueError(f"seed must be None or an int from 0 to 2**128 - 1; received {seed!r}")
        self.seed = seed
        self.entropy = np.random.SeedSequence(seed).entropy

    def sequence(self, kind: int, *place: int) -> np.random.SeedSequence:
        """The seed sequence of one draw: `kind` (ORDER, BATCH, LAYER) at
        `place`, each a non-negative int."""
        place = tuple(map(int, place))
        if not all(0 <= word < 2**32 for word in place):  # one word each, or places would meet
            raise ValueError(f"a draw's place is whole numbers from 0 to 2**32 - 1; got {place}")
        return np.random.SeedSequence(self.entropy, spawn_key=(kind, *place))

    def order(self, epoch: int, count: int) -> np.ndarray:
        """A permutation of range(count) for `epoch`."""
        return np.random.default_rng(self.sequence(self.ORDER, epoch)).permutation(count)

    def batch_rng(self, epoch: int, index: int, shard: int | None = None) -> np.random.Generator:
        """The generator of batch `index` of `epoch` (of shard `shard`, when
        the run reads several, so that shards draw apart)."""
        place = (epoch, index) if shard is None else (epoch, index, shard)
        return np.random.default_rng(self.sequence(self.BATCH, *place))

    def layer_state(self, place: int, epoch: int) -> np.ndarray:
        """The (2,) state of a `keras.random.SeedGenerator`: its seed for
        `epoch` and a counter of 0."""
        start = self.sequence(self.LAYER, place, epoch).generate_state(1)[0]
        return np.array([start % 2**31, 0])
