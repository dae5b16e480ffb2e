"""A Kaggle submission: for each test photo N.jpg, the probability of one
class (Kaggle's Dogs vs Cats asks for "dog"), from a trained AlexNet with
10 crops or from CNN features and the logistic regression."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

import numpy as np

from pyimagesearch.errors import ArgumentError
from pyimagesearch.io.imagefiles import MAX_PIXELS, list_image_files, usable_batches
from pyimagesearch.pipeline.evaluation import check_finite
from pyimagesearch.utils.files import atomic_path, refuse_existing
from pyimagesearch.utils.locks import output_lock

# Unusable photos still get a row, so the submission stays complete: 0.5
# says "no idea" and costs the least log loss.
UNKNOWN = 0.5


def column_of(labelNames: list[str] | None, positive: str, source: str) -> int:
    """The output column of class `positive`, by the class names saved with
    the model or classifier."""
    if not labelNames or positive not in labelNames:
        raise ValueError(
            f"{source} names its classes {labelNames}, without {positive!r}: "
            "retrain it with this version, which saves the class names"
        )
    return list(labelNames).index(positive)


def alexnet_predictor(modelPath, meanPath, size, positive="dog", crops="auto"):
    """(preprocessor for each photo, batch -> P(positive)) from a trained
    AlexNet and its training mean, averaged over 10 crops of each photo
    resized to `size` x `size` as by the build; the crops are cut in the
    compiled model ("graph") or on CPU threads ("cpu"), by the evaluation's
    `TenCropPredictor`."""
    from pyimagesearch.nn.modelfiles import check_image_classifier, load_label_names, load_model
    from pyimagesearch.pipeline.evaluation import TenCropPredictor
    from pyimagesearch.preprocessing import AspectAwarePreprocessor, MeanPreprocessor

    means = MeanPreprocessor.from_json(meanPath)
    model = load_model(modelPath)
    labelNames = load_label_names(modelPath)
    check_image_classifier(model, modelPath, labelNames)
    column = column_of(labelNames, positive, modelPath)
    (height, width) = (int(model.input_shape[1]), int(model.input_shape[2]))
    if size < max(height, width):
        raise ArgumentError("size", f"{size} is smaller than the model's input {height}x{width}")
    tenCrops = TenCropPredictor(model, means, (size, size, 3), crops)

    def predict(images):
        return tenCrops.predict(images)[:, column]

    return AspectAwarePreprocessor(size, size), predict


def classifier_predictor(classifierPath, extractor, positive="dog"):
    """(preprocessor for each photo, batch -> P(positive)) from a
    `FeatureExtractor` and the logistic regression fitted on its features."""
    from pyimagesearch.pipeline.classifier import load_logistic_regression

    classifier, labelNames = load_logistic_regression(classifierPath)
    if extractor.dim != classifier.n_features_in_:
        raise ArgumentError(
            "backbone",
            f"{classifierPath} takes {classifier.n_features_in_} "
            f"features but {extractor.name} gives {extractor.dim}",
        )
    column = list(classifier.classes_).index(column_of(labelNames, positive, classifierPath))

    def predict(images):
        return classifier.predict_proba(extractor.extract(images))[:, column]

    return extractor.resizer, predict


TEMPLATE = "sampleSubmission.csv"


def submission_template(images) -> tuple[str, list[int]] | None:
    """(header, ids) of the sampleSubmission.csv at the top of the zip
    `images` (Kaggle's bundle), or None where there is none."""
    from pyimagesearch.io.imagefiles import is_archive, open_zip

    if not is_archive(images):
        return None
    with open_zip(images) as archive:
        if TEMPLATE not in archive.NameToInfo:
            return None
        if archive.getinfo(TEMPLATE).file_size > 16 * 2**20:
            raise ValueError(f"{images}: its {TEMPLATE} is over 16 MB, not Kaggle's")
        lines = archive.read(TEMPLATE).decode("utf-8", "replace").splitlines()
    rows = [line.split(",") for line in lines[1:] if line.strip()]
    if (
        not lines
        or len(lines[0].split(",")) != 2
        or not all(len(row) == 2 and row[0].strip().isdecimal() for row in rows)
    ):
        raise ValueError(f"{images}: its {TEMPLATE} is not a header and rows of id,label")
    ids = [int(row[0]) for row in rows]
    if len(set(ids)) != len(ids):
        raise ValueError(f"{images}: its {TEMPLATE} repeats an id")
    return lines[0].strip(), ids


def _not_asked(image_file) -> dict:
    return {"file": image_file.name, "reason": f"its id is not in {TEMPLATE}"}


def write_submission(
    images: str | os.PathLike,
    outputPath: str | os.PathLike,
    predictor: tuple[Any, Callable[[np.ndarray], np.ndarray]],
    batchSize: int = 64,
    workers: int = 1,
    overwrite: bool = False,
    maxPixels: int = MAX_PIXELS,
    progress: Callable[[int], Any] | None = None,
    clip: float | None = None,
) -> dict:
    """Predict every photo named N.<ext> in `images` (a folder or .zip) and
    write `outputPath`: the header "id,label", then one row per id, in id
    order -- or, when `images` is Kaggle's bundle holding
    sampleSubmission.csv, its header and its ids in its order (a photo
    whose id it lacks is left out; an id without a photo gets 0.5).

    Args:
        predictor: (preprocessor, predict) from `alexnet_predictor` or
            `classifier_predictor`.
        clip: each probability p is written as min(max(p, clip), 1 - clip)
            (None: as predicted); `best_clip` of
            `pyimagesearch.pipeline.evaluation` finds the one held-out
            rows favour.
        maxPixels: photos declaring more pixels are not decoded (0.5).
        progress: a callable(total) returning a progress bar, or None.

    Returns {"rows": N, "clip": clip, "unusable": [...], "skipped": [...]}:
    photos that could not be read (written as 0.5) and files that are not
    photos with an id (left out), each {"file", "reason"}.
    """
    if clip is not None and not 0 <= clip < 0.5:
        raise ArgumentError("clip", f"{clip} is not from 0 to under 0.5")
    with output_lock(outputPath):
        refuse_existing([outputPath], overwrite)
        files, skipped = list_image_files(images)
        template = submission_template(images)
        skipped += [
            {"file": f.name, "reason": "no id in the name (expected N.jpg)"}
            for f in files
            # Kaggle's bundle holds the training photos too: not test photos
            if f.test_id is None and not (template and f.label)
        ]
        files = sorted((f for f in files if f.test_id is not None), key=lambda f: f.test_id)
        if not files:
            raise ValueError(
                f"{images} holds no photos named N.<ext> (like Kaggle's 1.jpg): nothing to "
                "predict; training photos (cat.N.jpg) are not test photos"
            )
        for first, second in zip(files, files[1:]):
            if first.test_id == second.test_id:
                raise ValueError(
                    f"{images} holds {first.name} and {second.name}, both id {first.test_id}: "
                    "a submission has one row per id"
                )
        (header, ids) = template or ("id,label", [f.test_id for f in files])
        wanted = set(ids)
        skipped += [_not_asked(f) for f in files if f.test_id not in wanted]
        files = [f for f in files if f.test_id in wanted]

        (preprocessor, predict) = predictor
        probabilities = {}
        unusable = []
        bar = progress(len(files)) if progress else None
        batches = usable_batches(files, preprocessor, batchSize, workers, unusable, maxPixels)
        for usable, done in batches:
            if usable:
                scores = check_finite(predict(np.stack([image for _, image in usable])))
                if clip is not None:
                    scores = np.clip(scores, clip, 1 - clip)
                probabilities.update({f.test_id: float(p) for (f, _), p in zip(usable, scores)})
            if bar:
                bar.update(done)
        if bar:
            bar.finish()

        found = {f.test_id for f in files}
        unusable += [{"file": f"id {i}", "reason": "no photo with this id"}
                     for i in ids if i not in found]  # fmt: skip
        with atomic_path(outputPath) as temporary:
            with open(temporary, "w") as f:
                f.write(header + "\n")
                for image_id in ids:
                    f.write(f"{image_id},{probabilities.get(image_id, UNKNOWN):.6f}\n")
        return {"rows": len(ids), "clip": clip, "unusable": unusable, "skipped": skipped}
