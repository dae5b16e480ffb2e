import math
import os

import h5py
import keras
import numpy as np
import pytest

from pyimagesearch.io import HDF5DatasetGenerator, HDF5DatasetWriter
from pyimagesearch.preprocessing import MeanPreprocessor, SimplePreprocessor


def write(path, n, shape=(6, 5, 3), classes=2, **kwargs):
    rng = np.random.default_rng(n)
    images = rng.integers(0, 256, (n,) + shape, dtype=np.uint8)
    labels = np.arange(n) % classes
    with HDF5DatasetWriter((n,) + shape, str(path), bufSize=7, **kwargs) as writer:
        writer.add(images, labels)
        writer.storeClassLabels(["cat", "dög"][:classes] + [f"c{i}" for i in range(2, classes)])
    return images, labels


def test_writer_round_trip_keeps_uint8_and_label_names(tmp_path):
    path = tmp_path / "deep" / "train.hdf5"
    images, labels = write(path, 23)
    with h5py.File(path, "r") as db:
        assert db["images"].dtype == np.uint8 and db["images"].shape == (23, 6, 5, 3)
        assert np.array_equal(db["images"][:], images)
        assert np.array_equal(db["labels"][:], labels)
        assert list(db["label_names"].asstr()[()]) == ["cat", "dög"]
        assert db["images"].chunks[1:] == (6, 5, 3)
    assert os.listdir(path.parent) == ["train.hdf5"]


def test_writer_trims_to_rows_added_and_grows_past_dims(tmp_path):
    with HDF5DatasetWriter((10, 4), str(tmp_path / "few.hdf5"), dataKey="features") as writer:
        writer.add(np.ones((3, 4)), [0, 1, 0])
    with h5py.File(tmp_path / "few.hdf5", "r") as db:
        assert db["features"].shape == (3, 4) and db["labels"].shape == (3,)
        assert db["features"].dtype == np.float32  # float64 features stored as float32
    with HDF5DatasetWriter((2, 4), str(tmp_path / "more.hdf5"), bufSize=2) as writer:
        for i in range(5):
            writer.add(np.full((1, 4), i, np.uint8), [i % 2])
    with h5py.File(tmp_path / "more.hdf5", "r") as db:
        assert db["images"][:, 0].tolist() == [0, 1, 2, 3, 4]


def test_writer_refuses_lossy_rows(tmp_path):
    writer = HDF5DatasetWriter((4, 2), str(tmp_path / "a.hdf5"), dtype="uint8")
    with pytest.raises(TypeError, match="losing precision"):
        writer.add(np.full((1, 2), 0.5), [0])
    with pytest.raises(TypeError, match="losing precision"):
        writer.add(np.full((1, 2), 300), [0])
    writer.add(np.full((1, 2), 255, np.int64), [0])  # int64 values that fit are fine
    writer.abort()
    assert not os.listdir(tmp_path)


def test_writer_refuses_existing_output_unless_overwrite(tmp_path):
    path = tmp_path / "x.hdf5"
    path.write_bytes(b"precious")
    with pytest.raises(FileExistsError, match="x.hdf5"):
        HDF5DatasetWriter((4, 2), str(path))
    assert path.read_bytes() == b"precious"
    write(path, 4, overwrite=True)
    with h5py.File(path, "r") as db:
        assert db["images"].shape[0] == 4


def test_writer_leaves_no_final_file_until_closed_and_none_on_error(tmp_path):
    path = tmp_path / "x.hdf5"
    writer = HDF5DatasetWriter((4, 2), str(path))
    writer.add(np.zeros((4, 2), np.uint8), [0, 1, 0, 1])
    writer.flush()
    assert not path.exists() and (tmp_path / "x.hdf5.partial").exists()
    writer.close()
    assert path.exists() and not (tmp_path / "x.hdf5.partial").exists()
    with pytest.raises(RuntimeError):
        with HDF5DatasetWriter((4, 2), str(tmp_path / "y.hdf5")) as writer:
            writer.add(np.zeros((2, 2), np.uint8), [0, 1])
            raise RuntimeError("interrupted")
    assert sorted(os.listdir(tmp_path)) == ["x.hdf5"]


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
    assert model.predict(HDF5DatasetGenerator(str(tmp_path / "d.hdf5"), 4), verbose=0).shape == (10, 2)


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


def test_patch_and_augmentation_fuse_into_one_exact_resampling(tmp_path):
    from pyimagesearch.preprocessing import ImageAugmenter, PatchPreprocessor

    images, _ = write(tmp_path / "d.hdf5", 16, shape=(12, 14, 3))
    mean = MeanPreprocessor(1.0, 2.0, 3.0)
    for aug, mirrored in ((ImageAugmenter(), False), (ImageAugmenter(horizontal_flip=True, seed=0), None)):
        fused = HDF5DatasetGenerator(str(tmp_path / "d.hdf5"), 16,
                                     [PatchPreprocessor(9, 7, seed=3), mean], aug=aug)
        assert fused.fusedPatch
        (got, _) = fused[0]
        ys, xs = PatchPreprocessor(9, 7, seed=3).offsets(16, 12, 14)
        patches = np.stack([image[y:y + 7, x:x + 9] for image, y, x in zip(images, ys, xs)])
        expected = mean.preprocess_batch(patches)
        assert got.shape == (16, 7, 9, 3)
        if mirrored is None:  # each is the patch or its mirror, exactly
            assert all(np.array_equal(g, e) or np.array_equal(g, e[:, ::-1])
                       for g, e in zip(got, expected))
        else:
            assert np.array_equal(got, expected)


def test_book_training_code_runs_with_only_its_imports_changed(tmp_path):
    """The README's port example, small: book preprocessors, augmentation via
    `aug=`, TrainingMonitor and `model.fit` on the generators."""
    import json

    from pyimagesearch.callbacks import TrainingMonitor
    from pyimagesearch.nn.conv import AlexNet
    from pyimagesearch.preprocessing import (
        ImageAugmenter, ImageToArrayPreprocessor, PatchPreprocessor,
    )

    write(tmp_path / "train.hdf5", 6, shape=(70, 70, 3))
    (tmp_path / "mean.json").write_text('{"R": 120.0, "G": 110.0, "B": 100.0}')
    aug = ImageAugmenter(rotation_range=20, zoom_range=0.15, width_shift_range=0.2,
                         height_shift_range=0.2, shear_range=0.15, horizontal_flip=True,
                         fill_mode="nearest")
    means = json.loads(open(tmp_path / "mean.json").read())
    sp, pp = SimplePreprocessor(64, 64), PatchPreprocessor(64, 64)
    mp, iap = MeanPreprocessor(means["R"], means["G"], means["B"]), ImageToArrayPreprocessor()
    trainGen = HDF5DatasetGenerator(str(tmp_path / "train.hdf5"), 4, aug=aug,
                                    preprocessors=[pp, mp, iap], classes=2)
    valGen = HDF5DatasetGenerator(str(tmp_path / "train.hdf5"), 4, preprocessors=[sp, mp, iap],
                                  classes=2)
    model = AlexNet.build(width=64, height=64, depth=3, classes=2, reg=0.0002)
    model.compile(loss="categorical_crossentropy",
                  optimizer=keras.optimizers.Adam(learning_rate=1e-3), metrics=["accuracy"])
    history = model.fit(trainGen, validation_data=valGen, epochs=1, verbose=0,
                        callbacks=[TrainingMonitor(str(tmp_path / "plot.png"))])
    assert not trainGen.fusedPatch  # ImageToArray after the mean: the general path
    assert len(history.history["val_accuracy"]) == 1 and (tmp_path / "plot.png").exists()


def test_predict_with_worker_processes_sees_every_row(tmp_path):
    images, _ = write(tmp_path / "d.hdf5", 10, shape=(3,))
    model = keras.Sequential([keras.Input((3,)), keras.layers.Lambda(lambda x: x)])
    gen = HDF5DatasetGenerator(str(tmp_path / "d.hdf5"), 4, workers=2, use_multiprocessing=True)
    gen[0]  # the parent opens the file first: each worker must open its own handle
    got = model.predict(gen, verbose=0)
    assert np.array_equal(got, images.astype("float32"))
