"""`io.hdf5datasetgenerator`: every row once per pass, one-hot labels, the
book's interface, preprocessing and augmentation in the book's order, worker
threads and processes, a file replaced under a reader, and the shards and
padding that split each batch among devices."""

import math
import os

import keras
import numpy as np
import pytest

from helpers import write
from pyimagesearch.io import HDF5DatasetGenerator, HDF5DatasetWriter
from pyimagesearch.preprocessing import MeanPreprocessor, PatchPreprocessor, SimplePreprocessor


@pytest.mark.parametrize("n,batch", [(1, 1), (7, 3), (12, 4), (13, 4), (130, 128)])
def test_every_image_exactly_once_per_pass(tmp_path, n, batch):
    images, labels = write(tmp_path / "d.hdf5", n, shape=(2,))
    gen = HDF5DatasetGenerator(str(tmp_path / "d.hdf5"), batch, shuffle=True, seed=1)
    assert len(gen) == math.ceil(n / batch)
    for _ in range(2):
        seen = np.concatenate([gen[i][0] for i in range(len(gen))])
        assert sorted(map(tuple, seen)) == sorted(map(tuple, images))
        gen.on_epoch_end()


def test_labels_are_one_hot_and_classnames_read_back(tmp_path):
    write(tmp_path / "d.hdf5", 9, classes=3)
    gen = HDF5DatasetGenerator(str(tmp_path / "d.hdf5"), 4, classes=3)
    (x, y) = gen[2]
    assert x.shape == (1, 6, 5, 3) and y.tolist() == [[0.0, 0.0, 1.0]]
    assert y.dtype == np.float32 and gen[0][1].tolist()[1] == [0.0, 1.0, 0.0]
    assert gen.classNames == ["cat", "dög", "c2"]
    (_, raw) = HDF5DatasetGenerator(str(tmp_path / "d.hdf5"), 4, binarize=False)[0]
    assert raw.tolist() == [0, 1, 2, 0]


def test_book_generator_interface(tmp_path):
    images, _ = write(tmp_path / "d.hdf5", 5)
    gen = HDF5DatasetGenerator(str(tmp_path / "d.hdf5"), 2)
    batches = list(gen.generator(passes=2))
    assert [len(b[0]) for b in batches] == [2, 2, 1, 2, 2, 1]
    assert gen.numImages == 5 and gen.db["images"].shape[0] == 5
    gen.close()


def test_batch_and_per_image_preprocessing_agree(tmp_path):
    write(tmp_path / "d.hdf5", 6)

    class PerImageOnly:
        def preprocess(self, image):
            return SimplePreprocessor(4, 3).preprocess(image)

    mean = MeanPreprocessor(1.0, 2.0, 3.0)
    fast = HDF5DatasetGenerator(str(tmp_path / "d.hdf5"), 4, [SimplePreprocessor(4, 3), mean])
    slow = HDF5DatasetGenerator(str(tmp_path / "d.hdf5"), 4, [PerImageOnly(), mean])
    assert fast.batchFast and not slow.batchFast
    assert np.array_equal(fast[1][0], slow[1][0]) and fast[1][0].shape == (2, 3, 4, 3)


def test_aug_accepts_callables_and_legacy_flow(tmp_path):
    from tensorflow.keras.preprocessing.image import ImageDataGenerator

    images, _ = write(tmp_path / "d.hdf5", 4)
    gen = HDF5DatasetGenerator(str(tmp_path / "d.hdf5"), 4, aug=lambda batch: batch[:, ::-1])
    assert np.array_equal(gen[0][0], images[:, ::-1])
    legacy = HDF5DatasetGenerator(str(tmp_path / "d.hdf5"), 4, aug=ImageDataGenerator())
    assert np.array_equal(legacy[0][0], images.astype("float32"))


def test_fit_and_predict_take_the_generator_and_see_every_row(tmp_path):
    write(tmp_path / "d.hdf5", 10, shape=(3,))
    gen = HDF5DatasetGenerator(str(tmp_path / "d.hdf5"), 4, shuffle=True, seed=0)
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2, activation="softmax")])
    model.compile("sgd", "categorical_crossentropy")
    model.fit(gen, epochs=1, verbose=0)
    assert model.predict(HDF5DatasetGenerator(str(tmp_path / "d.hdf5"), 4), verbose=0).shape == (
        10,
        2,
    )


def test_each_process_opens_its_own_handle(tmp_path):
    import pickle

    write(tmp_path / "d.hdf5", 4)
    gen = HDF5DatasetGenerator(str(tmp_path / "d.hdf5"), 2)
    gen[0]
    copy = pickle.loads(pickle.dumps(gen))
    assert copy._db is None and np.array_equal(copy[1][0], gen[1][0])


def test_generator_rejects_bad_files(tmp_path):
    write(tmp_path / "d.hdf5", 4, classes=3)
    with pytest.raises(ValueError, match=r"d.hdf5 has labels from 0 to 2, outside \[0, 2\)"):
        HDF5DatasetGenerator(str(tmp_path / "d.hdf5"), 2, classes=2)
    with pytest.raises(ValueError, match="no 'features' data set"):
        HDF5DatasetGenerator(str(tmp_path / "d.hdf5"), 2, dataKey="features")
    (tmp_path / "text.hdf5").write_text("not hdf5")
    with pytest.raises(ValueError, match="text.hdf5 is not a readable HDF5 file"):
        HDF5DatasetGenerator(str(tmp_path / "text.hdf5"), 2)
    with pytest.raises(FileNotFoundError, match="missing.hdf5"):
        HDF5DatasetGenerator(str(tmp_path / "missing.hdf5"), 2)
    with pytest.raises(ValueError, match="batchSize"):
        HDF5DatasetGenerator(str(tmp_path / "d.hdf5"), 0, classes=3)


@pytest.mark.parametrize("fill_mode", ["nearest", "constant", "reflect", "wrap"])
def test_patch_mean_augment_batches_follow_the_books_order(tmp_path, fill_mode):
    """Each batch is patch -> mean -> augment, drawn from the batch's own
    generator: the border is `cval`, not `cval - mean`, and comes from the
    patch's edge, not the pixels around the patch."""
    from pyimagesearch.preprocessing import ImageAugmenter, PatchPreprocessor

    images, _ = write(tmp_path / "d.hdf5", 16, shape=(12, 14, 3))
    mean = MeanPreprocessor(100.0, 50.0, 20.0)
    options = dict(
        rotation_range=30,
        zoom_range=[0.7, 1.3],
        shear_range=20,
        width_shift_range=0.3,
        height_shift_range=2,
        horizontal_flip=True,
        fill_mode=fill_mode,
        cval=7.0,
    )
    gen = HDF5DatasetGenerator(
        str(tmp_path / "d.hdf5"),
        16,
        [PatchPreprocessor(9, 7), mean],
        aug=ImageAugmenter(**options),
        seed=5,
    )
    (got, _) = gen[0]
    rng = gen.batch_rng(0)
    patches = PatchPreprocessor(9, 7).preprocess_batch(images, rng=rng)
    expected = ImageAugmenter(**options).augment(mean.preprocess_batch(patches), rng=rng)
    assert got.shape == (16, 7, 9, 3) and got.dtype == np.float32
    assert np.array_equal(got, expected)
    if fill_mode == "constant":
        assert np.sum(got == 7.0) > 0  # some border, filled with cval itself


def test_random_batches_differ_reproduce_and_do_not_depend_on_workers(tmp_path):
    from pyimagesearch.preprocessing import ImageAugmenter, PatchPreprocessor

    images = np.broadcast_to(
        np.arange(40 * 40 * 3, dtype=np.uint8).reshape(1, 40, 40, 3) % 251, (32, 40, 40, 3)
    )
    with HDF5DatasetWriter((32, 40, 40, 3), str(tmp_path / "same.hdf5")) as writer:
        writer.add(np.ascontiguousarray(images), np.zeros(32, int))  # 32 identical images

    def batches(seed, **kwargs):
        gen = HDF5DatasetGenerator(
            str(tmp_path / "same.hdf5"),
            8,
            [PatchPreprocessor(30, 30)],
            binarize=False,
            aug=ImageAugmenter(rotation_range=10, seed=99),
            seed=seed,
            **kwargs,
        )
        model = keras.Sequential([keras.Input((30, 30, 3)), keras.layers.Identity()])
        return model.predict(gen, verbose=0)

    plain = batches(seed=3)
    chunks = plain.reshape(4, 8, 30, 30, 3)
    for a in range(4):  # identical images, yet every batch draws its own patches and warps
        for b in range(a + 1, 4):
            assert not np.array_equal(chunks[a], chunks[b])
    processes = batches(seed=3, workers=2, use_multiprocessing=True)
    threads = batches(seed=3, workers=3)
    assert np.array_equal(plain, processes) and np.array_equal(plain, threads)
    other = batches(seed=4)
    assert not np.array_equal(plain, other)


def test_a_new_epoch_draws_new_batches_and_epoch_can_be_set(tmp_path):
    from pyimagesearch.preprocessing import PatchPreprocessor

    write(tmp_path / "d.hdf5", 12, shape=(20, 20, 3))
    gen = HDF5DatasetGenerator(
        str(tmp_path / "d.hdf5"), 4, [PatchPreprocessor(10, 10)], shuffle=True, seed=1
    )
    first = [gen[i][0] for i in range(3)]
    gen.on_epoch_end()
    second = [gen[i][0] for i in range(3)]
    assert gen.epoch == 1 and not all(np.array_equal(a, b) for a, b in zip(first, second))
    resumed = HDF5DatasetGenerator(
        str(tmp_path / "d.hdf5"), 4, [PatchPreprocessor(10, 10)], shuffle=True, seed=1
    )
    resumed.epoch = 1
    assert all(np.array_equal(resumed[i][0], second[i]) for i in range(3))


def test_threads_share_one_file_handle_and_close_closes_it(tmp_path):
    from concurrent.futures import ThreadPoolExecutor

    write(tmp_path / "d.hdf5", 8)
    with HDF5DatasetGenerator(str(tmp_path / "d.hdf5"), 1) as gen:
        with ThreadPoolExecutor(8) as pool:
            handles = list(pool.map(lambda _: gen.db, range(64)))
        assert all(h is handles[0] for h in handles) and handles[0].id.valid
    assert not handles[0].id.valid and gen._db is None


def test_in_memory_generator_reads_the_file_once_and_gives_the_same_batches(tmp_path):
    write(tmp_path / "d.hdf5", 10)
    streamed = HDF5DatasetGenerator(str(tmp_path / "d.hdf5"), 4, shuffle=True, seed=2)
    cached = HDF5DatasetGenerator(str(tmp_path / "d.hdf5"), 4, shuffle=True, seed=2, inMemory=True)
    assert cached._db is None
    for i in range(len(cached)):
        assert np.array_equal(cached[i][0], streamed[i][0])
    assert cached._db is None  # never opened the file again


def test_book_training_code_runs_with_only_its_imports_changed(tmp_path):
    """The README's port example, small: book preprocessors, augmentation via
    `aug=`, TrainingMonitor and `model.fit` on the generators."""
    import json

    from pyimagesearch.callbacks import TrainingMonitor
    from pyimagesearch.nn.conv import AlexNet
    from pyimagesearch.preprocessing import (
        ImageAugmenter,
        ImageToArrayPreprocessor,
        PatchPreprocessor,
    )

    write(tmp_path / "train.hdf5", 6, shape=(70, 70, 3))
    (tmp_path / "mean.json").write_text('{"R": 120.0, "G": 110.0, "B": 100.0}')
    aug = ImageAugmenter(
        rotation_range=20,
        zoom_range=0.15,
        width_shift_range=0.2,
        height_shift_range=0.2,
        shear_range=0.15,
        horizontal_flip=True,
        fill_mode="nearest",
    )
    means = json.loads(open(tmp_path / "mean.json").read())
    sp, pp = SimplePreprocessor(64, 64), PatchPreprocessor(64, 64)
    mp, iap = MeanPreprocessor(means["R"], means["G"], means["B"]), ImageToArrayPreprocessor()
    trainGen = HDF5DatasetGenerator(
        str(tmp_path / "train.hdf5"), 4, aug=aug, preprocessors=[pp, mp, iap], classes=2
    )
    valGen = HDF5DatasetGenerator(
        str(tmp_path / "train.hdf5"), 4, preprocessors=[sp, mp, iap], classes=2
    )
    model = AlexNet.build(width=64, height=64, depth=3, classes=2, reg=0.0002)
    model.compile(
        loss="categorical_crossentropy",
        optimizer=keras.optimizers.Adam(learning_rate=1e-3),
        metrics=["accuracy"],
    )
    history = model.fit(
        trainGen,
        validation_data=valGen,
        epochs=1,
        verbose=0,
        callbacks=[TrainingMonitor(str(tmp_path / "plot.png"))],
    )
    assert len(history.history["val_accuracy"]) == 1 and (tmp_path / "plot.png").exists()


def test_predict_with_worker_processes_sees_every_row(tmp_path):
    images, _ = write(tmp_path / "d.hdf5", 10, shape=(3,))
    model = keras.Sequential([keras.Input((3,)), keras.layers.Lambda(lambda x: x)])
    gen = HDF5DatasetGenerator(str(tmp_path / "d.hdf5"), 4, workers=2, use_multiprocessing=True)
    gen[0]  # the parent opens the file first: each worker must open its own handle
    got = model.predict(gen, verbose=0)
    assert np.array_equal(got, images.astype("float32"))


def test_a_file_replaced_under_a_reading_generator_stops_it(tmp_path):
    """With --cache none the labels were read when the generator opened and
    the images later, by path: a `build --force` in between served 18 of 38
    rows with the wrong label, silently."""
    path = tmp_path / "x.hdf5"
    write(path, 6)
    gen = HDF5DatasetGenerator(str(path), 3)
    write(tmp_path / "new.hdf5", 6)
    os.replace(tmp_path / "new.hdf5", path)  # as build --force puts a new split in place
    with pytest.raises(ValueError, match="was replaced while this run was reading it"):
        gen[0]
    fresh = HDF5DatasetGenerator(str(path), 3)
    assert len(fresh[0][0]) == 3


def write_numbered(path, n):
    """n rows whose pixels are their row number, labels row % 2."""
    images = np.repeat(np.arange(n, dtype=np.uint8), 2 * 2 * 3).reshape(n, 2, 2, 3)
    with HDF5DatasetWriter((n, 2, 2, 3), str(path), bufSize=5) as writer:
        writer.add(images, np.arange(n) % 2)
        writer.storeClassLabels(["cat", "dog"])


@pytest.mark.parametrize("n,batch,shards,padTo", [
    (23, 4, 1, 1), (23, 4, 1, 2), (23, 4, 2, 1), (23, 4, 3, 2), (23, 4, 2, 4), (5, 3, 4, 1),
    (41, 4, 1, 2),
])  # fmt: skip
@pytest.mark.parametrize("inMemory", [False, True])
def test_shards_cover_every_row_once_with_equal_batches(tmp_path, n, batch, shards, padTo,
                                                        inMemory):  # fmt: skip
    write_numbered(tmp_path / "d.hdf5", n)
    for epoch in range(2):
        (seen, shapes) = ([], set())
        for index in range(shards):
            gen = HDF5DatasetGenerator(
                str(tmp_path / "d.hdf5"), batch, shuffle=True, seed=3, inMemory=inMemory,
                shardIndex=index, shardCount=shards, padTo=padTo,
            )  # fmt: skip
            gen.epoch = epoch
            sizes = []
            for b in range(len(gen)):
                out = gen[b]
                assert len(out) == (3 if shards > 1 or padTo > 1 else 2)
                (images, labels) = out[:2]
                weights = out[2] if len(out) == 3 else np.ones(len(images))
                assert len(images) == len(labels) == len(weights) and len(images) % padTo == 0
                rows = images[:, 0, 0, 0].astype(int)
                assert np.array_equal(labels.argmax(axis=1), rows % 2)  # each image its label
                assert set(np.unique(weights)) <= {0.0, 1.0}
                seen += rows[weights == 1].tolist()
                sizes.append(len(images))
            shapes.add(tuple(sizes))
            if inMemory:  # each shard holds only its own rows
                assert len(gen.data) == sum(end - start for (start, end) in gen.parts)
        assert sorted(seen) == list(range(n))
        assert len(shapes) == 1  # every shard: the same number of batches, of the same sizes


def test_padding_keeps_the_random_draws_of_the_real_rows(tmp_path):
    write_numbered(tmp_path / "d.hdf5", 23)
    (plain, padded) = (
        HDF5DatasetGenerator(
            str(tmp_path / "d.hdf5"),
            4,
            [PatchPreprocessor(1, 1)],
            shuffle=True,
            seed=5,
            padTo=padTo,
        )  # fmt: skip
        for padTo in (1, 8)
    )
    for b in range(len(plain)):
        (images, weights) = (padded[b][0], padded[b][2])
        assert np.array_equal(images[weights == 1], plain[b][0])


def test_shards_refuse_what_cannot_be_shared(tmp_path):
    write_numbered(tmp_path / "d.hdf5", 3)
    with pytest.raises(ValueError, match="too few for 4 shard"):
        HDF5DatasetGenerator(str(tmp_path / "d.hdf5"), 2, seed=1, shardCount=4)
    with pytest.raises(ValueError, match="share a seed"):
        HDF5DatasetGenerator(str(tmp_path / "d.hdf5"), 2, shuffle=True, shardCount=2)
    with pytest.raises(ValueError, match=r"shardIndex must lie in \[0, 2\), received 2"):
        HDF5DatasetGenerator(str(tmp_path / "d.hdf5"), 2, seed=1, shardIndex=2, shardCount=2)
