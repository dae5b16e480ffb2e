import math
import os

import h5py
import keras
import numpy as np

from pyimagesearch.preprocessing.imageaugmenter import ImageAugmenter
from pyimagesearch.preprocessing.patchpreprocessor import PatchPreprocessor
from pyimagesearch.utils.checks import check_positive_int


def open_hdf5(dbPath):
    """Open an HDF5 file read-only, with one clear error if it is missing or
    is not HDF5."""
    if not os.path.isfile(dbPath):
        raise FileNotFoundError(f"{dbPath} does not exist: build the HDF5 data sets first")
    try:
        return h5py.File(dbPath, "r")
    except OSError as error:
        raise ValueError(f"{dbPath} is not a readable HDF5 file ({error})") from None


def read_label_names(db):
    """The class names stored by `HDF5DatasetWriter.storeClassLabels`, as
    `str`, or None when the file has none."""
    if "label_names" not in db:
        return None
    return [name for name in db["label_names"].asstr()[()]]


class HDF5DatasetGenerator(keras.utils.PyDataset):
    """Batches of (data, labels) from an HDF5 file, for `model.fit`,
    `model.evaluate` and `model.predict`.

    Args:
        dbPath: a file written by `HDF5DatasetWriter`.
        batchSize: rows per batch; the last batch holds the remainder.
        preprocessors: applied in order to every batch. When each has a
            `preprocess_batch`, whole batches go through it; otherwise each
            image goes through `preprocess`. When they are a
            `PatchPreprocessor` followed by ones that commute with a warp
            (`MeanPreprocessor`) and `aug` is an `ImageAugmenter`, the patch
            and the augmentation are one resampling of the stored image.
        aug: applied after the preprocessors: an `ImageAugmenter`, any Keras
            layer or callable on a batch, or a legacy object with `.flow()`
            such as `ImageDataGenerator`.
        binarize: one-hot labels, shape (n, classes), instead of integers.
        classes: the number of classes; labels must lie in [0, classes).
        shuffle: shuffle the order of the batches at each epoch's end (and
            before the first one); the rows of a batch stay consecutive, which
            keeps HDF5 reads contiguous.
        seed: seeds that shuffle.
        dataKey: the data set to read ("images" or "features").
        workers, use_multiprocessing, max_queue_size: as `keras.utils.PyDataset`.

    Each pass yields every row exactly once: `len()` is ceil(N / batchSize).
    The file is opened read-only, lazily, once in each process that reads it.
    """

    def __init__(self, dbPath, batchSize, preprocessors=None, aug=None, binarize=True,
                 classes=2, shuffle=False, seed=None, dataKey="images", **kwargs):
        super().__init__(**kwargs)
        self.dbPath = dbPath
        self.batchSize = check_positive_int("batchSize", batchSize)
        self.preprocessors = list(preprocessors or [])
        self.aug = aug
        self.binarize = binarize
        self.classes = check_positive_int("classes", classes)
        self.shuffle = shuffle
        self.seed = seed
        self.dataKey = dataKey

        with open_hdf5(dbPath) as db:
            for key in (dataKey, "labels"):
                if key not in db:
                    raise ValueError(
                        f"{dbPath} has no '{key}' data set (it has {sorted(db.keys())})"
                    )
            self.numImages = int(db[dataKey].shape[0])
            self.shape = tuple(db[dataKey].shape[1:])
            self.labels = db["labels"][:]
            self.classNames = read_label_names(db)
        if self.labels.shape != (self.numImages,):
            raise ValueError(
                f"{dbPath} holds {self.numImages} rows of '{dataKey}' but "
                f"{len(self.labels)} labels"
            )
        if self.numImages == 0:
            raise ValueError(f"{dbPath} holds no rows")
        if binarize and (self.labels.min() < 0 or self.labels.max() >= classes):
            raise ValueError(
                f"{dbPath} has labels from {self.labels.min()} to {self.labels.max()}, "
                f"outside [0, {classes}) for classes={classes}"
            )
        self.batchFast = all(hasattr(p, "preprocess_batch") for p in self.preprocessors)
        self.fusedPatch = (
            isinstance(aug, ImageAugmenter) and self.batchFast and len(self.preprocessors) > 0
            and isinstance(self.preprocessors[0], PatchPreprocessor)
            and all(getattr(p, "commutesWithWarp", False) for p in self.preprocessors[1:])
        )
        self.rng = np.random.default_rng(seed)
        self.order = np.arange(len(self))
        if shuffle:
            self.rng.shuffle(self.order)
        self._db = None
        self._pid = None

    @property
    def db(self):
        """The open HDF5 file of this process."""
        if self._db is None or self._pid != os.getpid():
            self._db = h5py.File(self.dbPath, "r")
            self._pid = os.getpid()
        return self._db

    def __getstate__(self):
        state = self.__dict__.copy()
        state["_db"] = None
        return state

    def check_image_size(self, size):
        """Raise unless the rows are (H, W, 3) images with H and W >= size."""
        if len(self.shape) != 3 or self.shape[2] != 3 or min(self.shape[:2]) < size:
            raise ValueError(
                f"{self.dbPath} holds images of shape {self.shape}: expected (H, W, 3) with "
                f"H and W at least the model's input size {size}"
            )

    def __len__(self):
        return math.ceil(self.numImages / self.batchSize)

    def rows(self, index):
        """The (start, end) rows of batch `index` of the current order."""
        start = int(self.order[index]) * self.batchSize
        return start, min(start + self.batchSize, self.numImages)

    def __getitem__(self, index):
        if not 0 <= index < len(self):
            raise IndexError(f"batch {index} out of range for {len(self)} batches")
        (start, end) = self.rows(index)
        images = self.db[self.dataKey][start:end]
        labels = self.labels[start:end]
        if self.fusedPatch:
            images = self._patch_and_augment(images)
        else:
            images = self._preprocess(images)
            if self.aug is not None:
                images = self._augment(images, labels)
        if self.binarize:
            labels = np.eye(self.classes, dtype="float32")[labels]
        return images, labels

    def _preprocess(self, images):
        if self.batchFast:
            for p in self.preprocessors:
                images = p.preprocess_batch(images)
            return images
        processed = []
        for image in images:
            for p in self.preprocessors:
                image = p.preprocess(image)
            processed.append(image)
        return np.array(processed)

    def _patch_and_augment(self, images):
        patch = self.preprocessors[0]
        (ys, xs) = patch.offsets(len(images), *images.shape[1:3])
        images = self.aug.augment(images, patches=(ys, xs, patch.height, patch.width))
        for p in self.preprocessors[1:]:
            images = p.preprocess_batch(images)
        return images

    def _augment(self, images, labels):
        if hasattr(self.aug, "flow"):
            (images, _) = next(self.aug.flow(images, labels, batch_size=len(images), shuffle=False))
            return images
        return keras.ops.convert_to_numpy(self.aug(images))

    def on_epoch_end(self):
        if self.shuffle:
            self.rng.shuffle(self.order)

    def generator(self, passes=np.inf):
        """The book's interface: yield (images, labels) batches for `passes`
        full passes over the file."""
        epochs = 0
        while epochs < passes:
            for index in range(len(self)):
                yield self[index]
            epochs += 1
            self.on_epoch_end()

    def close(self):
        if self._db is not None:
            self._db.close()
            self._db = None
