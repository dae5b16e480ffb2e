"""The data core directly: a `Split` holds what its file stores and is
opened once for every reader; every draw of the generator and the row
batches comes from `EpochPlan` (tested itself in test_epochplan.py)."""

import os

import numpy as np
import pytest

from pyimagesearch.io import HDF5DatasetGenerator, HDF5DatasetWriter
from pyimagesearch.io.rowindexbatches import RowIndexBatches
from pyimagesearch.io.split import Split
from pyimagesearch.utils.epochplan import EpochPlan


def write(path, n, shape=(6, 5, 3)):
    rng = np.random.default_rng(n)
    images = rng.integers(0, 256, (n,) + shape, dtype=np.uint8)
    labels = (np.arange(n) * 7) % 2
    names = [f"{'cd'[k]}.{i}.jpg" for i, k in enumerate(labels)]
    with HDF5DatasetWriter((n,) + shape, str(path), bufSize=4) as writer:
        writer.add(images, labels)
        writer.storeClassLabels(["cat", "dog"])
        writer.storeStrings("image_names", names)
    return images, labels, names


def test_a_split_holds_what_its_file_stores(tmp_path):
    (images, labels, names) = write(tmp_path / "s.hdf5", 11)
    split = Split(tmp_path / "s.hdf5")
    assert (split.count, split.shape, split.dtype) == (11, (6, 5, 3), np.uint8)
    assert split.labels.tolist() == labels.tolist()
    assert split.labelNames == ["cat", "dog"] and split.imageNames == names
    assert split.nbytes == images.nbytes
    assert np.array_equal(split.read(), images)
    # parts, one after another; an empty part adds nothing
    parts = [(8, 11), (2, 2), (0, 3)]
    assert np.array_equal(split.read(parts), np.concatenate([images[8:11], images[0:3]]))
    with pytest.raises(ValueError, match="at least the model's input size 7"):
        split.check_image_size(7)
    with pytest.raises(ValueError, match=r"labels from 0 to 1, outside \[0, 1\)"):
        split.check_labels(1)


def test_parts_that_follow_on_in_the_file_are_read_at_once(tmp_path, monkeypatch):
    import h5py

    (images, _, _) = write(tmp_path / "s.hdf5", 11)
    split = Split(tmp_path / "s.hdf5")
    reads = []
    original = h5py.Dataset.read_direct

    def counted(self, *args, **kwargs):
        reads.append(args)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(h5py.Dataset, "read_direct", counted)
    # one shard's batches, as a whole split in memory reads them
    parts = [(0, 4), (4, 8), (8, 8), (8, 11)]
    assert np.array_equal(split.read(parts), images) and len(reads) == 1
    reads.clear()
    parts = [(0, 2), (2, 3), (6, 9), (10, 11)]
    expected = np.concatenate([images[0:3], images[6:9], images[10:11]])
    assert np.array_equal(split.read(parts), expected) and len(reads) == 3


def test_a_split_refuses_its_file_once_replaced(tmp_path):
    path = tmp_path / "s.hdf5"
    write(path, 5)
    split = Split(path)
    write(tmp_path / "new.hdf5", 5)
    os.replace(tmp_path / "new.hdf5", path)
    with pytest.raises(ValueError, match="was replaced while this run was reading it"):
        split.read()


def test_generators_given_one_split_batch_as_those_given_its_path(tmp_path):
    path = tmp_path / "s.hdf5"
    write(path, 13)
    split = Split(path)
    for kwargs in ({}, {"inMemory": True, "shardIndex": 1, "shardCount": 2, "seed": 3}):
        kwargs = dict(kwargs, shuffle=True, seed=3)
        (ours, theirs) = (HDF5DatasetGenerator(s, 4, **kwargs) for s in (split, str(path)))
        assert ours.split is split and len(ours) == len(theirs)
        for index in range(len(ours)):
            for a, b in zip(ours[index], theirs[index]):
                assert np.array_equal(a, b)
    with pytest.raises(ValueError, match="dataKey is 'features' but the split passed reads"):
        HDF5DatasetGenerator(split, 4, dataKey="features")


def test_every_training_draw_comes_from_the_epoch_plan(tmp_path):
    path = tmp_path / "s.hdf5"
    (_, labels, _) = write(path, 13)
    plan = EpochPlan(5)
    generator = HDF5DatasetGenerator(str(path), 2, shuffle=True, seed=5)
    rows = RowIndexBatches(labels, 2, 4, seed=5)
    for epoch in (0, 3):
        (generator.epoch, rows.epoch) = (epoch, epoch)
        assert generator.order.tolist() == plan.order(epoch, len(generator)).tolist()
        assert rows.order.tolist() == plan.order(epoch, 13).tolist()
        expected = plan.batch_rng(epoch, 2).integers(2**31, size=4)
        assert generator.batch_rng(2).integers(2**31, size=4).tolist() == expected.tolist()
    # a seed of None draws one entropy, used for every draw after
    drawn = EpochPlan(None)
    assert drawn.order(1, 50).tolist() == EpochPlan(drawn.entropy).order(1, 50).tolist()
    # shards and layers draw apart; the same place draws the same
    assert plan.batch_rng(0, 0, 1).random() != plan.batch_rng(0, 0).random()
    assert plan.layer_state(0, 1).tolist() == plan.layer_state(0, 1).tolist()
    assert plan.layer_state(0, 1)[0] != plan.layer_state(1, 1)[0]
    assert 0 <= plan.layer_state(2, 9)[0] < 2**31 and plan.layer_state(2, 9)[1] == 0
