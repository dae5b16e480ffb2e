"""Every GPU measurement of the project in one command (under 8 minutes on
one H200, no network): the data is generated on the machine.

    python -m benchmarks.gpu_check            # on the GPU machine
    python -m benchmarks.gpu_check --quick    # a CPU smoke test of this script

1. AlexNet training images/s fed by the project's pipeline (HDF5 -> patch ->
   mean on CPU threads, augmentation in the model) versus fed from arrays
   already in memory; the ratio says how busy the pipeline keeps the GPU.
   With and without mixed precision.
2. 10-crop evaluation images/s: the project's batched crops versus the
   book's one `predict` per image.
3. ResNet50 (weights none) feature extraction images/s.

Uses only Keras, so it runs on any Keras backend (KERAS_BACKEND=jax or
torch where TensorFlow is not installed). Writes a JSON next to the table:
$OUT/gpu_check.json when OUT is set, else benchmarks/results/gpu_check.json.
"""

import argparse
import json
import os
import tempfile
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402


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
            writer.add(np.stack([aap.preprocess(draw_animal(int(k), rng)) for k in labels]),
                       labels)
    return path


def images_per_second(function, count):
    start = time.perf_counter()
    function()
    return count / (time.perf_counter() - start)


def training(path, batch, steps, workers, mixed):
    import keras

    from pyimagesearch.io import HDF5DatasetGenerator
    from pyimagesearch.nn.chain import chain
    from pyimagesearch.nn.conv import AlexNet
    from pyimagesearch.preprocessing import ImageAugmenter, MeanPreprocessor, PatchPreprocessor

    keras.mixed_precision.set_global_policy("mixed_float16" if mixed else "float32")
    alexnet = AlexNet.build(227, 227, 3, 2)
    model = chain((227, 227, 3), [ImageAugmenter(rotation_range=20, zoom_range=0.15,
                                                 width_shift_range=0.2, height_shift_range=0.2,
                                                 shear_range=0.15, horizontal_flip=True, seed=1)]
                  + alexnet.layers[1:])
    model.compile(loss="categorical_crossentropy", optimizer=keras.optimizers.Adam(1e-3))
    mean = MeanPreprocessor(125.0, 116.0, 106.0)
    gen = HDF5DatasetGenerator(path, batch, [PatchPreprocessor(227, 227, seed=1), mean],
                               shuffle=True, seed=1, workers=workers)
    steps = min(steps, len(gen))
    batches = [gen[i] for i in range(min(4, len(gen)))]
    x = np.concatenate([images for images, _ in batches])
    y = np.concatenate([labels for _, labels in batches])
    model.fit(gen, epochs=1, steps_per_epoch=2, verbose=0)  # compile and warm up
    model.fit(x, y, batch_size=batch, epochs=1, verbose=0)
    fed = images_per_second(lambda: model.fit(gen, epochs=1, steps_per_epoch=steps, verbose=0),
                            steps * batch)
    repeats = max(1, steps * batch // len(x))
    x_rep, y_rep = np.concatenate([x] * repeats), np.concatenate([y] * repeats)
    memory = images_per_second(lambda: model.fit(x_rep, y_rep, batch_size=batch, epochs=1,
                                                 verbose=0), len(x_rep))
    keras.mixed_precision.set_global_policy("float32")
    return fed, memory


def ten_crops(path, book_images, our_images):
    import h5py

    from benchmarks import book
    from pyimagesearch.nn.conv import AlexNet
    from pyimagesearch.preprocessing import CropPreprocessor, MeanPreprocessor
    from pyimagesearch.utils.tencrop import predict_ten_crops

    model = AlexNet.build(227, 227, 3, 2)
    means = {"R": 125.0, "G": 116.0, "B": 106.0}
    mp = MeanPreprocessor(means["R"], means["G"], means["B"])
    with h5py.File(path, "r") as db:
        images = db["images"][:our_images]
    book.ten_crop_predictions(model, images[:2], means)
    ours_rate = images_per_second(
        lambda: predict_ten_crops(model, (mp.preprocess_batch(images[i:i + 64])
                                          for i in range(0, len(images), 64)),
                                  CropPreprocessor(227, 227)), len(images))
    book_rate = images_per_second(
        lambda: book.ten_crop_predictions(model, images[:book_images], means), book_images)
    return book_rate, ours_rate


def features(path, count):
    import h5py

    from pyimagesearch.nn.backbones import application_extractor

    extractor = application_extractor("resnet50", "none")
    with h5py.File(path, "r") as db:
        images = np.stack([extractor.resizer.preprocess(i) for i in db["images"][:count]])
    extractor.extract(images[:64])
    return images_per_second(lambda: [extractor.extract(images[i:i + 64])
                                      for i in range(0, len(images), 64)], len(images))


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="tiny sizes, for a CPU smoke test")
    args = parser.parse_args()
    import keras

    sizes = dict(images=64, batch=8, steps=2, workers=2, book=2, crops=8, features=16) \
        if args.quick else dict(images=6144, batch=128, steps=40, workers=12, book=100,
                                crops=2048, features=2048)
    results = {"backend": keras.backend.backend(), "sizes": sizes}
    with tempfile.TemporaryDirectory() as folder:
        path = make_data(folder, sizes["images"])
        # float16 is emulated, and very slow, on a CPU
        for mixed in (False,) if args.quick else (False, True):
            fed, memory = training(path, sizes["batch"], sizes["steps"], sizes["workers"], mixed)
            key = "mixed_float16" if mixed else "float32"
            results[f"training_{key}"] = {"pipeline_img_s": fed, "in_memory_img_s": memory,
                                          "pipeline_share": fed / memory}
            print(f"AlexNet training {key:<14} pipeline {fed:9.1f} img/s, in memory "
                  f"{memory:9.1f} img/s: the pipeline keeps it {100 * fed / memory:.0f}% as busy "
                  "(target >= 90%)", flush=True)
        book_rate, ours_rate = ten_crops(path, sizes["book"], sizes["crops"])
        results["ten_crops"] = {"book_img_s": book_rate, "ours_img_s": ours_rate,
                                "ratio": ours_rate / book_rate}
        print(f"10-crop evaluation: book {book_rate:.1f} img/s, ours {ours_rate:.1f} img/s, "
              f"x{ours_rate / book_rate:.1f} (target >= 20)", flush=True)
        rate = features(path, sizes["features"])
        results["resnet50_features_img_s"] = rate
        print(f"ResNet50 features (weights none): {rate:.1f} img/s", flush=True)
    output = os.path.join(os.environ["OUT"], "gpu_check.json") if os.environ.get("OUT") else \
        os.path.join(os.path.dirname(os.path.abspath(__file__)), "results", "gpu_check.json")
    os.makedirs(os.path.dirname(output), exist_ok=True)
    with open(output, "w") as f:
        json.dump(results, f, indent=2)
    print(f"[INFO] written to {output}")


if __name__ == "__main__":
    main()
