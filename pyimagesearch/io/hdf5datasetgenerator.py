from __future__ import annotations

import inspect
import os
import threading
from collections.abc import Iterator
from typing import Any

import keras
import numpy as np

from pyimagesearch.io.split import Split
from pyimagesearch.utils.batchplan import BatchPlan, padded_rows
from pyimagesearch.utils.checks import check_positive_int
from pyimagesearch.utils.epochplan import EpochPlan


def takes_rng(preprocessor):
    """Whether `preprocessor.preprocess_batch` draws random numbers from an
    `rng` argument (PatchPreprocessor, ImageAugmenter.augment)."""
    method = getattr(preprocessor, "preprocess_batch", None)
    return method is not None and "rng" in inspect.signature(method).parameters


class HDF5DatasetGenerator(keras.utils.PyDataset):
    """Batches of (data, labels) from an HDF5 file, for `model.fit`,
    `model.evaluate` and `model.predict`.

    Args:
        dbPath: a file written by `HDF5DatasetWriter`, or a
            `pyimagesearch.io.split.Split` already opened (its `dataKey`
            must be this one's), so that a split read by several generators
            is opened and checked once.
        batchSize: rows per batch; the last batch holds the remainder.
        preprocessors: applied in order to every batch. When each has a
            `preprocess_batch`, whole batches go through it; otherwise each
            image goes through `preprocess`.
        aug: applied after the preprocessors: an `ImageAugmenter`, any Keras
            layer or callable on a batch, or a legacy object with `.flow()`
            such as `ImageDataGenerator`.
        binarize: one-hot labels, shape (n, classes), instead of integers.
        classes: the number of classes; labels must lie in [0, classes).
        shuffle: shuffle the order of the batches at each epoch (the rows of
            a batch stay consecutive, which keeps HDF5 reads contiguous).
        seed: the seed of every random draw: the batch order of each epoch,
            and the random patches and augmentation of each batch. None
            draws one at construction.
        dataKey: the data set to read ("images" or "features").
        inMemory: read the whole data set into RAM once (N x row bytes),
            so that no batch reads the file.
        shardIndex, shardCount: yield shard `shardIndex` of `shardCount`
            (one per process of a multi-process run), as
            `pyimagesearch.utils.batchplan.BatchPlan` cuts them; each
            reads only its own rows (`inMemory` holds only those).
        padTo: pad every batch of this shard with copies of its own rows,
            weighted 0, to a multiple of `padTo` rows (the devices the
            batch is split among must get equal parts). With a `batchSize`
            that is a multiple of `padTo`, only the last batch is padded,
            at its end.
        workers, use_multiprocessing, max_queue_size: as `keras.utils.PyDataset`.

    Each pass yields every row exactly once: `len()` is
    ceil(N / (batchSize * shardCount)). Batches are (data, labels), or
    (data, labels, sample weights) when `shardCount` or `padTo` is above 1:
    the weight is 1 for a row of the file and 0 for a padding copy.

    Randomness: batch `index` of epoch `epoch` draws from a generator seeded
    with (seed, epoch, index), passed as `rng` to every preprocessor whose
    `preprocess_batch` takes one (`PatchPreprocessor`) and to an
    `ImageAugmenter` `aug`. So batches differ from one another, a new epoch
    draws anew, and the same seed gives the same batches whatever the number
    and kind of workers (a shard of several adds its index to the seed, so
    that shards draw apart). `epoch` counts the `on_epoch_end` calls; set it to
    continue a run where it stopped.

    The file is opened read-only, lazily, once in each process that reads
    it; `close()` (or a `with` block) closes it.
    """

    def __init__(
        self,
        dbPath: str | os.PathLike,
        batchSize: int,
        preprocessors: list | None = None,
        aug: Any = None,
        binarize: bool = True,
        classes: int = 2,
        shuffle: bool = False,
        seed: int = None,
        dataKey: str = "images",
        inMemory: bool = False,
        shardIndex: int = 0,
        shardCount: int = 1,
        padTo: int = 1,
        **kwargs,
    ) -> None:
        super().__init__(**kwargs)
        self.batchSize = check_positive_int("batchSize", batchSize)
        self.preprocessors = list(preprocessors or [])
        self.aug = aug
        self.binarize = binarize
        self.classes = check_positive_int("classes", classes)
        self.shuffle = shuffle
        self.seed = seed
        self.dataKey = dataKey
        self.inMemory = inMemory
        self.shardCount = check_positive_int("shardCount", shardCount)
        if not 0 <= shardIndex < shardCount:
            raise ValueError(f"shardIndex must lie in [0, {shardCount}), received {shardIndex}")
        self.shardIndex = shardIndex
        self.padTo = check_positive_int("padTo", padTo)
        if shardCount > 1 and seed is None:
            raise ValueError("shards must share a seed to agree on the batch order: pass seed")
        self.weighted = shardCount > 1 or padTo > 1

        self.split = dbPath if isinstance(dbPath, Split) else Split(dbPath, dataKey)
        if self.split.dataKey != dataKey:
            raise ValueError(
                f"dataKey is {dataKey!r} but the split passed reads {self.split.dataKey!r}"
            )
        self.dbPath = self.split.dbPath
        self.labels = self.split.labels
        self.numImages = self.split.count
        self.shape = self.split.shape
        self.classNames = self.split.labelNames
        if self.numImages < shardCount:
            raise ValueError(
                f"{self.dbPath} holds {self.numImages} rows, too few for {shardCount} shard(s)"
            )
        if binarize:
            self.split.check_labels(classes)
        self.plan = BatchPlan(self.numImages, batchSize, shardIndex, shardCount, padTo)
        self.parts = [self.plan.part(batch) for batch in range(len(self.plan))]
        self.offsets = np.cumsum([0] + [end - start for (start, end) in self.parts])
        self.data = self.split.read(self.parts) if inMemory else None
        self.batchFast = all(hasattr(p, "preprocess_batch") for p in self.preprocessors)
        self.randomPreprocessors = [takes_rng(p) for p in self.preprocessors]
        self.draws = EpochPlan(seed)
        self.epoch = 0
        self._db = None
        self._pid = None
        self._lock = threading.Lock()

    @property
    def epoch(self):
        return self._epoch

    @epoch.setter
    def epoch(self, value):
        self._epoch = int(value)
        self.order = np.arange(len(self))
        if self.shuffle:
            self.order = self.draws.order(self._epoch, len(self))

    @property
    def db(self):
        """The open HDF5 file of this process."""
        with self._lock:
            if self._db is None or self._pid != os.getpid():
                self._db = self.split.open()
                self._pid = os.getpid()
            return self._db

    def __getstate__(self):
        state = self.__dict__.copy()
        state["_db"] = None
        del state["_lock"]
        return state

    def __setstate__(self, state):
        self.__dict__.update(state)
        self._lock = threading.Lock()

    def check_image_size(self, size: int) -> None:
        """Raise unless the rows are (H, W, 3) images with H and W >= size."""
        self.split.check_image_size(size)

    def __len__(self) -> int:
        return len(self.plan)

    def rows(self, index: int) -> tuple[int, int]:
        """The (start, end) rows of batch `index` of the current order."""
        return self.parts[int(self.order[index])]

    def batch_rng(self, index: int) -> np.random.Generator:
        """The random generator of batch `index` in the current epoch."""
        shard = self.shardIndex if self.shardCount > 1 else None
        return self.draws.batch_rng(self._epoch, index, shard)

    def __getitem__(self, index: int) -> tuple[np.ndarray, ...]:
        if not 0 <= index < len(self):
            raise IndexError(f"batch {index} out of range for {len(self)} batches")
        batch = int(self.order[index])
        size = self.plan.padded_size(batch)
        (start, end) = self.parts[batch]
        real = end - start
        if real == 0:  # a short last batch left this shard nothing: copy its first row
            (batch, start, end) = (0, self.parts[0][0], self.parts[0][0] + 1)
        images = self._read(batch, start, end)
        labels = self.labels[start:end]
        rng = self.batch_rng(index)
        images = self._preprocess(images, rng)
        if self.aug is not None:
            images = self._augment(images, labels, rng)
        if self.binarize:
            labels = np.eye(self.classes, dtype="float32")[labels]
        if not self.weighted:
            return images, labels
        (copies, weights) = padded_rows(len(labels), size)
        if real == 0:
            weights[:] = 0  # the one row read is a copy too
        return images[copies], labels[copies], weights

    def _read(self, batch, start, end):
        """Rows [start, end) of the file, which lie in the run's batch `batch`."""
        if not self.inMemory:
            return self.split.rows(self.db)[start:end]
        local = self.offsets[batch] + start - self.parts[batch][0]
        return self.data[local : local + end - start]

    def _preprocess(self, images, rng):
        if self.batchFast:
            for p, random in zip(self.preprocessors, self.randomPreprocessors):
                images = (
                    p.preprocess_batch(images, rng=rng) if random else p.preprocess_batch(images)
                )
            return images
        processed = []
        for image in images:
            for p in self.preprocessors:
                image = p.preprocess(image)
            processed.append(image)
        return np.array(processed)

    def _augment(self, images, labels, rng):
        if hasattr(self.aug, "augment"):  # ImageAugmenter: draws from this batch's rng
            return self.aug.augment(images, rng=rng)
        if hasattr(self.aug, "flow"):
            seed = int(rng.integers(2**31))
            flow = self.aug.flow(images, labels, batch_size=len(images), shuffle=False, seed=seed)
            return next(flow)[0]
        return keras.ops.convert_to_numpy(self.aug(images))

    def on_epoch_end(self) -> None:
        self.epoch = self._epoch + 1

    def generator(self, passes: float = np.inf) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """The book's interface: yield (images, labels) batches for `passes`
        full passes over the file."""
        epochs = 0
        while epochs < passes:
            for index in range(len(self)):
                yield self[index]
            epochs += 1
            self.on_epoch_end()

    def close(self) -> None:
        with self._lock:
            if self._db is not None:
                self._db.close()
                self._db = None

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()
        return False
