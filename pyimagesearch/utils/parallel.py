"""Split array work among threads. OpenCV and large NumPy copies release the
GIL, so threads use every core without copying data between processes."""

import os
from concurrent.futures import ThreadPoolExecutor
from functools import lru_cache

import numpy as np

from pyimagesearch.utils.checks import MOST

# The threads a job runs on unless told otherwise, in the library and the
# scripts alike (decoding photos, preparing batches, cutting crops): one per
# core, as the threads mostly wait on OpenCV, NumPy or HDF5 with the GIL
# released; within the bound on threads from outside (`checks.MOST`).
DEFAULT_WORKERS = min(os.cpu_count() or 1, MOST["threads"])


@lru_cache(maxsize=1)
def _pool_of_process(pid):
    return ThreadPoolExecutor(DEFAULT_WORKERS)


def thread_pool():
    """This process's thread pool: a forked child (a PyDataset worker) gets
    its own, since the parent's threads do not exist in it."""
    return _pool_of_process(os.getpid())


def map_ranges(function, count, parts):
    """Call function(start, end) on `parts` (at most `count`) consecutive
    ranges covering [0, count), in this process's threads; wait for all."""
    bounds = np.linspace(0, count, max(1, min(parts, count)) + 1).astype(int)
    return list(thread_pool().map(function, bounds[:-1], bounds[1:]))
