from __future__ import annotations

import keras
import numpy as np

from pyimagesearch.utils.batchplan import BatchPlan, padded_rows
from pyimagesearch.utils.epochplan import EpochPlan


class RowIndexBatches(keras.utils.PyDataset):
    """Batches of (row indices (n, 1) int32, one-hot labels (n, classes),
    weights (n,)) over a split whose rows are held on the device
    (`pyimagesearch.nn.devicerows.DeviceRows` gathers them).

    Each epoch visits every row once, in an order drawn from (seed, epoch)
    alone (`pyimagesearch.utils.epochplan.EpochPlan`), so that a resumed
    run sees the batches an uninterrupted run would: set `epoch` to
    continue a run. A batch is padded to a multiple of `padTo` rows with
    weight-0 copies of its rows (only the short last one, when `batchSize`
    is a multiple of `padTo`).
    """

    def __init__(self, labels, classes: int, batchSize: int, seed: int, padTo: int = 1) -> None:
        super().__init__()
        self.labels = np.asarray(labels)
        self.classes = classes
        self.seed = seed
        self.draws = EpochPlan(seed)
        self.plan = BatchPlan(len(self.labels), batchSize, padTo=padTo)
        self.epoch = 0

    @property
    def epoch(self) -> int:
        return self._epoch

    @epoch.setter
    def epoch(self, value: int) -> None:
        self._epoch = int(value)
        self.order = self.draws.order(self._epoch, len(self.labels))

    def __len__(self) -> int:
        return len(self.plan)

    def __getitem__(self, index: int):
        (start, end) = self.plan.part(index)
        (copies, weights) = padded_rows(end - start, self.plan.padded_size(index))
        rows = self.order[start:end][copies]
        onehot = np.eye(self.classes, dtype="float32")[self.labels[rows]]
        return rows.astype("int32")[:, None], onehot, weights

    def on_epoch_end(self) -> None:
        self.epoch += 1
