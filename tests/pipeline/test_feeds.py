"""The training feeds (`pipeline.feeds`), directly: what `make_feed` picks
and why, that an epoch of each feed holds every training row once, with its
label, and that training from memory or the device equals streaming."""

import json

import h5py
import keras
import numpy as np
import pytest

from conftest import INPUT_SIZE, call_main, train_args
from pyimagesearch.errors import ArgumentError
from pyimagesearch.nn.modelfiles import load_model
from pyimagesearch.nn.parallel.replicas import Replicas
from pyimagesearch.nn.trainingmodel import TrainingModel
from pyimagesearch.pipeline.feeds import DeviceFeed, MemoryFeed, StreamFeed, make_feed
from pyimagesearch.pipeline.training import RunOutputs
from pyimagesearch.preprocessing import MeanPreprocessor


def feed_for(built, cache, replicas=None, batchSize=8):
    return make_feed(
        cache, built["train"], built["val"], MeanPreprocessor.from_json(built["mean"]),
        INPUT_SIZE, batchSize, 3, 1, replicas=replicas or Replicas(),
    )  # fmt: skip


def split_labels(built):
    with h5py.File(built["train"], "r") as db:
        return db["labels"][:], [n.decode() for n in db["label_names"][:]]


@pytest.mark.parametrize(("cache", "kind"), [("none", StreamFeed), ("memory", MemoryFeed)])
def test_a_host_feeds_epoch_holds_every_row_once(built, cache, kind):
    (labels, names) = split_labels(built)
    (feed, reason) = feed_for(built, cache)
    with feed:
        assert type(feed) is kind and feed.mode == cache and "asked for" in reason
        assert feed.labelNames == names
        batches = feed.fit_arguments(None)["x"]
        seen = [batches[i] for i in range(len(batches))]
    images = np.concatenate([x for x, _ in seen])
    onehot = np.concatenate([y for _, y in seen])
    assert images.shape == (len(labels), INPUT_SIZE, INPUT_SIZE, 3)
    assert images.dtype == np.float32
    # the same labels, each row once (the order is the seed's)
    assert sorted(onehot.argmax(axis=1).tolist()) == sorted(labels.tolist())


def test_the_device_feeds_epoch_sends_every_row_index_once_with_its_label(built):
    (labels, _) = split_labels(built)
    (feed, _) = feed_for(built, "device")
    with feed:
        assert type(feed) is DeviceFeed
        rows = feed.batches
        for epoch in (0, 1):
            feed.start_at(epoch)
            batches = [rows[i] for i in range(len(rows))]
            indices = np.concatenate([r[:, 0] for r, _, _ in batches])
            weights = np.concatenate([w for _, _, w in batches])
            assert sorted(indices[weights == 1].tolist()) == list(range(len(labels)))
            onehot = np.concatenate([y for _, y, _ in batches])
            assert (onehot.argmax(axis=1) == labels[indices]).all()
        # the uint8 split itself goes to the device, as stored
        with h5py.File(built["train"], "r") as db:
            assert np.array_equal(feed.data, db["images"][:])


def test_auto_holds_the_split_in_memory_on_a_cpu_and_processes_never_get_device(built, monkeypatch):
    from pyimagesearch.nn.parallel import devices

    # a machine with no accelerator and RAM to spare, whatever runs the test
    monkeypatch.setattr(devices, "accelerators", lambda: [])
    monkeypatch.setattr(devices, "free_host_bytes", lambda: 100e9)
    (feed, reason) = feed_for(built, "auto")
    with feed:
        assert feed.mode == "memory"
    with pytest.raises(ArgumentError, match="device holds the whole split on every device"):
        feed_for(built, "device", Replicas(processCount=2))


def test_the_network_is_found_by_name_whatever_layers_wrap_it(built, tmp_path):
    """A checkpoint whose training model has layers after the network as
    well as before: resuming checks the network's input size, and saving
    writes the network, not the last layer."""
    network = keras.Sequential(
        [keras.Input((INPUT_SIZE, INPUT_SIZE, 3)), keras.layers.GlobalAveragePooling2D(),
         keras.layers.Dense(2, activation="softmax")], name="small",
    )  # fmt: skip
    model = TrainingModel(
        [keras.Input((INPUT_SIZE, INPUT_SIZE, 3)), keras.layers.Identity(name="before"), network,
         keras.layers.Identity(name="after")], network="small",
    )  # fmt: skip
    model.save(tmp_path / "checkpoint.keras")
    (feed, _) = feed_for(built, "memory")
    with feed, RunOutputs(str(tmp_path), str(tmp_path / "net.keras"), True) as outputs:
        resumed = outputs.load(tmp_path / "checkpoint.keras")
        assert resumed.network.name == "small"
        feed.check(resumed, tmp_path / "checkpoint.keras")
        outputs.save(resumed.network, ["cat", "dog"])
    saved = load_model(tmp_path / "net.keras")
    assert saved.name == "small" and saved.input_shape == (None, INPUT_SIZE, INPUT_SIZE, 3)
    # a checkpoint of 1.2.0 or earlier names no network: it is the last layer
    TrainingModel([keras.Input((INPUT_SIZE, INPUT_SIZE, 3)), network]).save(tmp_path / "old.keras")
    assert load_model(tmp_path / "old.keras", training=True).network.name == "small"


def train(built, out, epochs, cache, capsys, *extra):
    from dogs_vs_cats import train_alexnet

    code, text, err = call_main(
        train_alexnet,
        [
            *train_args(built, out, epochs),
            "--cache",
            cache,
            *extra,
        ],
        capsys,
    )
    assert code == 0, err
    assert f"cache: {cache}" in text
    return json.loads((out / "alexnet.json").read_text())


@pytest.mark.slow
def test_memory_cache_trains_exactly_as_streaming(built, trained, tmp_path, capsys):
    # the `trained` fixture held its split in memory
    streamed = train(built, tmp_path / "none", 1, "none", capsys)
    cached = json.loads((trained["dir"] / "alexnet.json").read_text())
    assert streamed["loss"] == cached["loss"] and streamed["val_loss"] == cached["val_loss"]


@pytest.mark.slow
def test_device_cache_trains_and_resumes_from_the_script(built, tmp_path, capsys):
    """train_alexnet.py --cache device, then --resume: the first epoch kept,
    one checkpoint left. (That a seed repeats a run, and that a resumed run
    is on the straight run's curve, test_training_numbers proves.)"""
    first = train(built, tmp_path / "a", 1, "device", capsys, "--seed", 5)
    assert set(first) >= {"loss", "accuracy", "val_loss", "val_accuracy"}
    resumed = train(built, tmp_path / "a", 2, "device", capsys, "--seed", 5, "--resume")
    assert len(resumed["loss"]) == 2 and resumed["loss"][0] == first["loss"][0]
    assert sorted(p.name for p in (tmp_path / "a").glob("checkpoint-*")) == [
        "checkpoint-epoch-002.keras"
    ]
