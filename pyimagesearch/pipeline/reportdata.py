"""What the chapter's report shows, read from the files the stages wrote
(each checked by its reader) and the stage record: plain data, which
`pyimagesearch.pipeline.report` renders. Nothing here needs a stage or a
deep-learning backend.

A part whose files cannot be read (an OSError or a ValueError: absent
where required, a link, a record that fails its check) is an `Unreadable`
saying why; a file that no stage finished since it last started lists
among what it wrote reads as absent (`CurrentOutputs`), so that no figure
of an older run is shown as this run's.
"""

from __future__ import annotations

import dataclasses
import os
import platform
import stat
from typing import NamedTuple

import numpy as np

from pyimagesearch.pipeline import records
from pyimagesearch.pipeline.chapterstages import EVERY_STAGE, STAGES, fingerprint
from pyimagesearch.utils.files import unprintable

PHOTOS_SHOWN = 8
THUMBNAIL = 112
# The modules whose versions decide a run's numbers: each is shown under the
# distribution that installed it (tensorflow-cpu, opencv-python-headless, ...).
VERSIONED = ("keras", "tensorflow", "jax", "numpy", "h5py", "cv2", "sklearn")


class Unreadable(NamedTuple):
    """`what` cannot be shown, for `reason`."""

    what: str
    reason: str


class Photo(NamedTuple):
    """One photo shown: its name, its thumbnail (JPEG bytes; None where the
    photo cannot be read), its class, the class said and how confidently."""

    name: str
    jpeg: bytes | None
    truth: str
    said: str
    confidence: float


class PhotoGroup(NamedTuple):
    """A model's most confidently wrong and least confident right photos."""

    title: str
    wrong: list[Photo]
    right: list[Photo]


@dataclasses.dataclass(frozen=True)
class ReportData:
    """Everything the page shows. `figures`: the headline figures (None
    where missing); `build`: the build's record or None; `mean`: the
    training mean or None; `history`: AlexNet's training history or None;
    `finetune`: the fine-tuning's record (finetune.json) or None;
    `submission`: which model made the submission (`Submission`) or None;
    `photos`: a `PhotoGroup`, or a line saying what is not run yet, for
    AlexNet and then the classifier; `stages`: the stage record, checked;
    `everyStage`: the settings every stage is given, as the stages' records
    say (`given_settings`); `versions`: [package, version] of this
    environment. A part that cannot be read is an
    `Unreadable`."""

    train: str
    outputDir: str
    figures: dict | Unreadable
    build: dict | None | Unreadable
    mean: dict | None | Unreadable
    history: dict | None | Unreadable
    finetune: dict | None | Unreadable
    submission: Submission | None | Unreadable
    photos: list[PhotoGroup | str] | Unreadable
    stages: dict
    everyStage: dict[str, list[tuple]]
    versions: list[list[str]]


def read_report(paths, settings, stages: dict) -> ReportData:
    """The report's data, from the outputs under `paths` of the stages of
    the record `stages` and the run's `settings` (a `ChapterSettings`)."""
    stages = records.check_stage_record(stages, paths.record)
    paths = CurrentOutputs(paths, stages)
    build = readable("the build's record", read_build, paths.buildRecord)
    finetune = readable("the fine-tuning", when_there, paths.finetuneRecord,
                        records.read_finetune_record)  # fmt: skip
    figures = readable("the figures", read_figures, paths, build, finetune)
    # the build's class names, so that a photo group is drawn whenever its
    # own files are readable, whatever another stage's figures are
    names = build["label_names"] if isinstance(build, dict) else None
    return ReportData(
        train=settings.train,
        outputDir=paths.outputDir,
        figures=figures,
        build=build,
        mean=readable("the data", when_there, paths.mean, read_mean),
        history=readable("the training", when_there, paths.history, read_history),
        finetune=finetune,
        submission=readable("the submission", read_submission, paths, stages),
        photos=readable("the photos", read_photos, paths, settings.train, names),
        stages=stages,
        everyStage=given_settings(stages),
        versions=package_versions(),
    )


def readable(what: str, read, *args):
    """`read(*args)`, or an `Unreadable` saying why `what` cannot be read:
    only errors of the files (OSError, ValueError) are the page's to show;
    any other is a bug, and keeps its traceback."""
    try:
        return read(*args)
    except (OSError, ValueError) as error:
        return Unreadable(what, " ".join(str(error).split())[:300] or type(error).__name__)


def given_settings(stages: dict) -> dict[str, list[tuple]]:
    """{name: [(value, [stage, ...]), ...]} for each setting of
    `EVERY_STAGE`: the values the stages' records say they were given, each
    with the stages given it, in the stages' order; a record of an earlier
    version, which does not say, counts for none."""
    found = {name: [] for name in EVERY_STAGE}
    for stage in STAGES:
        for name, value in (stages.get(stage) or {}).get("given", {}).items():
            ran = next((names for (v, names) in found[name] if v == value), None)
            if ran is None:
                found[name].append((value, [stage]))
            else:
                ran.append(stage)
    return found


class ChangedOutput(str):
    """The path of an output that is not the file its stage wrote (its
    fingerprint differs from the one recorded): `own_file` refuses it."""

    stage: str


class CurrentOutputs:
    """`paths` as seen by the report, from the stage record alone: a file
    reads as absent (None) unless a stage that finished since it last
    started lists it among the outputs it wrote, so nothing is shown of a
    stage never run, running, failed, or undone by an earlier stage that
    ran again; one that has changed since is a `ChangedOutput`, so that no
    figure of another run is shown as this one's. `outputDir`, the run's
    own folder, is as given."""

    def __init__(self, paths, stages: dict) -> None:
        self._paths = paths
        self.outputDir = paths.outputDir
        self._written = {
            path: (stage, written)
            for stage, entry in stages.items()
            if entry.get("finished") is not None
            for path, written in entry.get("outputs", {}).items()
        }

    def __getattr__(self, name):
        value = getattr(self._paths, name)
        if isinstance(value, dict):
            return {k: self._current(v) for k, v in value.items()}
        return self._current(value) if isinstance(value, str) else value

    def _current(self, path: str) -> str | None:
        if path not in self._written:
            return None
        (stage, written) = self._written[path]
        if written == fingerprint(path):
            return path
        changed = ChangedOutput(path)
        changed.stage = stage
        return changed


def when_there(path, read):
    """`read(path)`, or None when there is no current file at `path`;
    ValueError for a link or a file changed since its stage wrote it."""
    if path is None or not os.path.lexists(path):
        return None
    return read(own_file(path))


def own_file(path: str) -> str:
    """`path`, unless a symbolic link sits there or the file has changed
    since its stage wrote it (a `ChangedOutput`): the report reads what the
    stages wrote, never what a link points at (a file the reader of the
    page may not be allowed to see)."""
    if os.path.islink(path):
        raise ValueError(f"{path} is a symbolic link: refusing to read it")
    if isinstance(path, ChangedOutput):
        # a plain rerun runs that stage again: it sees the file changed
        raise ValueError(f"{path} has changed since the {path.stage} stage wrote it: run the "
                         "chapter again")  # fmt: skip
    return path


def read_build(path):
    from pyimagesearch.io.splitrecord import read_build_record

    return when_there(path, read_build_record)


def read_mean(path):
    from pyimagesearch.preprocessing.datasetmean import read_mean

    return read_mean(path)


def read_history(path):
    from pyimagesearch.callbacks.history import read_history

    return read_history(path)


FIGURES = ("rank1", "rank1_10_crops", "classifier", "log_loss", "log_loss_10_crops",
           "classifier_log_loss", "classifier_rows", "test_rows", "same_photos",
           "classifier_held_out", "finetuned", "finetuned_log_loss", "finetuned_rows",
           "finetuned_held_out", "confusion", "confusion_10_crops", "confusion_classifier",
           "label_names")  # fmt: skip


def read_figures(paths, build, finetune) -> dict:
    """The headline figures, as the stages wrote them (None where missing);
    `build`: the build's record (None, or `Unreadable`: no class names);
    `finetune`: the fine-tuning's record (None, or `Unreadable`: no figures)."""
    crops = when_there(paths.cropAccuracy, records.read_crop_figures) or {}
    classifier = when_there(paths.classifierRecord, records.read_classifier_record) or {}
    predictions = when_there(paths.classifierPredictions, records.read_classifier_predictions)
    cropRows = when_there(paths.cropPredictions, records.read_crop_predictions)
    tuned = finetune if isinstance(finetune, dict) and "skipped" not in finetune else {}
    labelNames = build["label_names"] if isinstance(build, dict) else None
    cropNames = (cropRows or {}).get("image_names")
    classifierNames = (predictions or {}).get("image_names")
    confusion = None
    if predictions is not None:
        from pyimagesearch.pipeline.evaluation import confusion_matrix

        check_classes(predictions["probabilities"], labelNames, paths.classifierPredictions)
        confusion = confusion_matrix(
            np.asarray(predictions["labels"]), np.asarray(predictions["probabilities"])
        )
    if crops:
        check_classes(crops["confusion"], labelNames, paths.cropAccuracy)
    scored = [cropNames, classifierNames]
    if tuned:
        scored.append(finetuned_names(paths, tuned))
    return {
        "rank1": crops.get("rank1"),
        "rank1_10_crops": crops.get("rank1_10_crops"),
        "classifier": classifier.get("score"),
        "log_loss": crops.get("log_loss"),
        "log_loss_10_crops": crops.get("log_loss_10_crops"),
        "classifier_log_loss": classifier.get("log_loss"),
        "classifier_rows": classifier.get("test_rows"),
        "test_rows": crops.get("images"),
        # whether AlexNet, the classifier (and the fine-tuned model) scored
        # the same photos, by name
        "same_photos": None
        if None in scored
        else all(sorted(names) == sorted(cropNames) for names in scored),
        "classifier_held_out": classifier.get("held_out"),
        "finetuned": tuned.get("score"),
        "finetuned_log_loss": tuned.get("log_loss"),
        "finetuned_rows": tuned.get("test_rows"),
        "finetuned_held_out": tuned.get("held_out"),
        "confusion": crops.get("confusion"),
        "confusion_10_crops": crops.get("confusion_10_crops"),
        "confusion_classifier": confusion,
        "label_names": labelNames,
    }


def finetuned_names(paths, finetune: dict) -> list[str] | None:
    """The test photos the fine-tuned model scored, as its predictions name
    them (None where they are not there), as many as its record counts."""
    predictions = when_there(paths.finetunePredictions, records.read_finetune_predictions)
    if predictions is None:
        return None
    names = predictions["test"]["image_names"]
    if len(names) != finetune["test_rows"]:
        raise ValueError(f"{paths.finetunePredictions} scores {len(names)} test photos; "
                         f"{paths.finetuneRecord} counts {finetune['test_rows']}: fine-tune "
                         "again")  # fmt: skip
    return names


class Submission(NamedTuple):
    """What made submission.csv: `predictedBy` (a value of `PREDICTED_BY`,
    or None where an earlier version did not record it), the deployable
    model's file name beside the report, its size in bytes (None where it
    is not there), and whether it is the file the stage wrote (unchanged
    since)."""

    predictedBy: str | None
    model: str
    bytes: int | None
    asWritten: bool


def read_submission(paths, stages: dict) -> Submission | None:
    """Which model made the submission and the model file, as the finished
    submission stage recorded them; None where it has not finished."""
    model = paths.deployModel  # None unless the finished submission stage wrote it
    if model is None:
        return None
    unchanged = not isinstance(model, ChangedOutput)  # the file the stage wrote
    size = None
    if os.path.lexists(model):
        # its size, changed or not: the page says which (str: the link check alone)
        info = os.lstat(own_file(str(model)))
        if not stat.S_ISREG(info.st_mode):
            raise ValueError(f"{model} is not a regular file")
        size = info.st_size
    return Submission(
        (stages["submission"].get("details") or {}).get("predicted_by"),
        os.path.relpath(model, paths.outputDir),
        size,
        unchanged,
    )


def check_classes(table: list, labelNames: list[str] | None, path) -> None:
    """Raise ValueError unless the rows of `table` (read from `path`) have a
    column per class the build names: a record of another build."""
    if labelNames is not None and table and len(table[0]) != len(labelNames):
        raise ValueError(
            f"{path} has {len(table[0])} classes; the build names {len(labelNames)}: "
            "run its stage again"
        )


def read_photos(paths, train: str, names: list[str] | None) -> list[PhotoGroup | str]:
    """AlexNet's and the classifier's photos (`PhotoGroup`), each or a
    line saying it is not run yet. `train`: the training photos, where the
    classifier's are found by name."""
    from pyimagesearch.io.split import Split

    groups = []
    crops = when_there(paths.cropPredictions, records.read_crop_predictions)
    if crops is None or names is None or paths.split["test"] is None:
        groups.append("AlexNet's test photos")
    else:
        check_classes(crops["probabilities_10_crops"], names, paths.cropPredictions)
        test = Split(own_file(paths.split["test"]))
        files = test.imageNames
        if crops.get("image_names", files) != files:
            # the rows are joined by index: predictions of another build
            # would put one photo's figures under another's picture
            raise ValueError(
                f"{paths.cropPredictions} names other photos than {paths.split['test']}: "
                "evaluate the model on this build again"
            )
        with test.open() as db:
            images = test.rows(db)
            groups.append(photo_group(
                "AlexNet (10 crops) on the test split", crops["labels"],
                crops["probabilities_10_crops"], names,
                lambda row: (images[row], files[row] if files else f"row {row}"),
            ))  # fmt: skip
    predictions = when_there(paths.classifierPredictions, records.read_classifier_predictions)
    if predictions is None or names is None or not predictions.get("image_names"):
        groups.append("the logistic regression's held-out photos")
    else:
        # the photos are found by the names the classifier scored, in the
        # training photos: no row of features.hdf5 is joined
        files = predictions["image_names"]
        photos = training_photos(train)
        groups.append(photo_group(
            "Logistic regression on its held-out features", predictions["labels"],
            predictions["probabilities"], names,
            lambda i: (photo(photos, files[i]), files[i]),
        ))  # fmt: skip
    return groups


def photo_group(title, labels, probabilities, names, image_of) -> PhotoGroup:
    """The most confidently wrong and the least confident right photos;
    `image_of(row)`: (its image or None, its name)."""
    labels = np.asarray(labels, dtype=int)
    probabilities = np.asarray(probabilities).reshape(len(labels), -1)
    predicted = probabilities.argmax(axis=1)
    confidence = probabilities.max(axis=1)
    wrong = np.flatnonzero(predicted != labels)
    right = np.flatnonzero(predicted == labels)
    wrong = wrong[np.argsort(-confidence[wrong], kind="stable")][:PHOTOS_SHOWN]
    right = right[np.argsort(confidence[right], kind="stable")][:PHOTOS_SHOWN]

    def shown(row):
        (image, name) = image_of(int(row))
        return Photo(name, thumbnail(image), names[labels[row]], names[predicted[row]],
                     float(confidence[row]))  # fmt: skip

    return PhotoGroup(title, [shown(i) for i in wrong], [shown(i) for i in right])


def training_photos(source: str):
    """The photo source of `source` (a folder or .zip), opened once for
    every photo the page shows, or None where it cannot be opened."""
    from pyimagesearch.io.imagedecoder import READ_ERRORS
    from pyimagesearch.io.imagefiles import photo_source

    try:
        return photo_source(source)
    except READ_ERRORS + (ValueError,):
        return None


def photo(photos, name: str) -> np.ndarray | None:
    """The photo of `photos` (`training_photos`) that a record names `name`
    (`printable`), as BGR, or None if unreadable."""
    from pyimagesearch.io.imagedecoder import READ_ERRORS, decode_image

    if photos is None:
        return None
    try:
        data = photos.read(unprintable(name))
    except READ_ERRORS + (ValueError,):
        return None
    image = decode_image(data)
    return None if isinstance(image, str) else image


def thumbnail(image) -> bytes | None:
    """`image` (BGR) at most THUMBNAIL pixels a side, as JPEG; None for None."""
    import cv2

    if image is None:
        return None
    image = np.asarray(image)
    scale = THUMBNAIL / max(image.shape[:2])
    size = (max(1, round(image.shape[1] * scale)), max(1, round(image.shape[0] * scale)))
    small = cv2.resize(image, size, interpolation=cv2.INTER_AREA)
    return cv2.imencode(".jpg", small)[1].tobytes()


def package_versions() -> list[list[str]]:
    """[name, version] of Python, then of each distribution installed here
    that provides one of VERSIONED, in VERSIONED's order."""
    from importlib import metadata

    providers = metadata.packages_distributions()
    versions = [["python", platform.python_version()]]
    for module in VERSIONED:
        for distribution in providers.get(module, []):
            found = metadata.metadata(distribution)
            versions.append([found["Name"], found["Version"]])
    return versions
