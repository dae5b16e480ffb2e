"""Measure this project against the book's approach on the same data in the
same run, and print a table of absolute figures and ratios (also written to
benchmarks/results/bench.json).

    python -m benchmarks.run_all          (or: make bench)

Uses the real Kaggle photos in ../shared/data/kaggle_sample/train when they
are there, generated pictures otherwise, and says which."""

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import h5py  # noqa: E402
import numpy as np  # noqa: E402

from benchmarks import book  # noqa: E402
from pyimagesearch.pipeline.training import AUGMENTATION  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
KAGGLE = os.path.join(ROOT, "..", "shared", "data", "kaggle_sample", "train")


def timed(function, *args, **kwargs):
    start = time.perf_counter()
    result = function(*args, **kwargs)
    return time.perf_counter() - start, result


def photos(workdir, count):
    """(source description, sorted list of `count` photo paths named like
    Kaggle's); real photos repeated under new names when more are asked for
    than there are."""
    if os.path.isdir(KAGGLE):
        source, folder = "real Kaggle photos (../shared/data/kaggle_sample)", KAGGLE
    else:
        from pyimagesearch.datasets.synthetic import make_sample

        source = "generated pictures (no ../shared/data/kaggle_sample here)"
        folder, _ = make_sample(os.path.join(workdir, "generated"), per_class=1000, test_images=1)
    cats = sorted(n for n in os.listdir(folder) if n.startswith("cat."))
    dogs = sorted(n for n in os.listdir(folder) if n.startswith("dog."))
    names = [n for pair in zip(cats, dogs) for n in pair]
    target = os.path.join(workdir, f"photos_{count}")
    os.makedirs(target)
    for i in range(count):
        name = names[i % len(names)]
        label = name.split(".")[0]
        os.link(os.path.join(folder, name), os.path.join(target, f"{label}.{i}.jpg"))
    return source, target


def peak_rss_mb(command):
    """Run `command` in a child Python and return (seconds, its peak RSS in
    MB, the largest of its own processes)."""
    probe = (
        "import resource, subprocess, sys, time; t = time.perf_counter(); "
        "subprocess.run(sys.argv[1:], check=True, stdout=subprocess.DEVNULL); "
        "print(time.perf_counter() - t, "
        "resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024)"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe, *command], capture_output=True, text=True, check=True
    ).stdout.split()
    return float(out[0]), float(out[1])


def bench_build(workdir, folder, count):
    from pyimagesearch.pipeline.build import build_dataset, split_paths

    paths = [os.path.join(folder, name) for name in sorted(os.listdir(folder))][:count]
    labels = [int(os.path.basename(p).startswith("dog")) for p in paths]
    book_seconds, _ = timed(book.build, paths, labels, os.path.join(workdir, "book_build.hdf5"))
    subset = os.path.join(workdir, f"build_{count}")
    os.makedirs(subset)
    for p in paths:
        os.link(p, os.path.join(subset, os.path.basename(p)))
    folder = os.path.join(workdir, "ours_build")
    ours_seconds, _ = timed(
        build_dataset,
        subset,
        folder,
        os.path.join(folder, "mean.json"),
        {"test": 100, "val": 100},
        workers=2,
    )
    outputs = dict(split_paths(folder), mean=os.path.join(folder, "mean.json"))
    return book_seconds, ours_seconds, os.path.join(workdir, "book_build.hdf5"), outputs


def bench_memory(workdir, folder_1000, folder_4000):
    rows = {}
    for count, folder in ((1000, folder_1000), (4000, folder_4000)):
        out = os.path.join(workdir, f"mem_{count}")
        rows[count] = peak_rss_mb(
            [
                sys.executable,
                os.path.join(ROOT, "dogs_vs_cats", "build_dogs_vs_cats.py"),
                "--images",
                folder,
                "--output-dir",
                out,
                "--mean",
                os.path.join(out, "mean.json"),
                "--val-size",
                "100",
                "--test-size",
                "100",
                "--workers",
                "2",
            ]
        )
        shutil.rmtree(out)
    return rows


def training_batches_book(path, means, batches):
    from tensorflow.keras.preprocessing.image import ImageDataGenerator

    aug = ImageDataGenerator(**AUGMENTATION)
    preprocessors = [
        book.PatchPreprocessor(227, 227),
        book.MeanPreprocessor(means["R"], means["G"], means["B"]),
        book.ImageToArrayPreprocessor(),
    ]
    gen = book.HDF5DatasetGenerator(path, 128, preprocessors=preprocessors, aug=aug)
    stream = gen.generator()
    start = time.perf_counter()
    count = sum(len(next(stream)[0]) for _ in range(batches))
    return count / (time.perf_counter() - start)


def training_batches_ours(path, means, batches, augment=True):
    from pyimagesearch.io import HDF5DatasetGenerator
    from pyimagesearch.preprocessing import ImageAugmenter, MeanPreprocessor, PatchPreprocessor

    aug = ImageAugmenter(**AUGMENTATION, seed=1) if augment else None
    gen = HDF5DatasetGenerator(
        path,
        128,
        [PatchPreprocessor(227, 227, seed=1), MeanPreprocessor(means["R"], means["G"], means["B"])],
        aug=aug,
        shuffle=True,
        seed=1,
    )
    gen[0]
    start = time.perf_counter()
    count = sum(len(gen[i % len(gen)][0]) for i in range(batches))
    seconds = time.perf_counter() - start
    start = time.perf_counter()
    for i in range(batches):
        (a, b) = gen.rows(i % len(gen))
        gen.db["images"][a:b]
    read_share = (time.perf_counter() - start) / seconds
    return count / seconds, read_share


def validation_batches(path, means, batches, ours):
    from pyimagesearch.io import HDF5DatasetGenerator
    from pyimagesearch.preprocessing import MeanPreprocessor, SimplePreprocessor

    if ours:
        gen = HDF5DatasetGenerator(
            path,
            128,
            [SimplePreprocessor(227, 227), MeanPreprocessor(means["R"], means["G"], means["B"])],
        )
        fetch = (gen[i % len(gen)] for i in range(batches))
    else:
        gen = book.HDF5DatasetGenerator(
            path,
            128,
            preprocessors=[
                book.SimplePreprocessor(227, 227),
                book.MeanPreprocessor(means["R"], means["G"], means["B"]),
                book.ImageToArrayPreprocessor(),
            ],
        )
        stream = gen.generator()
        fetch = (next(stream) for _ in range(batches))
    start = time.perf_counter()
    count = sum(len(x) for x, _ in fetch)
    return count / (time.perf_counter() - start)


def bench_storage(workdir, images):
    from pyimagesearch.io import HDF5DatasetWriter

    labels = np.arange(len(images)) % 2
    book_path, ours_path = (
        os.path.join(workdir, "book_rows.hdf5"),
        os.path.join(workdir, "ours_rows.hdf5"),
    )
    writer = book.HDF5DatasetWriter(images.shape, book_path)
    writer.add(list(images), list(labels))
    writer.close()
    with HDF5DatasetWriter(images.shape, ours_path) as writer:
        writer.add(images, labels)
    with h5py.File(book_path, "r") as b, h5py.File(ours_path, "r") as o:
        identical = bool(np.array_equal(b["images"][:], o["images"][:].astype("float64")))
        storage = (b["images"].id.get_storage_size(), o["images"].id.get_storage_size())
    return storage, (os.path.getsize(book_path), os.path.getsize(ours_path)), identical


def bench_crops(images, means):
    import keras

    from pyimagesearch.nn.conv import AlexNet
    from pyimagesearch.pipeline.evaluation import predict_ten_crops
    from pyimagesearch.preprocessing import CropPreprocessor, MeanPreprocessor

    keras.utils.set_random_seed(1)
    model = AlexNet.build(227, 227, 3, 2)
    model.predict(np.zeros((10, 227, 227, 3), "float32"), verbose=0)
    model.predict_on_batch(np.zeros((80, 227, 227, 3), "float32"))
    book_seconds, book_preds = timed(book.ten_crop_predictions, model, images, means)
    mp = MeanPreprocessor(means["R"], means["G"], means["B"])
    batches = [mp.preprocess_batch(images[i : i + 8]) for i in range(0, len(images), 8)]
    ours_seconds, ours_preds = timed(predict_ten_crops, model, batches, CropPreprocessor(227, 227))
    difference = float(np.abs(book_preds - ours_preds).max())

    float_images = mp.preprocess_batch(images)
    cp_book, iap = book.CropPreprocessor(227, 227), book.ImageToArrayPreprocessor()
    # as predict_ten_crops does it: one reused buffer, the batch shared out among threads
    from concurrent.futures import ThreadPoolExecutor

    cp, buffer = CropPreprocessor(227, 227), np.empty((32, 10, 227, 227, 3), "float32")
    pool = ThreadPoolExecutor(os.cpu_count())

    def book_crops():
        return [np.array([iap.preprocess(c) for c in cp_book.preprocess(i)]) for i in float_images]

    def our_crops():
        return list(
            pool.map(
                lambda a: cp.preprocess_batch(float_images[a : a + 4], out=buffer[a : a + 4]),
                range(0, len(float_images), 4),
            )
        )

    book_crops(), our_crops()  # warm up: imports, first touch of the buffer
    crop_book = min(timed(book_crops)[0] for _ in range(3))
    crop_ours = min(timed(our_crops)[0] for _ in range(3))

    # in the graph: uint8 images in, mean and crops (and the model) compiled
    import keras

    from pyimagesearch.preprocessing.meansubtraction import MeanSubtraction
    from pyimagesearch.preprocessing.tencrop import TenCrop, ten_crop_model

    graph = ten_crop_model(model, mp, images.shape[1:])
    graph.predict(images[:8], batch_size=8, verbose=0)
    graph_seconds, graph_preds = timed(graph.predict, images, batch_size=8, verbose=0)
    cutter = keras.Sequential(
        [
            keras.Input(images.shape[1:], dtype="uint8"),
            MeanSubtraction(means["R"], means["G"], means["B"]),
            TenCrop(227, 227),
            # the crops stay in the graph, as in ten_crop_model: out comes a
            # mean per crop, not 6 MB of crops per image
            keras.layers.GlobalAveragePooling2D(),
        ]
    )
    cutter.predict(images[:8], batch_size=8, verbose=0)
    crop_graph = min(timed(cutter.predict, images, batch_size=8, verbose=0)[0] for _ in range(3))
    return {
        "count": len(images),
        "book": book_seconds,
        "ours": ours_seconds,
        "difference": difference,
        "crop_book": crop_book,
        "crop_ours": crop_ours,
        "graph": graph_seconds,
        "graph_difference": float(np.abs(graph_preds - book_preds).max()),
        "crop_graph": crop_graph,
    }


def bench_input_paths(path, means, steps=6, batch=128):
    """Per-step input work with the model left out: streaming from HDF5,
    from RAM, and on the device (gather, patch, mean compiled)."""
    import keras

    from pyimagesearch.io import HDF5DatasetGenerator
    from pyimagesearch.nn.parallel.replicas import Replicas
    from pyimagesearch.pipeline.feeds import DeviceFeed
    from pyimagesearch.preprocessing import MeanPreprocessor, PatchPreprocessor

    mp = MeanPreprocessor(means["R"], means["G"], means["B"])
    rates = {}
    for cache in ("none", "memory"):
        gen = HDF5DatasetGenerator(
            path,
            batch,
            [PatchPreprocessor(227, 227), mp],
            shuffle=True,
            seed=1,
            inMemory=cache == "memory",
        )
        gen[0]
        seconds, _ = timed(lambda: [gen[i % len(gen)] for i in range(steps)])
        rates[cache] = steps * batch / seconds
    with DeviceFeed(path, path, mp, 227, batch, 1, 1, Replicas()) as feed:
        rows = feed.trainGen.data
        feeder = keras.Sequential(feed.input_layers())  # the training's own input layers
    # compiled, as in a training step (inference mode: centre patches, the
    # same gather as random ones)
    indices = np.random.default_rng(0).integers(0, len(rows), (steps * batch, 1)).astype("int32")
    feeder.predict(indices[:batch], batch_size=batch, verbose=0)
    seconds, _ = timed(feeder.predict, indices, batch_size=batch, verbose=0)
    rates["device"] = steps * batch / seconds
    return rates


def bench_features(workdir, folder, count):
    from pyimagesearch.nn.backbones import application_extractor
    from pyimagesearch.pipeline.features import extract_features

    extractor = application_extractor("resnet50", "none")
    extractor.model.predict_on_batch(np.zeros((16, 224, 224, 3), "float32"))
    subset = os.path.join(workdir, "features_photos")
    os.makedirs(subset)
    names = sorted(os.listdir(folder))[:count]
    for name in names:
        os.link(os.path.join(folder, name), os.path.join(subset, name))
    paths = [os.path.join(subset, n) for n in names]
    book_seconds, _ = timed(book.extract_features, extractor.model, paths)
    ours_seconds, _ = timed(
        extract_features,
        subset,
        os.path.join(workdir, "features.hdf5"),
        extractor,
        batchSize=16,
        workers=2,
    )
    return count, book_seconds, ours_seconds


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--output", default=os.path.join(ROOT, "benchmarks", "results", "bench.json")
    )
    args = parser.parse_args()
    workdir = tempfile.mkdtemp(prefix="bench-")
    rows = []

    def row(what, book_value, ours_value, unit, target, higher_is_better=True):
        ratio = ours_value / book_value if higher_is_better else book_value / ours_value
        rows.append(
            {
                "what": what,
                "book": book_value,
                "ours": ours_value,
                "unit": unit,
                "ratio": ratio,
                "target": target,
            }
        )
        print(
            f"{what:<48} book {book_value:>10.2f}  ours {ours_value:>10.2f} {unit:<10} "
            f"x{ratio:.2f} (target {target})",
            flush=True,
        )

    try:
        source, folder = photos(workdir, 1000)
        _, folder_4000 = photos(workdir, 4000)
        print(
            f"[INFO] data: {source}; machine: {platform.machine()}, {os.cpu_count()} cores",
            flush=True,
        )

        book_s, ours_s, book_file, ours_files = bench_build(workdir, folder, 1000)
        row(
            "build 1,000 photos, wall seconds (2 workers)",
            book_s,
            ours_s,
            "s",
            ">= 1.7",
            higher_is_better=False,
        )
        memory = bench_memory(workdir, folder, folder_4000)
        growth = memory[4000][1] / memory[1000][1]
        print(
            f"{'build peak memory, 1,000 -> 4,000 photos':<48} {memory[1000][1]:.0f} MB -> "
            f"{memory[4000][1]:.0f} MB (x{growth:.3f}, target within 10%)",
            flush=True,
        )

        with open(ours_files["mean"]) as f:
            means = json.load(f)
        ours_file = ours_files["train"]
        book_rate = max(training_batches_book(book_file, means, 3) for _ in range(2))
        ours_rate, read_share = max(training_batches_ours(ours_file, means, 8) for _ in range(2))
        row("training input path (patch, mean, aug), img/s", book_rate, ours_rate, "img/s", ">= 10")
        print(f"{'  share of our time in the HDF5 read':<48} {read_share * 100:.1f}%", flush=True)
        cpu_side, _ = training_batches_ours(ours_file, means, 12, augment=False)
        print(
            f"{'  CPU side of train_alexnet.py (aug on the GPU)':<48} {cpu_side:.0f} img/s "
            f"(patch and mean only: x{cpu_side / book_rate:.1f} the book's full path)",
            flush=True,
        )
        row(
            "validation input path (resize, mean), img/s",
            max(validation_batches(book_file, means, 4, ours=False) for _ in range(3)),
            max(validation_batches(ours_file, means, 4, ours=True) for _ in range(3)),
            "img/s",
            ">= 3",
        )

        with h5py.File(ours_file, "r") as db:
            images = db["images"][:300]
        storage, on_disk, identical = bench_storage(workdir, images)
        row(
            "HDF5 bytes for 300 photos (image data)",
            storage[0],
            storage[1],
            "bytes",
            "= 8",
            higher_is_better=False,
        )
        print(
            f"{'  whole files':<48} {on_disk[0]} vs {on_disk[1]} bytes "
            f"(x{on_disk[0] / on_disk[1]:.3f}); pixels identical: {identical}",
            flush=True,
        )

        crops = bench_crops(images[:32], means)
        count = crops["count"]
        row(
            f"10-crop evaluation of {count} images, CPU crops",
            count / crops["book"],
            count / crops["ours"],
            "img/s",
            ">= 1 (CPU)",
        )
        row(
            f"10-crop evaluation of {count} images, in the graph",
            count / crops["book"],
            count / crops["graph"],
            "img/s",
            ">= 2.5",
        )
        print(
            f"{'  largest difference in predictions':<48} CPU crops "
            f"{crops['difference']:.2e}, graph {crops['graph_difference']:.2e} "
            "(targets <= 1e-5, <= 1e-3)",
            flush=True,
        )
        row(
            "  crop construction alone, CPU crops",
            count / crops["crop_book"],
            count / crops["crop_ours"],
            "img/s",
            "",
        )
        row(
            "  crop construction alone, in the graph",
            count / crops["crop_book"],
            count / crops["crop_graph"],
            "img/s",
            ">= 10",
        )

        inputs = bench_input_paths(ours_file, means)
        for cache in ("memory", "device"):
            row(
                f"training input per step, cache {cache} vs none",
                inputs["none"],
                inputs[cache],
                "img/s",
                "> 1",
            )
        from benchmarks.gpu_check import training

        busy = training(ours_file, 32, 3, 2, mixed=False)
        # the upper bound: the same model fed 227x227 patches already in
        # memory, as numpy arrays or as a variable -- whichever is faster here
        bound = max(busy["host_arrays"], busy["synthetic"])
        for cache in ("none", "memory", "device", "host_arrays", "synthetic"):
            print(
                f"{'  AlexNet training, ' + cache:<48} {busy[cache]:.1f} img/s = "
                f"{100 * busy[cache] / bound:.0f}% of the upper bound ({bound:.1f} img/s)",
                flush=True,
            )

        count, book_s, ours_s = bench_features(workdir, folder, 160)
        row(
            f"ResNet50 features (weights none), {count} photos, img/s",
            count / book_s,
            count / ours_s,
            "img/s",
            ">= 1",
        )

        os.makedirs(os.path.dirname(args.output), exist_ok=True)
        with open(args.output, "w") as f:
            json.dump(
                {
                    "data": source,
                    "machine": platform.platform(),
                    "cores": os.cpu_count(),
                    "rows": rows,
                    "build_peak_memory_mb": {k: v[1] for k, v in memory.items()},
                    "hdf5_read_share": read_share,
                    "training_cpu_side_without_augmentation_img_s": cpu_side,
                    "crop_prediction_difference": crops["difference"],
                    "graph_crop_prediction_difference": crops["graph_difference"],
                    "input_path_img_s": inputs,
                    "alexnet_training_img_s": busy,
                    "pixels_identical": identical,
                },
                f,
                indent=2,
            )
        print(f"[INFO] written to {args.output}")
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
