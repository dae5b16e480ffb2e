"""`preprocessing.randompatch`: the in-graph random patch reaches every offset
uniformly, and only those."""

import numpy as np
from keras import ops
from scipy import stats


def test_random_patch_reaches_every_offset_uniformly_and_only_those():
    from pyimagesearch.preprocessing.randompatch import RandomPatch

    (h, w) = (6, 7)
    image = np.arange(h * w, dtype=np.int32).reshape(1, h, w, 1)
    patches = ops.convert_to_numpy(
        RandomPatch(4, 3, seed=0)(np.repeat(image, 6000, 0), training=True)
    )
    offsets = [divmod(int(p[0, 0, 0]), w) for p in patches]
    for patch, (y, x) in zip(patches[:200], offsets):
        assert np.array_equal(patch, image[0, y : y + 3, x : x + 4])
    valid = [(y, x) for y in range(h - 3 + 1) for x in range(w - 4 + 1)]
    counts = [offsets.count(o) for o in valid]
    assert sum(counts) == 6000  # every draw is a valid offset
    assert stats.chisquare(counts).pvalue > 1e-3  # and all of them equally likely
    centre = ops.convert_to_numpy(RandomPatch(4, 3)(image))
    assert np.array_equal(centre[0], image[0, 1:4, 1:5])
