"""The benchmarks' interleaving: every way measured in turn, the warm-up
left out, ratios taken round by round."""

import pytest

from benchmarks.interleave import Ratio, interleaved


def test_interleaved_calls_in_turn_after_one_warm_up_each():
    calls = []

    def way(name, rates):
        def measure():
            calls.append(name)
            return rates.pop(0)

        return measure

    rates = interleaved({"a": way("a", [99, 1, 2, 3]), "b": way("b", [99, 10, 20, 40])}, rounds=3)
    assert calls == ["a", "b"] * 4
    assert rates == {"a": [1, 2, 3], "b": [10, 20, 40]}  # the warm-ups' 99 dropped


def test_ratio_is_the_median_of_the_rounds_ratios_with_their_spread():
    ratio = Ratio([10, 20, 40], [1, 2, 3])
    assert (ratio.low, ratio.median, ratio.high) == pytest.approx((10, 10, 40 / 3))
    assert str(ratio) == "x10.00 (rounds x10.00-x13.33)"
