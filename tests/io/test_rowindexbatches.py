"""`io.rowindexbatches.RowIndexBatches`, the batches of a split held on the
device: each epoch visits every row once, in its epoch's order, each row's
one-hot label its own, and a short last batch padded with weight-0 copies.
That the order is `EpochPlan`'s is tested in test_split.py."""

import numpy as np

from pyimagesearch.io.rowindexbatches import RowIndexBatches


def test_each_epoch_visits_every_row_once_with_its_own_label_and_pads_with_weight_0():
    labels = np.array([0, 1, 1, 0, 1, 1, 0])
    rows = RowIndexBatches(labels, 2, 4, seed=3, padTo=2)
    orders = []
    for epoch in (0, 1):
        assert rows.epoch == epoch and len(rows) == 2
        seen = []
        for index in range(len(rows)):
            (batch, onehot, weights) = rows[index]
            assert batch.dtype == np.int32 and batch.shape == (len(weights), 1)
            assert len(weights) == 4  # 4 rows, then 3 padded to a multiple of 2
            assert onehot.tolist() == np.eye(2)[labels[batch[:, 0]]].tolist()
            seen += batch[weights == 1, 0].tolist()
            assert set(batch[weights == 0, 0]) <= set(batch[weights == 1, 0])
        assert seen == rows.order.tolist() and sorted(seen) == list(range(7))
        orders.append(seen)
        rows.on_epoch_end()
    assert orders[0] != orders[1]
