"""Measure several ways of doing one job in turn, A B C A B C ..., so that
each ratio between them comes from the same moments of a noisy machine."""

import statistics
import time


def rate(function, count):
    """`count` divided by the seconds `function()` takes."""
    start = time.perf_counter()
    function()
    return count / (time.perf_counter() - start)


def interleaved(measures, rounds=3):
    """{name: [rate of each round]} for `measures` ({name: a function that
    does the job once and returns its rate}): each is called once to warm
    up (compiling, first touch of the files; not counted), then once per
    round, in the same order every round."""
    for measure in measures.values():
        measure()
    rates = {name: [] for name in measures}
    for _ in range(rounds):
        for name, measure in measures.items():
            rates[name].append(measure())
    return rates


class Ratio:
    """`numerators[i] / denominators[i]` of the rounds: `median`, and the
    spread `low`..`high`."""

    def __init__(self, numerators, denominators):
        ratios = sorted(n / d for n, d in zip(numerators, denominators))
        self.median = statistics.median(ratios)
        (self.low, self.high) = (ratios[0], ratios[-1])

    def __str__(self):
        return f"x{self.median:.2f} (rounds x{self.low:.2f}-x{self.high:.2f})"
