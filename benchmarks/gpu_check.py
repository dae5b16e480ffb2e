"""Every GPU measurement of the project in one command (under 8 minutes on
one H200, no network): the data is generated on the machine.

    python -m benchmarks.gpu_check            # on the GPU machine
    python -m benchmarks.gpu_check --quick    # a CPU smoke test of this script

1. AlexNet training images/s with each cache mode -- 'none' (HDF5 -> patch
   -> mean on CPU threads, augmentation in the model), 'memory' (the same
   from RAM), 'device' (the uint8 split on the accelerator, everything
   else in the compiled step) -- against float32 patches already in memory
   (the upper bound). With and without mixed precision. 'device' again,
   data-parallel over every device the backend sees (on one GPU: the
   overhead of the data-parallel path).
2. 10-crop evaluation images/s: the book's one `predict` per image, the
   project's batched CPU crops, and the crops cut in the graph.
3. ResNet50 (weights none) feature extraction images/s.

Uses only Keras, so it runs on any Keras backend (KERAS_BACKEND=jax or
torch where TensorFlow is not installed). Writes a JSON next to the table:
$OUT/gpu_check.json when OUT is set, else benchmarks/results/gpu_check.json.
"""

import argparse
import contextlib
import json
import os
import statistics
import tempfile

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402

from benchmarks.interleave import Ratio, interleaved, rate  # noqa: E402
from pyimagesearch.nn.parallel.replicas import choose_replicas  # noqa: E402
from pyimagesearch.pipeline.training import AUGMENTATION  # noqa: E402


def make_data(folder, count, size=256):
    from pyimagesearch.datasets.synthetic import draw_animal
    from pyimagesearch.io import HDF5DatasetWriter
    from pyimagesearch.preprocessing import AspectAwarePreprocessor

    rng = np.random.default_rng(0)
    aap = AspectAwarePreprocessor(size, size)
    path = os.path.join(folder, "train.hdf5")
    with HDF5DatasetWriter((count, size, size, 3), path) as writer:
        for start in range(0, count, 256):
            labels = rng.integers(0, 2, min(256, count - start))
            writer.add(np.stack([aap.preprocess(draw_animal(int(k), rng)) for k in labels]), labels)
        writer.storeClassLabels(["cat", "dog"])
    return path


MEANS = (125.0, 116.0, 106.0)


def alexnet_for(feed, mixed):
    """The compiled training model of `feed` around a new AlexNet with the
    book's augmentation."""
    import keras

    from pyimagesearch.nn.conv import AlexNet
    from pyimagesearch.preprocessing import ImageAugmenter

    keras.mixed_precision.set_global_policy("mixed_float16" if mixed else "float32")
    model = feed.training_model(
        AlexNet.build(227, 227, 3, 2), [ImageAugmenter(**AUGMENTATION, seed=1)]
    )
    model.compile(optimizer=keras.optimizers.Adam(1e-3))
    return model


def feed_measure(stack, cache, path, batch, steps, workers, mixed, replicas):
    """A function returning the images/s of `steps` AlexNet training steps
    fed by the training's own feed for `cache` (`pyimagesearch.pipeline.feeds`),
    `batch` images per device; the feed stays open in `stack`."""
    from pyimagesearch.io.split import Split
    from pyimagesearch.pipeline.feeds import FEEDS
    from pyimagesearch.preprocessing import MeanPreprocessor

    split = Split(path)
    feed = stack.enter_context(
        FEEDS[cache](split, split, MeanPreprocessor(*MEANS), 227, batch, 1, workers, replicas)
    )
    with replicas.scope():
        model = alexnet_for(feed, mixed)
        data = feed.fit_arguments(model)["x"]
    used = min(steps, len(data))

    def measure():
        with replicas.scope():
            return rate(
                lambda: model.fit(data, epochs=1, steps_per_epoch=used, shuffle=False, verbose=0),
                used * batch * replicas.devices,
            )

    return measure


def upper_bound_measures(path, batch, steps, workers, mixed):
    """{"host_arrays": float32 patches in RAM, sliced by Keras,
    "synthetic": float32 patches already on the device}: functions
    returning the images/s of `steps` AlexNet training steps fed that way."""
    import keras

    from pyimagesearch.io.split import Split
    from pyimagesearch.nn.conv import AlexNet
    from pyimagesearch.nn.devicerows import DeviceRows
    from pyimagesearch.nn.trainingmodel import TrainingModel
    from pyimagesearch.pipeline.feeds import MemoryFeed
    from pyimagesearch.preprocessing import ImageAugmenter, MeanPreprocessor

    one = choose_replicas("none")
    split = Split(path)
    with MemoryFeed(split, split, MeanPreprocessor(*MEANS), 227, batch, 1, workers, one) as feed:
        x = np.concatenate([feed.batches[i][0] for i in range(min(4, len(feed.batches)))])
        model = alexnet_for(feed, mixed)
    count = steps * batch
    x = np.concatenate([x] * max(1, count // len(x)))[:count]
    y = np.eye(2, dtype="float32")[np.arange(len(x)) % 2]
    synthetic = TrainingModel(
        [
            keras.Input((1,), dtype="int32"),
            DeviceRows(x),
            ImageAugmenter(**AUGMENTATION, seed=1),
            AlexNet.build(227, 227, 3, 2),
        ]
    )
    synthetic.compile(optimizer=keras.optimizers.Adam(1e-3))
    patches = np.arange(len(x), dtype="int32")[:, None]
    return {
        "host_arrays": lambda: rate(
            lambda: model.fit(x, y, batch_size=batch, epochs=1, verbose=0), len(x)
        ),
        "synthetic": lambda: rate(
            lambda: synthetic.fit(patches, y, batch_size=batch, epochs=1, verbose=0), len(x)
        ),
    }


def training(path, batch, steps, workers, mixed, rounds=3):
    """({way: [images/s of each round]}, the devices of the data-parallel
    run) for AlexNet training fed each way, measured interleaved: 'none',
    'memory', 'device' (the training's feeds), 'device_data_parallel'
    ('device' over every device the backend sees), and the upper bounds
    'host_arrays' and 'synthetic' (`upper_bound_measures`)."""
    import keras

    one = choose_replicas("none")
    parallel = choose_replicas("data-parallel")
    with contextlib.ExitStack() as stack:
        measures = {
            cache: feed_measure(stack, cache, path, batch, steps, workers, mixed, one)
            for cache in ("none", "memory", "device")
        }
        measures["device_data_parallel"] = feed_measure(
            stack, "device", path, batch, steps, workers, mixed, parallel
        )
        measures.update(upper_bound_measures(path, batch, steps, workers, mixed))
        rates = interleaved(measures, rounds)
    keras.mixed_precision.set_global_policy("float32")
    return rates, parallel.devices


def ten_crops(path, book_images, our_images, batch=64, rounds=3):
    """10-crop evaluation, measured interleaved: {"book", "cpu", "graph":
    [images/s of each round]} for the book's one predict per image, our CPU
    crops batched and the crops cut in the graph (`ten_crop_model`), and
    "max_probability_difference" between the graph and the CPU crops."""
    import h5py

    from benchmarks import book
    from pyimagesearch.nn.conv import AlexNet
    from pyimagesearch.pipeline.evaluation import predict_ten_crops
    from pyimagesearch.preprocessing import CropPreprocessor, MeanPreprocessor
    from pyimagesearch.preprocessing.tencrop import ten_crop_model

    model = AlexNet.build(227, 227, 3, 2)
    means = dict(zip("RGB", MEANS))
    mp = MeanPreprocessor(*MEANS)
    with h5py.File(path, "r") as db:
        images = db["images"][:our_images]

    def cpu():
        return predict_ten_crops(
            model,
            (mp.preprocess_batch(images[i : i + batch]) for i in range(0, len(images), batch)),
            CropPreprocessor(227, 227),
        )

    graph = ten_crop_model(model, mp, images.shape[1:])
    results = interleaved(
        {
            "book": lambda: rate(
                lambda: book.ten_crop_predictions(model, images[:book_images], means), book_images
            ),
            "cpu": lambda: rate(cpu, len(images)),
            "graph": lambda: rate(
                lambda: graph.predict(images, batch_size=batch, verbose=0), len(images)
            ),
        },
        rounds,
    )
    results["max_probability_difference"] = float(
        np.abs(graph.predict(images[:batch], batch_size=batch, verbose=0) - cpu()[:batch]).max()
    )
    return results


def features(path, count):
    import h5py

    from pyimagesearch.nn.backbones import application_extractor

    extractor = application_extractor("resnet50", "none")
    with h5py.File(path, "r") as db:
        images = np.stack([extractor.resizer.preprocess(i) for i in db["images"][:count]])
    extractor.extract(images[:64])
    return rate(
        lambda: [extractor.extract(images[i : i + 64]) for i in range(0, len(images), 64)],
        len(images),
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="tiny sizes, for a CPU smoke test")
    args = parser.parse_args()
    import keras

    sizes = (
        dict(images=64, batch=8, steps=2, workers=2, book=2, crops=8, features=16, rounds=1)
        if args.quick
        else dict(
            images=4096,
            batch=128,
            steps=30,
            workers=12,
            book=100,
            crops=1024,
            features=1024,
            rounds=3,
        )
    )
    from pyimagesearch.nn.parallel.devices import describe

    results = {"backend": keras.backend.backend(), "devices": describe(), "sizes": sizes}
    print(describe(), flush=True)
    with tempfile.TemporaryDirectory() as folder:
        path = make_data(folder, sizes["images"])
        # float16 is emulated, and very slow, on a CPU
        for mixed in (False,) if args.quick else (False, True):
            key = "mixed_float16" if mixed else "float32"
            (rates, devices) = training(
                path, sizes["batch"], sizes["steps"], sizes["workers"], mixed, sizes["rounds"]
            )
            results[f"training_{key}"] = dict(rates, data_parallel_devices=devices)
            for cache in ("none", "memory", "device", "device_data_parallel", "host_arrays",
                          "synthetic"):  # fmt: skip
                print(
                    f"AlexNet training {key:<14} cache={cache:<20} "
                    f"{statistics.median(rates[cache]):9.1f} img/s, of synthetic: "
                    f"{Ratio(rates[cache], rates['synthetic'])}",
                    flush=True,
                )
            print(
                f"data-parallel over {devices} device(s) vs one device: "
                f"{Ratio(rates['device_data_parallel'], rates['device'])}",
                flush=True,
            )
        crops = ten_crops(path, sizes["book"], sizes["crops"], rounds=sizes["rounds"])
        results["ten_crops"] = crops
        print(
            f"10-crop evaluation: book {statistics.median(crops['book']):.1f} img/s; CPU crops "
            f"{Ratio(crops['cpu'], crops['book'])}, in the graph "
            f"{Ratio(crops['graph'], crops['book'])} the book; largest probability "
            f"difference {crops['max_probability_difference']:.2e}",
            flush=True,
        )
        featureRate = features(path, sizes["features"])
        results["resnet50_features_img_s"] = featureRate
        print(f"ResNet50 features (weights none): {featureRate:.1f} img/s", flush=True)
    output = (
        os.path.join(os.environ["OUT"], "gpu_check.json")
        if os.environ.get("OUT")
        else os.path.join(os.path.dirname(os.path.abspath(__file__)), "results", "gpu_check.json")
    )
    os.makedirs(os.path.dirname(output), exist_ok=True)
    with open(output, "w") as f:
        json.dump(results, f, indent=2)
    print(f"[INFO] written to {output}")


if __name__ == "__main__":
    main()
