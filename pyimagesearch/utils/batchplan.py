"""Which rows each batch of a pass holds, shard by shard, and how a batch
is padded so that the devices splitting it get equal parts.

Padding rows are copies of the batch's own rows with weight 0; the weight
tells `pyimagesearch.nn.trainingmodel.TrainingModel` (and any evaluation)
which rows are real.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

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


def pad_batch(batch: np.ndarray, multiple: int) -> np.ndarray:
    """`batch` with copies of its rows appended up to a multiple of
    `multiple` rows (itself when it is one already)."""
    size = round_up(len(batch), multiple)
    return batch if size == len(batch) else batch[padded_rows(len(batch), size)[0]]


@dataclass(frozen=True)
class BatchPlan:
    """The batches of one pass over `rows` rows, in file order.

    Batch `b` of the whole run spans `batchSize * shardCount` consecutive
    rows (the last one fewer); shard `shardIndex` gets an equal part of it,
    give or take a row, padded to `padded_size(b)` rows, the same for
    every shard. So the shards cover every row exactly once per pass, all
    have `len(plan)` batches of the same sizes, and a batch of a multiple
    of `padTo` rows is only padded when it is the short last one.
    """

    rows: int
    batchSize: int
    shardIndex: int = 0
    shardCount: int = 1
    padTo: int = 1

    def __len__(self) -> int:
        return math.ceil(self.rows / (self.batchSize * self.shardCount))

    def span(self, batch: int) -> tuple[int, int]:
        """(first row, rows) of the run's batch `batch`, all shards together."""
        run = self.batchSize * self.shardCount
        return batch * run, min(run, self.rows - batch * run)

    def part(self, batch: int) -> tuple[int, int]:
        """This shard's (start, end) rows of the run's batch `batch`."""
        (start, size) = self.span(batch)
        return (
            start + self.shardIndex * size // self.shardCount,
            start + (self.shardIndex + 1) * size // self.shardCount,
        )

    def padded_size(self, batch: int) -> int:
        """The rows every shard yields for the run's batch `batch`: the
        largest share, rounded up to a multiple of `padTo`."""
        return round_up(math.ceil(self.span(batch)[1] / self.shardCount), self.padTo)
