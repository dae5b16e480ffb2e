"""EpochPlan: one seed, every draw of a run from the draw's place alone."""

import itertools

import numpy as np
import pytest
from scipy import stats

from pyimagesearch.utils.epochplan import EpochPlan, stored_order


def test_orders_are_uniform_permutations_and_epochs_draw_apart():
    plan = EpochPlan(11)
    orders = np.array([plan.order(epoch, 8) for epoch in range(4000)])
    assert all(sorted(order) == list(range(8)) for order in orders[:50])
    # where item 0 lands, over 4,000 epochs: uniform over the 8 places
    landed = np.bincount(np.argmax(orders == 0, axis=1), minlength=8)
    assert stats.chisquare(landed).pvalue > 1e-3
    assert len({tuple(order) for order in orders[:20]}) == 20
    # the build's storage order is the seed's permutation alone
    assert stored_order(42, 10).tolist() == np.random.default_rng(42).permutation(10).tolist()


@pytest.mark.parametrize("seed", [0, 42, 2**32 - 1])
def test_every_place_of_every_kind_draws_its_own_stream(seed):
    """Zeros in a place (epoch 0, batch 0, shard 0, layer 0) once vanished
    from the seed, so epoch 0's order was the build's storage order, shard 0
    drew as no shard and batch (e, 0) as the epoch's order."""
    plan = EpochPlan(seed)
    count = 64
    streams = {"build's storage order": stored_order(seed, count)}
    for epoch, other in itertools.product(range(3), range(3)):
        streams[f"order of epoch {epoch}"] = plan.order(epoch, count)
        for shard in (None, 0, 1):
            rng = plan.batch_rng(epoch, other, shard)
            streams[f"batch {other} of epoch {epoch}, shard {shard}"] = rng.permutation(count)
        state = plan.layer_state(other, epoch)[0]
        streams[f"layer {other} at epoch {epoch}"] = np.random.default_rng(state).permutation(count)
    # the same first draw as a permutation of 64 (64! orders): equal only if
    # the streams are one
    for (a, first), (b, second) in itertools.combinations(streams.items(), 2):
        assert not np.array_equal(first, second), f"{a} draws as {b}"
    # each kind's seed words differ too, not only what they are used for
    words = [plan.sequence(kind, 0, 0).generate_state(4).tolist() for kind in (1, 2, 3)]
    assert len({tuple(w) for w in words}) == 3


def test_the_same_place_draws_the_same_and_a_bad_seed_is_refused():
    assert EpochPlan(7).order(2, 30).tolist() == EpochPlan(7).order(2, 30).tolist()
    assert EpochPlan(7).batch_rng(1, 2, 0).random() == EpochPlan(7).batch_rng(1, 2, 0).random()
    for bad in (-1, 2**128, 1.5, "7"):
        with pytest.raises(ValueError, match="seed must be None or an int"):
            EpochPlan(bad)
    # a place of two words would draw as two places of one: (2**32, 5) as (0, 1, 5)
    for place in ((2**32, 5), (-1, 0)):
        with pytest.raises(ValueError, match="a draw's place is whole numbers from 0 to 2"):
            EpochPlan(7).batch_rng(*place)
