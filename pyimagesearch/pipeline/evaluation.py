"""Evaluate a trained classifier on an HDF5 test split: rank-1 accuracy on
the resized images and with 10-crop oversampling (the book's
crop_accuracy.py)."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

import numpy as np

from pyimagesearch.errors import ArgumentError
from pyimagesearch.nn.parallel.replicas import choose_replicas, predict_batch
from pyimagesearch.utils.parallel import DEFAULT_WORKERS, map_ranges


def predict_ten_crops(
    model, batches, cropper, progress=None, workers=DEFAULT_WORKERS, replicas=None
):
    """Class probabilities averaged over the crops of each image.

    Args:
        model: a Keras classifier taking (n, height, width, C) crops.
        batches: an iterable of image batches (n, H, W, C), already
            preprocessed (mean-subtracted) but not cropped.
        cropper: a `CropPreprocessor`; the crops of a whole batch of images
            go to the model in one call.
        progress: a progress bar to update once per batch, or None.
        workers: the parts each batch is cut in, on this process's threads
            (default: one per core). Cutting ten float32 crops writes ~6 MB
            per image and is bound by memory bandwidth, which more cores
            share out; OpenCV and NumPy release the GIL while they copy.
        replicas: the devices each batch of crops is split among
            (`pyimagesearch.nn.parallel.replicas`; None: one device).

    Returns (N, classes) averaged probabilities, in the order of the images.
    Raises ValueError if the model returns NaN or infinite values.
    """
    averaged = []
    buffer = None
    for done, images in enumerate(batches, 1):
        shape = (
            len(images),
            10 if cropper.horiz else 5,
            cropper.height,
            cropper.width,
            images.shape[-1],
        )
        if buffer is None or len(buffer) < len(images) or buffer.dtype != images.dtype:
            # one buffer for every batch: a fresh one costs page faults
            buffer = np.empty(shape, images.dtype)
        crops = buffer[: len(images)]
        map_ranges(
            lambda a, b: cropper.preprocess_batch(images[a:b], out=crops[a:b]), len(images), workers
        )
        (count, per_image) = crops.shape[:2]
        preds = predict_batch(model, crops.reshape((-1,) + crops.shape[2:]), replicas)
        averaged.append(preds.reshape(count, per_image, -1).mean(axis=1))
        if progress is not None:
            progress.update(done)
    return check_finite(np.concatenate(averaged))


def check_finite(preds: np.ndarray) -> np.ndarray:
    """`preds`, or ValueError if the model returned NaN or infinite values."""
    if not np.all(np.isfinite(preds)):
        raise ValueError("the model returned NaN or infinite probabilities")
    return preds


class TenCropPredictor:
    """Class probabilities of stored images (not yet cropped or
    mean-subtracted), averaged over each image's ten crops: those of
    `CropPreprocessor` (the four corners and the centre, then the same five
    of the mirrored image). The one ten-crop path of the evaluation and of
    the submission.

    Args:
        model: a Keras classifier of (n, height, width, 3) crops.
        means: the training split's `MeanPreprocessor`.
        imageShape: (H, W, 3), the shape of the images `predict` is given.
        cropPath: where the crops are cut (`crop_path`): "graph" inside one
            compiled model with the mean (`ten_crop_model`: on the
            accelerator when there is one; only the stored images leave
            the host); "cpu" by `CropPreprocessor` on this machine's
            threads (`predict_ten_crops`), after the mean; "auto" the graph
            when an accelerator is visible.
        replicas: the devices each batch of crops is split among (None:
            one device).
    """

    def __init__(self, model, means, imageShape, cropPath="auto", replicas=None) -> None:
        from pyimagesearch.preprocessing import CropPreprocessor
        from pyimagesearch.preprocessing.tencrop import ten_crop_model

        self.model = model
        self.means = means
        self.cropPath = crop_path(cropPath)
        self.replicas = replicas
        if self.cropPath == "graph":
            self.tenCrops = ten_crop_model(model, means, imageShape)
        else:
            (height, width) = (int(model.input_shape[1]), int(model.input_shape[2]))
            self.cropper = CropPreprocessor(width, height)

    def predict(self, images: np.ndarray) -> np.ndarray:
        """(n, H, W, 3) images -> (n, classes) probabilities; ValueError
        if the model returns NaN or infinite values."""
        if self.cropPath == "graph":
            return check_finite(predict_batch(self.tenCrops, images, self.replicas))
        centred = self.means.preprocess_batch(images)
        return predict_ten_crops(self.model, [centred], self.cropper, replicas=self.replicas)


CROP_PATHS = ("auto", "graph", "cpu")


def crop_path(cropPath: str) -> str:
    """Where the crops are cut for `cropPath`, "graph" or "cpu": "auto" is "graph" when an
    accelerator is visible, else "cpu" -- the faster on each (see docs/gpu.md)."""
    if cropPath not in CROP_PATHS:
        raise ArgumentError("cropPath", f"{cropPath!r} is not one of {', '.join(CROP_PATHS)}")
    if cropPath != "auto":
        return cropPath
    from pyimagesearch.nn.parallel.devices import accelerators

    return "graph" if accelerators() else "cpu"


def crop_accuracy(
    testPath: str | os.PathLike,
    meanPath: str | os.PathLike,
    modelPath: str | os.PathLike,
    batchSize: int = 64,
    cropPath: str = "auto",
    distribute: str = "auto",
    progress: Callable[[int], Any] | None = None,
    outputPath: str | os.PathLike | None = None,
    overwrite: bool = False,
    predictionsPath: str | os.PathLike | None = None,
) -> dict:
    """The figures of `rank1_predictions`, also written to the JSON file
    `outputPath` when it is given, and each test row's probabilities to
    `predictionsPath`: an existing one only with `overwrite`, never one of
    the inputs, never anything but a regular file; checked before any
    evaluation."""
    from pyimagesearch.utils.files import check_distinct, refuse_existing, write_json
    from pyimagesearch.utils.locks import output_lock

    inputs = [("testPath", testPath), ("meanPath", meanPath), ("modelPath", modelPath)]
    outputs = [("outputPath", outputPath), ("predictionsPath", predictionsPath)]
    check_distinct(outputs, inputs)
    with output_lock(outputPath, predictionsPath):
        refuse_existing([outputPath, predictionsPath], overwrite)
        (figures, rows) = rank1_predictions(
            testPath, meanPath, modelPath, batchSize, cropPath, distribute, progress
        )
        if predictionsPath is not None:
            write_json(predictionsPath, rows)
        if outputPath is not None:
            write_json(outputPath, figures)
    return figures


def rank1_predictions(
    testPath: str | os.PathLike,
    meanPath: str | os.PathLike,
    modelPath: str | os.PathLike,
    batchSize: int = 64,
    cropPath: str = "auto",
    distribute: str = "auto",
    progress: Callable[[int], Any] | None = None,
) -> tuple[dict, dict]:
    """Rank-1 accuracy of the .keras model at `modelPath` on the HDF5 test
    split, on images resized to the model's input and with 10 crops.

    Args:
        cropPath: "graph" cuts the crops and subtracts the mean inside one
            compiled model (`ten_crop_model`: on the accelerator when there
            is one; only uint8 images leave the host); "cpu" cuts them with
            `CropPreprocessor` on this machine's threads; "auto" picks the
            graph when an accelerator is visible.
        distribute: the devices the batches are split among
            (`pyimagesearch.nn.parallel.replicas.choose_replicas`);
            `batchSize` images go to each device.
        progress: a callable(total) returning a progress bar, or None.

    Returns (figures, rows): figures {"images", "rank1", "rank1_10_crops",
    "log_loss", "log_loss_10_crops", "submission_clip", "confusion",
    "confusion_10_crops", "crop_path", "model", "test"}, where confusion[i][j]
    counts the test photos of class i predicted as class j, the log losses
    are Kaggle's metric (`held_out_log_loss`) on the probabilities in
    `rows`, and "submission_clip" is `best_clip` of the 10-crop ones; rows {"labels",
    "probabilities", "probabilities_10_crops", "image_names"}, one entry
    per row of the test split, in its order.
    """
    from pyimagesearch.io.hdf5datasetgenerator import HDF5DatasetGenerator
    from pyimagesearch.io.split import Split
    from pyimagesearch.nn.modelfiles import check_image_classifier, load_label_names, load_model
    from pyimagesearch.preprocessing import MeanPreprocessor, SimplePreprocessor
    from pyimagesearch.utils.ranked import rank5_accuracy

    means = MeanPreprocessor.from_json(meanPath)
    cropPath = crop_path(cropPath)
    replicas = choose_replicas(distribute)
    test = Split(testPath)
    with replicas.scope():
        model = load_model(modelPath)
        check_image_classifier(model, modelPath, load_label_names(modelPath))
        (height, width) = (int(model.input_shape[1]), int(model.input_shape[2]))
        test.check_image_size(max(height, width))
        # per device: only the last batch is padded, at its end, so the
        # outputs of the file's rows come first
        batchSize = replicas.process_batch(batchSize)
        split = dict(classes=int(model.output_shape[-1]), padTo=replicas.localDevices)
        resized = HDF5DatasetGenerator(
            test, batchSize, [SimplePreprocessor(width, height), means], **split
        )
        whole = HDF5DatasetGenerator(test, batchSize, **split)
        predictor = TenCropPredictor(model, means, test.shape, cropPath, replicas)
        with resized, whole:
            probabilities = check_finite(model.predict(resized, verbose=0)[: test.count])
            bar = progress(len(whole)) if progress else None
            preds = []
            for index in range(len(whole)):
                preds.append(predictor.predict(whole[index][0]))
                if bar:
                    bar.update(index + 1)
            if bar:
                bar.finish()
            preds = np.concatenate(preds)[: test.count]
    labels = np.asarray(test.labels)
    (rank1, _) = rank5_accuracy(probabilities, labels)
    (rank1Crops, _) = rank5_accuracy(preds, labels)
    names = test.imageNames
    figures = {
        "images": test.count,
        "rank1": rank1,
        "rank1_10_crops": rank1Crops,
        "log_loss": held_out_log_loss(labels, probabilities),
        "log_loss_10_crops": held_out_log_loss(labels, preds),
        "submission_clip": best_clip(labels, preds),
        "confusion": confusion_matrix(labels, probabilities),
        "confusion_10_crops": confusion_matrix(labels, preds),
        "crop_path": cropPath,
        "model": str(modelPath),
        "test": str(testPath),
    }
    rows = {
        "labels": labels.tolist(),
        "probabilities": probabilities.tolist(),
        "probabilities_10_crops": preds.tolist(),
        "image_names": names,
    }
    return figures, rows


# The clips `best_clip` tries: a probability p is written as
# min(max(p, clip), 1 - clip).
CLIPS = (0.001, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.3, 0.4)


def best_clip(labels, probabilities) -> dict:
    """The clip of the probabilities that minimises the held-out log loss of
    `labels` (N,) under `probabilities` (N, 2): {"clip": None (none helps)
    or one of CLIPS, "log_loss": the log loss with it}. Clipping trades a
    little on every right answer for a cap on the cost of a confident
    mistake; only the held-out rows can say whether that pays."""
    probabilities = np.asarray(probabilities, dtype=np.float64)
    best = {"clip": None, "log_loss": held_out_log_loss(labels, probabilities)}
    for clip in CLIPS:
        score = held_out_log_loss(labels, np.clip(probabilities, clip, 1 - clip))
        if score < best["log_loss"]:
            best = {"clip": clip, "log_loss": score}
    return best


def held_out_log_loss(labels, probabilities) -> float:
    """Kaggle's metric: scikit-learn's `log_loss` of the true `labels`
    (N,) under `probabilities` (N, classes), column k being class k.

    Computed in float64, as the probabilities are once written to JSON: in
    float32, scikit-learn would clip at float32's epsilon and report a
    confident mistake as cheaper than the written file makes it."""
    import warnings

    from sklearn.metrics import log_loss

    probabilities = np.asarray(probabilities, dtype=np.float64)
    classes = list(range(probabilities.shape[1]))
    with warnings.catch_warnings():
        # a float32 softmax's rows sum to 1 within ~1e-7, not float64's 1e-8;
        # scikit-learn warns, and scores each row's true-class column as is
        warnings.filterwarnings("ignore", "The y_prob values do not sum to one")
        return float(log_loss(np.asarray(labels), probabilities, labels=classes))


def confusion_matrix(labels: np.ndarray, probabilities: np.ndarray) -> list[list[int]]:
    """counts[i][j]: the rows of class i (`labels`) whose highest
    probability is class j: scikit-learn's `confusion_matrix` over every
    class, seen or not. ValueError for a label that is no class (a record's
    labels): scikit-learn would leave its row out of the counts."""
    from sklearn.metrics import confusion_matrix as counted

    labels = np.asarray(labels)
    classes = probabilities.shape[1]
    if labels.size == 0:  # scikit-learn refuses no rows; none counted is zeros
        return [[0] * classes for _ in range(classes)]
    if labels.min() < 0 or labels.max() >= classes:
        raise ValueError(
            f"labels run from {labels.min()} to {labels.max()}: {classes} classes are "
            f"numbered 0 to {classes - 1}"
        )
    return counted(labels, probabilities.argmax(axis=1), labels=np.arange(classes)).tolist()
