"""Build train / validation / test HDF5 files from a folder or zip of
labelled photos, in one streaming pass."""

import os
from collections import Counter

import cv2
import numpy as np

from pyimagesearch.io.hdf5datasetwriter import HDF5DatasetWriter
from pyimagesearch.io.imagefiles import labelled_image_files, load_images
from pyimagesearch.preprocessing.aspectawarepreprocessor import AspectAwarePreprocessor
from pyimagesearch.utils.files import write_json


def stratified_quotas(class_counts, size):
    """Split `size` between classes in proportion to `class_counts`
    (largest remainders), so the split has the data set's class balance."""
    total = sum(class_counts)
    exact = [size * count / total for count in class_counts]
    quotas = [int(e) for e in exact]
    by_remainder = sorted(range(len(exact)), key=lambda k: quotas[k] - exact[k])
    for k in by_remainder[:size - sum(quotas)]:
        quotas[k] += 1
    return quotas


def build_splits(images, outputs, split_sizes, size=256, workers=1, seed=42, overwrite=False,
                 progress=None):
    """Decode, resize and store labelled photos in HDF5 split files.

    Args:
        images: a folder or .zip of photos named "<label>.<id>.<ext>".
        outputs: {"train": path, "val": path, "test": path, "mean": path,
            "report": path}: the three HDF5 files, the training split's mean
            as JSON {"R", "G", "B"}, and a JSON report of what was used and
            skipped.
        split_sizes: {"val": count, "test": count}; the rest is "train".
        size: photos are stored as (size, size, 3) uint8 BGR, resized by
            `AspectAwarePreprocessor`.
        workers: decoding threads.
        seed: the photos are taken in a random order with this seed; the
            first usable ones of each class fill the test and validation
            quotas (stratified by class), the rest go to training.
        progress: a callable(total) returning a progress bar, or None.

    Unreadable photos and names without a label are skipped and listed in
    the report. Outputs appear only once everything is written.

    Returns the report as a dict.
    """
    hdf5_keys = ("train", "val", "test")
    existing = [outputs[k] for k in (*hdf5_keys, "mean") if os.path.exists(outputs[k])]
    if existing and not overwrite:
        raise FileExistsError(f"{existing[0]} already exists: pass --force to replace the outputs")

    files, labelled, skipped = labelled_image_files(images)
    total = len(labelled) + len(skipped)
    classNames = sorted({f.label for f in labelled})
    class_index = {name: k for k, name in enumerate(classNames)}
    class_counts = Counter(f.label for f in labelled)
    needed = split_sizes["val"] + split_sizes["test"] + 1
    if len(classNames) < 2 or len(labelled) < needed:
        raise ValueError(
            f"{images} holds {len(labelled)} labelled photos in {len(classNames)} class(es) "
            f"({dict(class_counts)}); the splits need at least {needed} in 2 or more classes"
        )
    counts = [class_counts[name] for name in classNames]
    quotas = {k: stratified_quotas(counts, split_sizes[k]) for k in ("test", "val")}
    rows = {"test": split_sizes["test"], "val": split_sizes["val"],
            "train": len(labelled) - split_sizes["test"] - split_sizes["val"]}

    order = np.random.default_rng(seed).permutation(len(labelled))
    writers = {
        # a small buffer: memory stays flat however many photos there are
        k: HDF5DatasetWriter((rows[k], size, size, 3), outputs[k], bufSize=64, dtype="uint8",
                             overwrite=overwrite)
        for k in hdf5_keys
    }
    channel_sums = np.zeros(3, np.float64)
    pixels = 0
    bar = progress(len(labelled)) if progress else None
    try:
        loaded = load_images([labelled[i] for i in order], AspectAwarePreprocessor(size, size),
                             workers)
        for done, (image_file, image, reason) in enumerate(loaded, 1):
            if image is None:
                skipped.append({"file": image_file.name, "reason": reason})
                continue
            k = class_index[image_file.label]
            split = next((s for s in ("test", "val") if quotas[s][k] > 0), "train")
            if split != "train":
                quotas[split][k] -= 1
            else:
                # exact for uint8 and much faster than ndarray.sum over two axes
                channel_sums += cv2.sumElems(image)[:3]
                pixels += image.shape[0] * image.shape[1]
            writers[split].add(image[None], [k])
            if bar:
                bar.update(done)
        if bar:
            bar.finish()
        short = {s: sum(quotas[s]) for s in ("test", "val") if sum(quotas[s])}
        used = sum(w.idx + w.buffered for w in writers.values())
        if short or pixels == 0:
            raise ValueError(
                f"{images}: only {used} of {total} files are usable photos "
                f"({len(skipped)} skipped); the splits need at least {needed}, with "
                f"{split_sizes['val']} for validation and {split_sizes['test']} for test"
            )
        for k in hdf5_keys:
            writers[k].storeClassLabels(classNames)
            writers[k].flush()
    except BaseException:
        for writer in writers.values():
            writer.abort()
        raise

    means = channel_sums / pixels
    report = {
        "images": images,
        "photos_found": len(files),
        "used": {k: writers[k].idx for k in hdf5_keys},
        "label_names": classNames,
        "mean": {"R": means[2], "G": means[1], "B": means[0]},
        "skipped_count": len(skipped),
        "skipped": skipped,
    }
    # The three renames below are the only moment the outputs change.
    for k in hdf5_keys:
        writers[k].close()
    write_json(outputs["mean"], report["mean"])
    write_json(outputs["report"], report)
    return report

