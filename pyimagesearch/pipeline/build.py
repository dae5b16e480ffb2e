"""Build train / validation / test HDF5 files from a folder or zip of
labelled photos, in one streaming pass."""

from __future__ import annotations

import contextlib
import os
from collections import Counter
from collections.abc import Callable, Iterable
from typing import Any

from pyimagesearch import bookdefaults as book
from pyimagesearch.io.hdf5datasetwriter import HDF5DatasetWriter
from pyimagesearch.io.imagedecoder import MAX_PIXELS, load_images
from pyimagesearch.io.imagefiles import labelled_image_files
from pyimagesearch.io.splitrecord import RECORD_FILE, check_build_record, split_file
from pyimagesearch.preprocessing.aspectawarepreprocessor import AspectAwarePreprocessor
from pyimagesearch.preprocessing.datasetmean import DatasetMean
from pyimagesearch.utils.checks import check_image_size
from pyimagesearch.utils.epochplan import stored_order
from pyimagesearch.utils.files import (
    check_distinct,
    commit_files,
    discard_partial,
    displayable,
    new_partial,
    printable,
    refuse_existing,
    write_json,
)
from pyimagesearch.utils.locks import output_lock
from pyimagesearch.utils.parallel import DEFAULT_WORKERS

# The held-out splits, in the order their quotas are filled; the remaining
# photos are the training split. One name here is one more split.
SPLITS = ("test", "val")


def stratified_quotas(class_counts: list[int], size: int) -> list[int]:
    """Split `size` between classes in proportion to `class_counts`
    (largest remainders), so the split has the data set's class balance."""
    total = sum(class_counts)
    exact = [size * count / total for count in class_counts]
    quotas = [int(e) for e in exact]
    by_remainder = sorted(range(len(exact)), key=lambda k: quotas[k] - exact[k])
    for k in by_remainder[: size - sum(quotas)]:
        quotas[k] += 1
    return quotas


def class_quotas(images, labelled, splitSizes: dict[str, int], skipped=()):
    """(the class names, sorted; {split: each class's photos in it}) for
    the `labelled` photos of `images` and the held-out `splitSizes`;
    ValueError when they are too few for the splits and a training split,
    or of one class, saying why the `skipped` files were."""
    classNames = sorted({f.label for f in labelled})
    classCounts = Counter(f.label for f in labelled)
    needed = sum(splitSizes.values()) + 1
    if len(classNames) < 2 or len(labelled) < needed:
        raise ValueError(
            f"{images} holds {len(labelled)} labelled photos in {len(classNames)} class(es) "
            f"({dict(classCounts)}); the splits need at least {needed} in 2 or more classes"
            + skipped_summary(skipped)
        )
    counts = [classCounts[name] for name in classNames]
    quotas = {name: stratified_quotas(counts, count) for name, count in splitSizes.items()}
    return classNames, quotas


def skipped_summary(skipped) -> str:
    """'; skipped: N for a reason (such as a file), ...' of the files
    `skipped` ({"file", "reason"}), commonest reason first; '' for none."""
    reasons = Counter(item["reason"] for item in skipped)
    if not reasons:
        return ""
    first = {}
    for item in skipped:
        first.setdefault(item["reason"], item["file"])
    shown = [f"{count} {reason} (such as {displayable(first[reason])})"
             for reason, count in reasons.most_common(3)]  # fmt: skip
    return "; skipped: " + ", ".join(shown)


def commit_build(writers, mean, meanPath, record, recordPath) -> None:
    """Write the mean and the record beside their outputs, then make them
    and the splits of `writers` replace any older build together, or not
    at all."""
    pairs = [(writer.partialPath, writer.outputPath) for writer in writers]
    try:
        for writer in writers:
            writer.finish()
        for path in (meanPath, recordPath):
            pairs.append((new_partial(path), path))
        mean.save(pairs[-2][0])
        write_json(pairs[-1][0], record)
        commit_files(pairs)
    except BaseException:
        for partial, _ in pairs:
            discard_partial(partial)
        raise


def split_paths(outputDir: str | os.PathLike, splits: Iterable[str] = SPLITS) -> dict[str, str]:
    """{split: outputDir/split.hdf5} for the training split and `splits`."""
    return {name: split_file(outputDir, name) for name in ("train", *splits)}


@contextlib.contextmanager
def split_writers(paths: dict[str, str], rows: dict[str, int], size: int, overwrite: bool):
    """{split: an `HDF5DatasetWriter` of `rows[split]` (size, size, 3) uint8
    photos at `paths[split]`}, every one aborted (its partial file removed)
    if the block fails; committing them is the caller's."""
    writers = {}
    try:
        for name, path in paths.items():
            # a small buffer: memory stays flat however many photos there are
            writers[name] = HDF5DatasetWriter(
                (rows[name], size, size, 3), path, bufSize=64, dtype="uint8", overwrite=overwrite
            )
        yield writers
    except BaseException:
        for writer in writers.values():
            writer.abort()
        raise


def fill_splits(loaded, writers, classNames, quotas, skipped, bar) -> tuple[dict, DatasetMean]:
    """Write each decoded photo of `loaded` ((image_file, image, reason), as
    `load_images` yields them) to the first held-out split whose quota
    for its class is left, counting `quotas` down, else to "train", whose
    mean it feeds; a photo that did not decode is added to `skipped`.
    Returns ({split: [photo names]} in row order, the training split's mean)."""
    classIndex = {name: k for k, name in enumerate(classNames)}
    names = {name: [] for name in writers}  # the photo of each row
    mean = DatasetMean()
    for done, (image_file, image, reason) in enumerate(loaded, 1):
        if image is None:
            skipped.append({"file": image_file.name, "reason": reason})
            continue
        k = classIndex[image_file.label]
        split = next((name for name in quotas if quotas[name][k] > 0), "train")
        if split != "train":
            quotas[split][k] -= 1
        else:
            mean.partial_fit(image)
        writers[split].add(image[None], [k])
        names[split].append(image_file.name)
        if bar:
            bar.update(done)
    if bar:
        bar.finish()
    return names, mean


def check_enough(images, splitSizes, quotas, mean, names, total: int, skipped) -> None:
    """ValueError unless the usable photos filled every held-out quota and
    left the training split one or more: `names` lists them, of `total`
    files found in `images`."""
    if any(sum(quota) for quota in quotas.values()) or mean.mean_ is None:
        used = sum(map(len, names.values()))
        needed = sum(splitSizes.values()) + 1
        sizes = ", ".join(f"{count} for {name}" for name, count in splitSizes.items())
        raise ValueError(
            f"{images}: only {used} of {total} files are usable photos "
            f"({len(skipped)} skipped); the splits need at least {needed}, with {sizes}"
        )


def store_names(writers, classNames, names) -> None:
    """Store the class names and each row's photo name in every split's
    file, and write its buffered rows."""
    for split, writer in writers.items():
        writer.storeClassLabels(classNames)
        writer.storeStrings("image_names", names[split])
        writer.flush()


def make_record(images, files, writers, classNames, mean, skipped, names) -> dict:
    """The build's record (see `pyimagesearch.io.splitrecord`)."""
    return {
        "images": images,
        "photos_found": len(files),
        "used": {name: writer.idx for name, writer in writers.items()},
        "label_names": classNames,
        "mean": mean.mean_,
        "skipped_count": len(skipped),
        "skipped": skipped,
        # as the split files store them (`storeStrings`), one name a photo
        "image_names": {split: list(map(printable, photos)) for split, photos in names.items()},
    }


def build_dataset(
    images: str | os.PathLike,
    outputDir: str | os.PathLike,
    meanPath: str | os.PathLike,
    splitSizes: dict[str, int] | None = None,
    size: int = book.IMAGE_SIZE,
    workers: int = DEFAULT_WORKERS,
    seed: int = book.SEED,
    overwrite: bool = False,
    maxPixels: int = MAX_PIXELS,
    progress: Callable[[int], Any] | None = None,
) -> dict:
    """Decode, resize and store labelled photos in HDF5 split files, and
    fit the training split's mean.

    Args:
        images: a folder or .zip of photos named "<label>.<id>.<ext>".
        outputDir: gets train.hdf5 and one <split>.hdf5 per held-out split
            (each row's photo named in "image_names"), and build_record.json:
            what was used and skipped, and "image_names": {split: [photo
            names]}, the record every later stage asks which photos are
            held out.
        meanPath: the training split's `DatasetMean`, as JSON.
        splitSizes: {split: count} of the held-out splits, in the order
            they are filled (default: SPLITS' names with 2,500 each); the
            remaining photos are "train".
        size: photos are stored as (size, size, 3) uint8 BGR, resized by
            `AspectAwarePreprocessor`.
        workers: decoding threads.
        seed: the photos are taken in a random order with this seed; the
            first usable ones of each class fill the held-out quotas
            (stratified by class), the rest go to training.
        maxPixels: photos declaring more pixels are skipped undecoded.
        progress: a callable(total) returning a progress bar, or None.

    Unreadable photos and names without a label are skipped and listed in
    the record. Outputs appear only once everything is written.

    Returns the record as a dict.
    """
    check_image_size("size", size)
    splitSizes = dict(splitSizes or {"test": book.TEST_IMAGES, "val": book.VAL_IMAGES})
    paths = split_paths(outputDir, splitSizes)
    recordPath = os.path.join(outputDir, RECORD_FILE)
    outputs = [("outputDir", path) for path in (outputDir, *paths.values(), recordPath)]
    check_distinct([*outputs, ("meanPath", meanPath)], [("images", images)])
    with output_lock(outputDir, meanPath):
        refuse_existing([*paths.values(), meanPath], overwrite)
        (files, labelled, skipped) = labelled_image_files(images)
        total = len(labelled) + len(skipped)  # before the photos that fail to decode
        (classNames, quotas) = class_quotas(images, labelled, splitSizes, skipped)
        rows = dict(splitSizes, train=len(labelled) - sum(splitSizes.values()))
        ordered = [labelled[i] for i in stored_order(seed, len(labelled))]
        bar = progress(len(labelled)) if progress else None
        with split_writers(paths, rows, size, overwrite) as writers:
            loaded = load_images(ordered, AspectAwarePreprocessor(size, size), workers, maxPixels)
            (names, mean) = fill_splits(loaded, writers, classNames, quotas, skipped, bar)
            check_enough(images, splitSizes, quotas, mean, names, total, skipped)
            store_names(writers, classNames, names)
        record = make_record(images, files, writers, classNames, mean, skipped, names)
        check_build_record(record, recordPath)
        commit_build(writers.values(), mean, meanPath, record, recordPath)
        return record
