"""A Kaggle submission: for each test photo N.jpg, the probability of one
class (Kaggle's Dogs vs Cats asks for "dog"), from a trained AlexNet with
10 crops or from CNN features and the logistic regression."""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from typing import Any, NamedTuple

import numpy as np

from pyimagesearch.errors import ArgumentError
from pyimagesearch.io.imagedecoder import MAX_PIXELS, usable_batches
from pyimagesearch.io.imagefiles import list_image_files
from pyimagesearch.pipeline.evaluation import check_finite
from pyimagesearch.utils.checks import check_image_size
from pyimagesearch.utils.files import atomic_path, displayable, refuse_existing
from pyimagesearch.utils.locks import output_lock
from pyimagesearch.utils.parallel import DEFAULT_WORKERS

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


def alexnet_predictor(modelPath, meanPath, size, positive="dog", cropPath="auto"):
    """(preprocessor for each photo, batch -> P(positive)) from a trained
    AlexNet and its training mean, averaged over 10 crops of each photo
    resized to `size` x `size` as by the build; the crops are cut (`cropPath`) in
    the compiled model ("graph") or on CPU threads ("cpu"), by the evaluation's
    `TenCropPredictor`."""
    from pyimagesearch.nn.modelfiles import check_image_classifier, load_label_names, load_model
    from pyimagesearch.pipeline.evaluation import TenCropPredictor
    from pyimagesearch.preprocessing import AspectAwarePreprocessor, MeanPreprocessor

    check_image_size("size", size)
    means = MeanPreprocessor.from_json(meanPath)
    model = load_model(modelPath)
    labelNames = load_label_names(modelPath)
    check_image_classifier(model, modelPath, labelNames)
    column = column_of(labelNames, positive, modelPath)
    (height, width) = (int(model.input_shape[1]), int(model.input_shape[2]))
    if size < max(height, width):
        raise ArgumentError("size", f"{size} is smaller than the model's input {height}x{width}")
    tenCrops = TenCropPredictor(model, means, (size, size, 3), cropPath)

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
# Kaggle's header, the only one written: a template's own is never copied
# (a spreadsheet would run a formula placed there).
HEADER = "id,label"
# Kaggle's template asks for 12,500 ids; ten times as many is no test set
# of this competition, and would be written as 0.5s.
MAX_TEMPLATE_ROWS = 125_000
# Ids are ASCII digits (as photo names' are), few enough to be an integer
# of 64 bits: "\u0663" is no id, nor are 5,000 digits.
TEMPLATE_ROW = re.compile(r"([0-9]{1,18}),[^,]*")


def submission_template(images) -> list[int] | None:
    """The ids of the sampleSubmission.csv at the top of the zip `images`
    (Kaggle's bundle), in its order, or None where there is none. The file
    is checked here, in one place: UTF-8 (a byte-order mark allowed), the
    header id,label, then at most MAX_TEMPLATE_ROWS rows of an id and a
    label, no id twice; anything else is a ValueError naming it."""
    from pyimagesearch.io.imagefiles import is_archive
    from pyimagesearch.io.ziparchives import open_zip

    if not is_archive(images):
        return None
    with open_zip(images) as archive:
        if TEMPLATE not in archive.NameToInfo:
            return None
        if archive.getinfo(TEMPLATE).file_size > 16 * 2**20:
            raise ValueError(f"{images}: its {TEMPLATE} is over 16 MB, not Kaggle's")
        data = archive.read(TEMPLATE)
    where = f"{images}: its {TEMPLATE}"
    try:
        lines = data.decode("utf-8-sig").splitlines()
    except UnicodeDecodeError:
        raise ValueError(f"{where} is not UTF-8 text") from None
    if not lines or lines[0].strip() != HEADER:
        first = lines[0][:40] if lines else ""
        raise ValueError(f"{where} begins {first!r}, not Kaggle's header {HEADER!r}")
    rows = [(number, line.strip()) for number, line in enumerate(lines[1:], 2) if line.strip()]
    if len(rows) > MAX_TEMPLATE_ROWS:
        raise ValueError(
            f"{where} has {len(rows)} rows, more than {MAX_TEMPLATE_ROWS} (Kaggle's has 12500)"
        )
    ids = []
    for number, line in rows:
        match = TEMPLATE_ROW.fullmatch(line)
        if not match:
            raise ValueError(
                f"{where}: line {number} is {line[:40]!r}; expected id,label with an id of "
                "1 to 18 ASCII digits"
            )
        ids.append(int(match.group(1)))
    if len(set(ids)) != len(ids):
        raise ValueError(f"{where} repeats an id")
    return ids


class SubmissionRows(NamedTuple):
    """What a submission of `images` holds: `files`, the test photos to
    predict, in id order; `ids`, the rows to write, in order; `leftOut`,
    test photos whose id the template lacks; `missing`, ids without a
    photo (written as UNKNOWN); `skipped`, files that are not test photos
    (each of the lists of files as {"file", "reason"})."""

    files: list
    ids: list[int]
    leftOut: list[dict]
    missing: list[int]
    skipped: list[dict]


def submission_rows(images: str | os.PathLike, listed=None) -> SubmissionRows:
    """The rows of a submission of the test photos in `images` (a folder
    or .zip): one per photo named N.<ext>, in id order, or, when `images`
    is Kaggle's bundle holding sampleSubmission.csv, its ids in its order.
    `listed`: `list_image_files(images)`, where the caller listed them
    already. Raises ValueError, naming `images`, when nothing would be
    predicted (no test photo, or none the template asks for) or two photos
    share an id. Cheap (no photo is read): run it before anything long."""
    files, skipped = listed or list_image_files(images)
    skipped = list(skipped)
    template = submission_template(images)
    skipped += [
        {"file": f.name, "reason": "no id in the name (expected N.jpg)"}
        for f in files
        # Kaggle's bundle holds the training photos too: not test photos
        if f.test_id is None and not (template is not None and f.label)
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
    ids = [f.test_id for f in files] if template is None else template
    wanted = set(ids)
    leftOut = [_not_asked(f) for f in files if f.test_id not in wanted]
    files = [f for f in files if f.test_id in wanted]
    if not files:
        raise ValueError(
            f"{images}: none of the {len(ids)} ids of its {TEMPLATE} is a test photo's "
            f"(of {len(leftOut)}, such as {displayable(leftOut[0]['file'])}): nothing to predict"
        )
    found = {f.test_id for f in files}
    return SubmissionRows(files, ids, leftOut, [i for i in ids if i not in found], skipped)


def _not_asked(image_file) -> dict:
    return {"file": image_file.name, "reason": f"its id is not in {TEMPLATE}"}


def write_submission(
    images: str | os.PathLike,
    outputPath: str | os.PathLike,
    predictor: tuple[Any, Callable[[np.ndarray], np.ndarray]],
    batchSize: int = 64,
    workers: int = DEFAULT_WORKERS,
    overwrite: bool = False,
    maxPixels: int = MAX_PIXELS,
    progress: Callable[[int], Any] | None = None,
    clip: float | None = None,
) -> dict:
    """Predict every photo named N.<ext> in `images` (a folder or .zip) and
    write `outputPath`: the header "id,label", then a row for each id of
    `submission_rows` (a photo whose id the template lacks is left out; an
    id without a photo gets 0.5).

    Args:
        predictor: (preprocessor, predict) from `alexnet_predictor` or
            `classifier_predictor`.
        clip: each probability p is written as min(max(p, clip), 1 - clip)
            (None: as predicted); `best_clip` of
            `pyimagesearch.pipeline.evaluation` finds the one held-out
            rows favour.
        maxPixels: photos declaring more pixels are not decoded (0.5).
        progress: a callable(total) returning a progress bar, or None.

    Returns {"rows": N, "clip": clip, "unusable": [...], "left_out": [...],
    "missing": [ids], "skipped": [...]}: photos that could not be read
    (written as 0.5), test photos whose id the template lacks, the
    template's ids without a photo (written as 0.5), and files that are
    not test photos; each file as {"file", "reason"}.
    """
    if clip is not None and not 0 <= clip < 0.5:
        raise ArgumentError("clip", f"{clip} is not from 0 to under 0.5")
    with output_lock(outputPath):
        refuse_existing([outputPath], overwrite)
        rows = submission_rows(images)
        (preprocessor, predict) = predictor
        probabilities = {}
        unusable = []
        bar = progress(len(rows.files)) if progress else None
        batches = usable_batches(rows.files, preprocessor, batchSize, workers, unusable, maxPixels)
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

        with atomic_path(outputPath) as temporary:
            with open(temporary, "w") as f:
                f.write(HEADER + "\n")
                for image_id in rows.ids:
                    f.write(f"{image_id},{probabilities.get(image_id, UNKNOWN):.6f}\n")
        return {"rows": len(rows.ids), "clip": clip, "unusable": unusable,
                "left_out": rows.leftOut, "missing": rows.missing,
                "skipped": rows.skipped}  # fmt: skip
