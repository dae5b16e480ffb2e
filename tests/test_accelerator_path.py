"""The per-image work moved into the compiled model: the split held on the
device, random patches, mean subtraction and 10 crops in the graph."""

import json

import cv2
import keras
import numpy as np
import pytest
from keras import ops
from scipy import stats

from conftest import INPUT_SIZE, call_main, train_args
from pyimagesearch.preprocessing import CropPreprocessor, MeanPreprocessor


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


@pytest.mark.parametrize("source,target", [(228, 227), (256, 227), (100, 37), (9, 9)])
def test_area_weights_resize_as_opencv_inter_area(source, target):
    from pyimagesearch.preprocessing.arearesize import area_weights

    image = np.random.default_rng(0).uniform(-120, 130, (source, source + 3)).astype("float32")
    expected = cv2.resize(image, (target, target), interpolation=cv2.INTER_AREA)
    got = area_weights(source, target) @ image @ area_weights(source + 3, target).T
    assert np.abs(got - expected).max() < 1e-3


@pytest.mark.parametrize("shape,crop", [((256, 256), (227, 227)), ((40, 52), (31, 24))])
def test_ten_crops_in_the_graph_equal_crop_preprocessor_in_its_order(shape, crop):
    from pyimagesearch.preprocessing.meansubtraction import MeanSubtraction
    from pyimagesearch.preprocessing.tencrop import TenCrop

    images = np.random.default_rng(1).integers(0, 256, (3, *shape, 3), dtype=np.uint8)
    means = MeanPreprocessor(124.4, 115.1, 105.3)
    expected = CropPreprocessor(*crop).preprocess_batch(means.preprocess_batch(images))
    layers = keras.Sequential(
        [
            keras.Input((*shape, 3), dtype="uint8"),
            MeanSubtraction(124.4, 115.1, 105.3),
            TenCrop(*crop),
        ]
    )
    got = ops.convert_to_numpy(layers(images)).reshape(expected.shape)
    for k in (0, 1, 2, 3, 5, 6, 7, 8):
        assert np.array_equal(got[:, k], expected[:, k]), k  # corners: exact copies
    assert np.abs(got[:, [4, 9]] - expected[:, [4, 9]]).max() < 1e-3  # the resized centre


def test_in_graph_augmentation_matches_the_numpy_path_for_fixed_parameters():
    from pyimagesearch.preprocessing import ImageAugmenter

    noise = np.random.default_rng(0).uniform(0, 255, (24, 24, 3)).astype("float32")
    image = cv2.GaussianBlur(noise, (5, 5), 2)
    for fill_mode in ("nearest", "reflect"):
        augmenter = ImageAugmenter(fill_mode=fill_mode)
        parameters = {
            k: np.array([v])
            for k, v in dict(
                theta=15.0, tx=2.0, ty=-3.0, shear=8.0, zx=1.1, zy=0.9, flip=1.0
            ).items()
        }
        maps = augmenter.maps(parameters, 24, 24)
        numpy_path = augmenter._warp(image, maps.reshape(2, 3))
        transform = np.concatenate([maps, np.zeros((1, 2))], axis=1).astype("float32")
        graph_path = ops.convert_to_numpy(
            ops.image.affine_transform(image[None], transform, fill_mode=fill_mode)
        )[0]
        assert np.abs(graph_path - numpy_path).max() < 0.05


def test_device_rows_gather_and_are_not_saved(tmp_path):
    from pyimagesearch.nn.devicerows import DeviceRows
    from pyimagesearch.nn.modelfiles import load_model

    rows = np.random.default_rng(0).integers(0, 256, (200, 32, 32, 3), dtype=np.uint8)
    model = keras.Sequential([keras.Input((1,), dtype="int32"), DeviceRows(rows)])
    assert np.array_equal(model.predict(np.array([[4], [17]]), verbose=0), rows[[4, 17]])
    model.save(tmp_path / "m.keras")
    assert (tmp_path / "m.keras").stat().st_size < rows.nbytes  # the data is not in the file
    loaded = load_model(str(tmp_path / "m.keras"), training=True)
    loaded.layers[0].assign(rows)
    assert np.array_equal(loaded.predict(np.array([[3]]), verbose=0), rows[[3]])
    with pytest.raises(ValueError, match="expected uint8 rows of shape"):
        loaded.layers[0].assign(rows[:5])


def test_auto_crops_are_the_graph_with_an_accelerator_and_the_cpu_without(monkeypatch):
    from pyimagesearch.nn.parallel import devices
    from pyimagesearch.pipeline.evaluation import crop_path

    monkeypatch.setattr(devices, "accelerators", lambda: ["gpu:0"])
    assert crop_path("auto") == "graph" and crop_path("cpu") == "cpu"
    monkeypatch.setattr(devices, "accelerators", lambda: [])
    assert crop_path("auto") == "cpu" and crop_path("graph") == "graph"


def test_auto_cache_prefers_the_device_then_ram_then_streaming(monkeypatch):
    from pyimagesearch.nn.parallel import devices
    from pyimagesearch.pipeline import cache

    def machine(gpus, gpu_free, ram_free):
        monkeypatch.setattr(devices, "accelerators", lambda: gpus)
        monkeypatch.setattr(devices, "free_accelerator_bytes", lambda: gpu_free)
        monkeypatch.setattr(devices, "free_host_bytes", lambda: ram_free)

    gigabytes = 3.9e9
    machine(["gpu:0"], 140e9, 100e9)
    assert cache.choose_cache("auto", gigabytes)[0] == "device"
    machine(["gpu:0"], 6e9, 100e9)  # fits, but not comfortably
    assert cache.choose_cache("auto", gigabytes)[0] == "memory"
    machine([], None, 100e9)
    assert cache.choose_cache("auto", gigabytes)[0] == "memory"
    machine([], None, 6e9)
    (mode, reason) = cache.choose_cache("auto", gigabytes)
    assert mode == "none" and "no accelerator" in reason
    machine([], None, 1e9)
    assert cache.choose_cache("device", gigabytes)[0] == "device"  # asked for: obeyed


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
    # the `trained` fixture ran with the default cache: "memory" on a CPU
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


def test_graph_and_cpu_crops_give_the_same_predictions(built, trained, tmp_path, capsys):
    from dogs_vs_cats import crop_accuracy

    results = {}
    for crops in ("graph", "cpu"):
        code, _, err = call_main(
            crop_accuracy,
            [
                "--test",
                built["test"],
                "--mean",
                built["mean"],
                "--model",
                trained["model"],
                "--crop-path",
                crops,
                "--output",
                tmp_path / f"{crops}.json",
            ],
            capsys,
        )
        assert code == 0, err
        results[crops] = json.loads((tmp_path / f"{crops}.json").read_text())
    assert results["graph"]["rank1_10_crops"] == results["cpu"]["rank1_10_crops"]


def test_ten_crop_model_averages_as_predict_ten_crops(trained, built):
    import h5py

    from pyimagesearch.nn.modelfiles import load_model
    from pyimagesearch.pipeline.evaluation import predict_ten_crops
    from pyimagesearch.preprocessing.tencrop import ten_crop_model

    model = load_model(str(trained["model"]))
    means = MeanPreprocessor.from_json(built["mean"])
    with h5py.File(built["test"], "r") as db:
        images = db["images"][:]
    cpu = predict_ten_crops(
        model, [means.preprocess_batch(images)], CropPreprocessor(INPUT_SIZE, INPUT_SIZE)
    )
    graph = ten_crop_model(model, means, images.shape[1:]).predict(images, verbose=0)
    assert np.abs(graph - cpu).max() < 1e-3
    # the evaluation's and the submission's one predictor gives each path's
    # figures from the stored uint8 images, batch by batch
    from pyimagesearch.pipeline.evaluation import TenCropPredictor

    for crops, expected in (("cpu", cpu), ("graph", graph)):
        predictor = TenCropPredictor(model, means, images.shape[1:], crops)
        got = np.concatenate([predictor.predict(images[:5]), predictor.predict(images[5:])])
        assert got.shape == expected.shape and np.abs(got - expected).max() < 1e-5, crops
