"""Measure this project against the book's approach on the same data in the
same run, and print a table of absolute figures and ratios (also written to
benchmarks/results/bench.json).

    python -m benchmarks.run_all          (or: make bench)

Uses the real Kaggle photos in ../shared/data/kaggle_sample/train when they
are there, generated pictures otherwise, and says which."""

import argparse
import contextlib
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import h5py  # noqa: E402
import numpy as np  # noqa: E402

from benchmarks import book  # noqa: E402
from benchmarks.interleave import Ratio, interleaved, rate  # noqa: E402
from pyimagesearch.pipeline.training import AUGMENTATION  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
KAGGLE = os.path.join(ROOT, "..", "shared", "data", "kaggle_sample", "train")


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


def bench_build(workdir, folder, count, rounds):
    """Build `count` photos the book's way and ours, interleaved: (rates,
    the book's HDF5 file, our outputs), rates {"book", "ours": [photos/s]}."""
    from pyimagesearch.pipeline.build import build_dataset, split_paths

    paths = [os.path.join(folder, name) for name in sorted(os.listdir(folder))][:count]
    labels = [int(os.path.basename(p).startswith("dog")) for p in paths]
    subset = os.path.join(workdir, f"build_{count}")
    os.makedirs(subset)
    for p in paths:
        os.link(p, os.path.join(subset, os.path.basename(p)))
    bookPath = os.path.join(workdir, "book_build.hdf5")
    ours = os.path.join(workdir, "ours_build")

    def book_build():
        if os.path.exists(bookPath):
            os.remove(bookPath)
        book.build(paths, labels, bookPath)

    def our_build():
        shutil.rmtree(ours, ignore_errors=True)
        build_dataset(subset, ours, os.path.join(ours, "mean.json"), {"test": 100, "val": 100},
                      workers=2)  # fmt: skip

    rates = interleaved(
        {"book": lambda: rate(book_build, count), "ours": lambda: rate(our_build, count)}, rounds
    )
    return rates, bookPath, dict(split_paths(ours), mean=os.path.join(ours, "mean.json"))


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
    """images/s of the book's training batches: patch, mean, augmentation."""
    from tensorflow.keras.preprocessing.image import ImageDataGenerator

    aug = ImageDataGenerator(**AUGMENTATION)
    preprocessors = [
        book.PatchPreprocessor(227, 227),
        book.MeanPreprocessor(means["R"], means["G"], means["B"]),
        book.ImageToArrayPreprocessor(),
    ]
    gen = book.HDF5DatasetGenerator(path, 128, preprocessors=preprocessors, aug=aug)
    stream = gen.generator()
    return rate(lambda: [next(stream) for _ in range(batches)], 128 * batches)


def our_training_batches(path, means, augment=True):
    """Our training generator over `path` (patch, mean, and the book's
    augmentation unless `augment` is False)."""
    from pyimagesearch.io import HDF5DatasetGenerator
    from pyimagesearch.preprocessing import ImageAugmenter, MeanPreprocessor, PatchPreprocessor

    return HDF5DatasetGenerator(
        path,
        128,
        [PatchPreprocessor(227, 227, seed=1), MeanPreprocessor(means["R"], means["G"], means["B"])],
        aug=ImageAugmenter(**AUGMENTATION, seed=1) if augment else None,
        shuffle=True,
        seed=1,
    )


def batches_rate(gen, batches):
    """images/s of `batches` batches of a generator with `len` and `[i]`."""
    return rate(lambda: [gen[i % len(gen)] for i in range(batches)], gen.batchSize * batches)


def read_share(gen, batches):
    """The share of a batch's time that reading its rows from HDF5 takes."""
    seconds = gen.batchSize * batches / batches_rate(gen, batches)
    start = time.perf_counter()
    for i in range(batches):
        (a, b) = gen.rows(i % len(gen))
        gen.db["images"][a:b]
    return (time.perf_counter() - start) / seconds


def validation_rates(path, means, batches, rounds):
    """{"book", "ours": [images/s]} of validation batches (resize, mean),
    interleaved."""
    from pyimagesearch.io import HDF5DatasetGenerator
    from pyimagesearch.preprocessing import MeanPreprocessor, SimplePreprocessor

    ours = HDF5DatasetGenerator(
        path,
        128,
        [SimplePreprocessor(227, 227), MeanPreprocessor(means["R"], means["G"], means["B"])],
    )
    theirs = book.HDF5DatasetGenerator(
        path,
        128,
        preprocessors=[
            book.SimplePreprocessor(227, 227),
            book.MeanPreprocessor(means["R"], means["G"], means["B"]),
            book.ImageToArrayPreprocessor(),
        ],
    )
    stream = theirs.generator()
    return interleaved(
        {
            "book": lambda: rate(lambda: [next(stream) for _ in range(batches)], 128 * batches),
            "ours": lambda: batches_rate(ours, batches),
        },
        rounds,
    )


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


def bench_crops(images, means, rounds):
    """10-crop evaluation of `images` by one AlexNet, interleaved: "book",
    "ours" (CPU crops), "graph" [images/s]; and crop construction alone:
    "crop_book", "crop_ours", "crop_graph" [images/s]; and the largest
    differences of our predictions from the book's."""
    from concurrent.futures import ThreadPoolExecutor

    import keras

    from pyimagesearch.nn.conv import AlexNet
    from pyimagesearch.pipeline.evaluation import predict_ten_crops
    from pyimagesearch.preprocessing import CropPreprocessor, MeanPreprocessor
    from pyimagesearch.preprocessing.meansubtraction import MeanSubtraction
    from pyimagesearch.preprocessing.tencrop import TenCrop, ten_crop_model

    keras.utils.set_random_seed(1)
    model = AlexNet.build(227, 227, 3, 2)
    mp = MeanPreprocessor(means["R"], means["G"], means["B"])
    batches = [mp.preprocess_batch(images[i : i + 8]) for i in range(0, len(images), 8)]
    graph = ten_crop_model(model, mp, images.shape[1:])
    count = len(images)

    def ours():
        return predict_ten_crops(model, batches, CropPreprocessor(227, 227))

    float_images = mp.preprocess_batch(images)
    cp_book, iap = book.CropPreprocessor(227, 227), book.ImageToArrayPreprocessor()
    # as predict_ten_crops does it: one reused buffer, the batch shared out among threads
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

    # in the graph: uint8 images in, mean and crops compiled; out comes a
    # mean per crop, not 6 MB of crops per image
    cutter = keras.Sequential(
        [
            keras.Input(images.shape[1:], dtype="uint8"),
            MeanSubtraction(means["R"], means["G"], means["B"]),
            TenCrop(227, 227),
            keras.layers.GlobalAveragePooling2D(),
        ]
    )
    rates = interleaved(
        {
            "book": lambda: rate(lambda: book.ten_crop_predictions(model, images, means), count),
            "ours": lambda: rate(ours, count),
            "graph": lambda: rate(lambda: graph.predict(images, batch_size=8, verbose=0), count),
            "crop_book": lambda: rate(book_crops, count),
            "crop_ours": lambda: rate(our_crops, count),
            "crop_graph": lambda: rate(
                lambda: cutter.predict(images, batch_size=8, verbose=0), count
            ),
        },
        rounds,
    )
    book_preds = book.ten_crop_predictions(model, images, means)
    rates["difference"] = float(np.abs(book_preds - ours()).max())
    rates["graph_difference"] = float(
        np.abs(book_preds - graph.predict(images, batch_size=8, verbose=0)).max()
    )
    return rates


def bench_input_paths(path, means, rounds, steps=6, batch=128):
    """Per-step input work with the model left out, interleaved, through the
    training's own feeds: {"none", "memory", "device": [images/s]}
    (device: gather, patch and mean compiled)."""
    import keras

    from pyimagesearch.io.split import Split
    from pyimagesearch.nn.parallel.replicas import Replicas
    from pyimagesearch.pipeline.feeds import FEEDS
    from pyimagesearch.preprocessing import MeanPreprocessor

    mp = MeanPreprocessor(means["R"], means["G"], means["B"])
    split = Split(path)
    with contextlib.ExitStack() as stack:
        feeds = {
            cache: stack.enter_context(FEEDS[cache](split, split, mp, 227, batch, 1, 1, Replicas()))
            for cache in ("none", "memory", "device")
        }
        # compiled, as in a training step (inference mode: centre patches,
        # the same gather as random ones)
        feeder = keras.Sequential(feeds["device"].input_layers())
        rows = split.count
        indices = np.random.default_rng(0).integers(0, rows, (steps * batch, 1)).astype("int32")
        return interleaved(
            {
                "none": lambda: batches_rate(feeds["none"].batches, steps),
                "memory": lambda: batches_rate(feeds["memory"].batches, steps),
                "device": lambda: rate(
                    lambda: feeder.predict(indices, batch_size=batch, verbose=0), steps * batch
                ),
            },
            rounds,
        )


def bench_features(workdir, folder, count, rounds):
    """ResNet50 (weights none) features of `count` photos, interleaved:
    {"book", "ours": [photos/s]}."""
    from pyimagesearch.nn.backbones import application_extractor
    from pyimagesearch.pipeline.features import extract_features

    extractor = application_extractor("resnet50", "none")
    subset = os.path.join(workdir, "features_photos")
    os.makedirs(subset)
    names = sorted(os.listdir(folder))[:count]
    for name in names:
        os.link(os.path.join(folder, name), os.path.join(subset, name))
    paths = [os.path.join(subset, n) for n in names]
    output = os.path.join(workdir, "features.hdf5")

    def ours():
        extract_features(subset, output, extractor, batchSize=16, workers=2, overwrite=True)

    return interleaved(
        {
            "book": lambda: rate(lambda: book.extract_features(extractor.model, paths), count),
            "ours": lambda: rate(ours, count),
        },
        rounds,
    )


class Table:
    """The benchmark's printed table and the rows saved with it."""

    def __init__(self) -> None:
        self.rows = []

    def row(self, what, book_values, our_values, unit, target, higher_is_better=True):
        """One line of the table: the medians, and our gain over the book
        (the median of the rounds' ratios, with their spread)."""
        ratio = (
            Ratio(our_values, book_values) if higher_is_better else Ratio(book_values, our_values)
        )
        (book_value, our_value) = (statistics.median(book_values), statistics.median(our_values))
        self.rows.append(
            {
                "what": what,
                "book": book_value,
                "ours": our_value,
                "unit": unit,
                "ratio": ratio.median,
                "ratio_spread": [ratio.low, ratio.high],
                "target": target,
            }
        )
        self.note(
            what,
            f"book {book_value:>10.2f}  ours {our_value:>10.2f} {unit:<7} "
            f"{ratio} (target {target})",
        )

    @staticmethod
    def note(what, text):
        """A line of figures that are not a book-vs-ours row."""
        print(f"{what:<48} {text}", flush=True)


def build_section(table, workdir, folder, folder_4000, rounds):
    """The build's speed and its memory from 1,000 to 4,000 photos."""
    (build, book_file, ours_files) = bench_build(workdir, folder, 1000, rounds)
    table.row("build 1,000 photos (2 workers)", build["book"], build["ours"], "img/s", ">= 1.7")
    memory = bench_memory(workdir, folder, folder_4000)
    growth = memory[4000][1] / memory[1000][1]
    table.note(
        "build peak memory, 1,000 -> 4,000 photos",
        f"{memory[1000][1]:.0f} MB -> {memory[4000][1]:.0f} MB (x{growth:.3f}, target within 10%)",
    )
    saved = {"build_peak_memory_mb": {k: v[1] for k, v in memory.items()}}
    return book_file, ours_files, saved


def input_section(table, book_file, ours_file, means, rounds):
    """The training and validation input paths on the CPU."""
    augmenting = our_training_batches(ours_file, means)
    plain = our_training_batches(ours_file, means, augment=False)
    training = interleaved(
        {
            "book": lambda: training_batches_book(book_file, means, 3),
            "ours": lambda: batches_rate(augmenting, 8),
            "ours_without_augmentation": lambda: batches_rate(plain, 12),
        },
        rounds,
    )
    table.row(
        "training input path (patch, mean, aug)", training["book"], training["ours"], "img/s",
        ">= 10",
    )  # fmt: skip
    readShare = read_share(augmenting, 8)
    table.note("  share of our time in the HDF5 read", f"{readShare * 100:.1f}%")
    cpu_side = statistics.median(training["ours_without_augmentation"])
    table.note(
        "  CPU side of train_alexnet.py (aug on the GPU)",
        f"{cpu_side:.0f} img/s (patch and mean only: "
        f"{Ratio(training['ours_without_augmentation'], training['book'])} the book's full path)",
    )
    validation = validation_rates(ours_file, means, 4, rounds)
    table.row(
        "validation input path (resize, mean)", validation["book"], validation["ours"], "img/s",
        ">= 3",
    )  # fmt: skip
    return {
        "hdf5_read_share": readShare,
        "training_cpu_side_without_augmentation_img_s": cpu_side,
    }


def storage_section(table, workdir, images):
    """The HDF5 bytes of 300 photos, the book's float storage vs uint8."""
    storage, on_disk, identical = bench_storage(workdir, images)
    table.row(
        "HDF5 bytes for 300 photos (image data)", [storage[0]], [storage[1]], "bytes", "= 8",
        higher_is_better=False,
    )  # fmt: skip
    table.note(
        "  whole files",
        f"{on_disk[0]} vs {on_disk[1]} bytes (x{on_disk[0] / on_disk[1]:.3f}); "
        f"pixels identical: {identical}",
    )
    return {"pixels_identical": identical}


def crops_section(table, images, means, rounds):
    """The 10-crop evaluation, crops cut on the CPU and in the graph."""
    crops = bench_crops(images, means, rounds)
    table.row("10-crop evaluation of 32 images, CPU crops", crops["book"], crops["ours"], "img/s",
              ">= 1 (CPU)")  # fmt: skip
    table.row("10-crop evaluation of 32 images, in the graph", crops["book"], crops["graph"],
              "img/s", ">= 2.5")  # fmt: skip
    table.note(
        "  largest difference in predictions",
        f"CPU crops {crops['difference']:.2e}, graph {crops['graph_difference']:.2e} "
        "(targets <= 1e-5, <= 1e-3)",
    )
    table.row("  crop construction alone, CPU crops", crops["crop_book"], crops["crop_ours"],
              "img/s", "")  # fmt: skip
    table.row("  crop construction alone, in the graph", crops["crop_book"], crops["crop_graph"],
              "img/s", ">= 10")  # fmt: skip
    return {
        "crop_prediction_difference": crops["difference"],
        "graph_crop_prediction_difference": crops["graph_difference"],
    }


def training_section(table, ours_file, means, rounds):
    """Each cache mode's input per step, and AlexNet's training against
    the upper bound of patches already in memory."""
    from benchmarks.gpu_check import training as alexnet_training

    inputs = bench_input_paths(ours_file, means, rounds)
    for cache in ("memory", "device"):
        table.row(f"training input per step, cache {cache} vs none", inputs["none"],
                  inputs[cache], "img/s", "> 1")  # fmt: skip
    (busy, _) = alexnet_training(ours_file, 32, 6, 2, mixed=False, rounds=rounds)
    # the upper bound: the same model fed 227x227 patches already in memory,
    # as numpy arrays or as a variable -- whichever is faster in each round
    bound = [max(pair) for pair in zip(busy["host_arrays"], busy["synthetic"])]
    for cache in ("none", "memory", "device", "host_arrays", "synthetic"):
        share = Ratio(busy[cache], bound)
        table.note(
            "  AlexNet training, " + cache,
            f"{statistics.median(busy[cache]):.1f} img/s = {100 * share.median:.0f}% of the "
            f"upper bound (rounds {100 * share.low:.0f}-{100 * share.high:.0f}%; bound "
            f"{statistics.median(bound):.1f} img/s)",
        )
    return {"input_path_img_s": inputs, "alexnet_training_img_s": busy}


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--output", default=os.path.join(ROOT, "benchmarks", "results", "bench.json")
    )
    parser.add_argument(
        "--rounds", type=int, default=3, help="interleaved rounds of each measurement"
    )
    args = parser.parse_args()
    rounds = args.rounds
    workdir = tempfile.mkdtemp(prefix="bench-")
    table = Table()
    try:
        source, folder = photos(workdir, 1000)
        _, folder_4000 = photos(workdir, 4000)
        print(
            f"[INFO] data: {source}; machine: {platform.machine()}, {os.cpu_count()} cores; "
            f"{rounds} interleaved rounds after a warm-up, medians",
            flush=True,
        )
        (book_file, ours_files, saved) = build_section(table, workdir, folder, folder_4000, rounds)
        with open(ours_files["mean"]) as f:
            means = json.load(f)
        ours_file = ours_files["train"]
        saved.update(input_section(table, book_file, ours_file, means, rounds))
        with h5py.File(ours_file, "r") as db:
            images = db["images"][:300]
        saved.update(storage_section(table, workdir, images))
        saved.update(crops_section(table, images[:32], means, rounds))
        saved.update(training_section(table, ours_file, means, rounds))
        features = bench_features(workdir, folder, 160, rounds)
        table.row("ResNet50 features (weights none), 160 photos", features["book"],
                  features["ours"], "img/s", ">= 1")  # fmt: skip

        os.makedirs(os.path.dirname(args.output), exist_ok=True)
        with open(args.output, "w") as f:
            machine = {"data": source, "machine": platform.platform(), "cores": os.cpu_count()}
            json.dump({**machine, "rounds": rounds, "rows": table.rows, **saved}, f, indent=2)
        print(f"[INFO] written to {args.output}")
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
