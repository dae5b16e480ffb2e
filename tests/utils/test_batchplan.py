"""BatchPlan and padding, directly: which rows each shard's batches hold,
and how a batch is padded for the devices that split it."""

import itertools

import numpy as np
import pytest

from pyimagesearch.utils.batchplan import BatchPlan, pad_batch, padded_rows, round_up

PLANS = list(itertools.product((1, 7, 64, 101), (1, 4, 16), (1, 2, 3), (1, 2, 4)))


@pytest.mark.parametrize(("rows", "batchSize", "shardCount", "padTo"), PLANS)
def test_the_shards_cover_every_row_once_per_pass_in_batches_of_equal_size(
    rows, batchSize, shardCount, padTo
):
    plans = [BatchPlan(rows, batchSize, shard, shardCount, padTo) for shard in range(shardCount)]
    # every shard has the same number of batches, each padded to one size
    assert len({len(plan) for plan in plans}) == 1
    batches = len(plans[0])
    assert batches == -(-rows // (batchSize * shardCount))
    seen = []
    for batch in range(batches):
        sizes = {plan.padded_size(batch) for plan in plans}
        assert len(sizes) == 1
        (size,) = sizes
        assert size % padTo == 0
        (first, spanned) = plans[0].span(batch)
        parts = [plan.part(batch) for plan in plans]
        # the shards' parts tile the batch's span in order, none larger than the padded size
        assert parts[0][0] == first and parts[-1][1] == first + spanned
        assert all(a[1] == b[0] for a, b in zip(parts, parts[1:]))
        assert all(0 <= end - start <= size for start, end in parts)
        # a shard's part is empty only when the batch has fewer rows than shards
        # (HDF5DatasetGenerator then yields a weight-0 copy of a row)
        assert all(end > start for start, end in parts) or spanned < shardCount
        # only a short last batch of a padTo multiple is padded
        if batch < batches - 1 and batchSize % padTo == 0:
            assert all(end - start == size for start, end in parts)
        seen += [row for start, end in parts for row in range(start, end)]
    assert seen == list(range(rows))


def test_padding_repeats_the_batchs_own_rows_with_weight_zero():
    (rows, weights) = padded_rows(3, 8)
    assert rows.tolist() == [0, 1, 2, 0, 1, 2, 0, 1]
    assert weights.tolist() == [1, 1, 1, 0, 0, 0, 0, 0]
    batch = np.arange(10).reshape(5, 2)
    padded = pad_batch(batch, 4)
    assert padded.tolist() == [[0, 1], [2, 3], [4, 5], [6, 7], [8, 9], [0, 1], [2, 3], [4, 5]]
    assert pad_batch(batch, 5) is batch
    assert [round_up(n, 4) for n in (0, 1, 4, 5)] == [0, 4, 4, 8]
