"""How the training split reaches the network: one object per `cache`
mode, each wrapping the network in its `TrainingModel`, supplying `fit`'s
data and validation, and checking a resumed model.

- `StreamFeed` ("none"): rows read from HDF5 per batch; random 227x227
  patches and the mean on CPU threads; augmentation in the model.
- `MemoryFeed` ("memory"): the same, with the split read into RAM once.
- `DeviceFeed` ("device"): the uint8 split held on the accelerator; each
  step receives row indices and gathers, patches, subtracts the mean and
  augments inside the compiled step.

Validation is host-fed in every mode (resized with the book's INTER_AREA
on the CPU) and scored by the same `TrainingModel` loss and accuracy.
`make_feed` picks the feed for a `cache` mode.
"""

from __future__ import annotations

import os

import keras

from pyimagesearch.errors import ArgumentError
from pyimagesearch.io.hdf5datasetgenerator import HDF5DatasetGenerator
from pyimagesearch.io.split import Split
from pyimagesearch.nn.parallel.replicas import Replicas
from pyimagesearch.nn.trainingmodel import TrainingModel
from pyimagesearch.pipeline.cache import choose_cache
from pyimagesearch.preprocessing import MeanPreprocessor, PatchPreprocessor, SimplePreprocessor


class StreamFeed:
    """The training split streamed from its HDF5 file (`cache` "none").

    Args:
        train, val: the HDF5 splits, each a `Split` opened once.
        means: the training split's `MeanPreprocessor`.
        inputSize: the network's input is inputSize x inputSize.
        batchSize: images per device in a step.
        seed: the patches, the augmentation and the batch order.
        workers: threads that prepare batches.
        replicas: the devices and processes of the run; each process reads
            its own shard, and batches are padded to a multiple of its
            devices.

    Attributes:
        batches: the training batches `fit` reads (a `keras.utils.PyDataset`
            whose `epoch` says which epoch's order and draws it gives).
        valGen: the validation batches.
    """

    mode = "none"
    inMemory = False

    def __init__(
        self,
        train: Split,
        val: Split,
        means: MeanPreprocessor,
        inputSize: int,
        batchSize: int,
        seed: int,
        workers: int,
        replicas: Replicas,
    ) -> None:
        if not train.labelNames:
            raise ValueError(
                f"{train.dbPath} has no class names ('label_names'): "
                "build it with build_dogs_vs_cats.py"
            )
        for split in (train, val):
            split.check_image_size(inputSize)
        self.means = means
        self.inputSize = inputSize
        self.seed = seed
        self.labelNames = train.labelNames
        self.replicas = replicas
        self.batchSize = replicas.process_batch(batchSize)
        self.shared = dict(
            classes=len(self.labelNames),
            workers=workers,
            inMemory=self.inMemory,
            shardIndex=replicas.processIndex,
            shardCount=replicas.processCount,
            padTo=replicas.localDevices,
            seed=seed,
        )
        self.batches = self.training_batches(train)
        self.valGen = HDF5DatasetGenerator(
            val,
            self.batchSize,
            [SimplePreprocessor(inputSize, inputSize), means],
            **self.shared,
        )

    def training_batches(self, train: Split) -> keras.utils.PyDataset:
        """Random patches of the training images, mean subtracted."""
        patches = PatchPreprocessor(self.inputSize, self.inputSize)
        return HDF5DatasetGenerator(
            train, self.batchSize, [patches, self.means], shuffle=True, **self.shared
        )

    def input_layers(self) -> list[keras.Layer]:
        """The layers between the training model's input and the augmentation."""
        return [keras.Input((self.inputSize, self.inputSize, 3))]

    def training_model(self, network: keras.Model, augmentation: list) -> TrainingModel:
        """`network` behind this feed's input and the augmentation layers,
        as one `TrainingModel`, which finds `network` by its name."""
        return TrainingModel(
            [*self.input_layers(), *augmentation, network],
            network=network.name,
            name=f"{network.name}_training",
        )

    def check(self, model: keras.Model, path: str | os.PathLike) -> None:
        """Raise `ArgumentError` unless `model` (loaded from `path`) was
        trained with this feed; make it ready to train on."""
        trainedAt = tuple(model.network.input_shape[1:3])
        if trainedAt != (self.inputSize, self.inputSize):
            raise ArgumentError(
                "inputSize",
                f"{path} was trained at {trainedAt[0]}x{trainedAt[1]}, not "
                f"{self.inputSize}x{self.inputSize}: resume with the size it was started with",
            )
        onDevice = device_rows(model) is not None
        if onDevice != (self.mode == "device"):
            raise ArgumentError(
                "cache",
                f"{path} was trained with the cache {'device' if onDevice else 'none or memory'}; "
                "resume with the same",
            )

    def start_at(self, epoch: int) -> None:
        """Draw the batches of `epoch` next, as a run that trained `epoch`
        epochs without stopping would."""
        self.batches.epoch = epoch

    def fit_arguments(self, model: TrainingModel) -> dict:
        """`model.fit`'s data, validation and extra callbacks."""
        # the batches are ordered by the seed: Keras's own shuffle would
        # reorder them with Python's `random`
        return dict(x=self.batches, validation_data=self.valGen, shuffle=False, callbacks=[])

    def close(self) -> None:
        self.batches.close()
        self.valGen.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()
        return False


class MemoryFeed(StreamFeed):
    """The training split read into RAM once (`cache` "memory"); otherwise
    a `StreamFeed`."""

    mode = "memory"
    inMemory = True


class DeviceFeed(StreamFeed):
    """The uint8 training split held on the accelerator (`cache` "device"):
    the training model starts with `DeviceRows` -> `RandomPatch` ->
    `MeanSubtraction`, and `fit` sends it batches of row indices
    (`RowIndexBatches`). Each device holds the whole split, so one process
    only. Validation is scored at each epoch's end by `HostValidation`."""

    mode = "device"
    inMemory = True  # read into RAM once, to be copied to the accelerator

    def training_batches(self, train: Split) -> keras.utils.PyDataset:
        """Row indices of the training split, whose uint8 rows (`data`)
        the model gathers; the patches and the mean are cut in the model."""
        from pyimagesearch.io.rowindexbatches import RowIndexBatches

        self.data = train.read()
        return RowIndexBatches(
            train.labels, len(self.labelNames), self.batchSize, self.seed,
            padTo=self.replicas.localDevices,
        )  # fmt: skip

    def input_layers(self) -> list[keras.Layer]:
        from pyimagesearch.nn.devicerows import DeviceRows
        from pyimagesearch.preprocessing.meansubtraction import MeanSubtraction
        from pyimagesearch.preprocessing.randompatch import RandomPatch

        means = self.means
        return [
            keras.Input((1,), dtype="int32"),
            DeviceRows(self.data),
            RandomPatch(self.inputSize, self.inputSize, seed=self.seed),
            MeanSubtraction(means.rMean, means.gMean, means.bMean),
        ]

    def check(self, model, path):
        super().check(model, path)
        device_rows(model).assign(self.data)

    def fit_arguments(self, model):
        from pyimagesearch.callbacks.hostvalidation import HostValidation

        network = model.network
        evaluator = TrainingModel([keras.Input(network.input_shape[1:]), network])
        evaluator.compile()
        return dict(
            x=self.batches, shuffle=False, callbacks=[HostValidation(evaluator, self.valGen)]
        )

    def close(self) -> None:
        self.valGen.close()  # the training rows are in memory: no file is open


def device_rows(model: keras.Model):
    """The `DeviceRows` layer of a training model (found by its class), or
    None when the model is fed from the host."""
    from pyimagesearch.nn.devicerows import DeviceRows

    found = [layer for layer in model.layers if isinstance(layer, DeviceRows)]
    return found[0] if found else None


FEEDS = {feed.mode: feed for feed in (StreamFeed, MemoryFeed, DeviceFeed)}


def make_feed(
    cache: str,
    trainPath: str | os.PathLike,
    valPath: str | os.PathLike,
    means: MeanPreprocessor,
    inputSize: int,
    batchSize: int,
    seed: int,
    workers: int,
    replicas: Replicas,
):
    """(the feed for `cache`, why): "auto" resolved by
    `pyimagesearch.pipeline.cache.choose_cache` from the size of the
    training split (opened as a `Split`, checked as every reader checks it); a
    run of several processes, each holding only its shard, never gets
    "device". The other arguments are `StreamFeed`'s."""
    train = Split(trainPath)
    (mode, reason) = choose_cache(cache, train.nbytes)
    if mode == "device" and replicas.processCount > 1:
        if cache == "device":
            raise ArgumentError(
                "cache",
                "device holds the whole split on every device, which processes "
                "reading shards cannot: use memory or none",
            )
        (mode, reason) = ("memory", f"{reason}; but each process holds only its shard")
    feed = FEEDS[mode](
        train, Split(valPath), means, inputSize, batchSize, seed, workers, replicas=replicas
    )
    return feed, reason
