"""The records the chapter's stages write and read back, each checked here,
in one place: its fields' types and bounds, and the invariants between
them. A record that fails is refused with ValueError in one line naming
the file, the field and what it holds.

Records of earlier versions lack the fields added since: only the fields
every version wrote and a reader needs are required; any other, where
present, is checked as strictly. The records of other packages are
checked beside the code that writes them: the build's
(`pyimagesearch.io.splitrecord.read_build_record`), the mean
(`pyimagesearch.preprocessing.datasetmean.read_mean`), the training
history (`pyimagesearch.callbacks.history.read_history`), the classifier
(`pyimagesearch.pipeline.classifier.read_classifier`).

This module loads no deep-learning backend: the report reads through it.
"""

from __future__ import annotations

import math
import os

import numpy as np

from pyimagesearch.pipeline.chapterstages import FINE_TUNE_TRAININGS, PREDICTED_BY, STAGES
from pyimagesearch.utils.checks import count_problem
from pyimagesearch.utils.files import read_json

# A probability row sums to 1 within this: float32 softmax outputs, each
# averaged over ten crops, and written as float64.
SUM_TOLERANCE = 1e-4


def shown(value) -> str:
    return repr(value)[:40]


def is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def is_count(value) -> bool:
    return type(value) is int and value >= 0


def fraction(value) -> str | None:
    if not (is_number(value) and 0 <= value <= 1):
        return f"{shown(value)} is not a fraction from 0 to 1"
    return None


def positive_number(value) -> str | None:
    if not (is_number(value) and value > 0):
        return f"{shown(value)} is not a positive number"
    return None


def loss(value) -> str | None:
    if not (is_number(value) and value >= 0):
        return f"{shown(value)} is not a log loss (a finite number, 0 or more)"
    return None


def count(value) -> str | None:
    return None if is_count(value) else f"{shown(value)} is not a count"


def text(value) -> str | None:
    return None if isinstance(value, str) else f"{shown(value)} is not text"


def an_object(value) -> str | None:
    return None if isinstance(value, dict) else f"{shown(value)} is not an object"


def clip_record(value) -> str | None:
    """`best_clip`'s {"clip": None or a clip under 0.5, "log_loss": ...}."""
    if not isinstance(value, dict) or "clip" not in value:
        return f"{shown(value)} is not an object with a clip"
    clip = value["clip"]
    if clip is not None and not (is_number(clip) and 0 < clip < 0.5):
        return f"clip {shown(clip)} is not null nor a number between 0 and 0.5"
    if "log_loss" in value and loss(value["log_loss"]):
        return "log_loss " + loss(value["log_loss"])
    return None


def confusion(value) -> str | None:
    """counts[i][j] of two or more classes."""
    square = (
        isinstance(value, list)
        and len(value) >= 2
        and all(isinstance(row, list) and len(row) == len(value) for row in value)
    )
    if not square or not all(is_count(c) for row in value for c in row):
        return f"{shown(value)} is not a square table of counts of two or more classes"
    return None


def labels(value) -> str | None:
    if not isinstance(value, list) or not all(is_count(label) for label in value):
        return f"{shown(value)} is not a list of class numbers"
    return None


def probabilities(value) -> str | None:
    """Rows of two or more class probabilities, each summing to 1."""
    try:
        array = np.array(value, dtype=np.float64)
    except (TypeError, ValueError):
        return f"{shown(value)} is not rows of numbers"
    if value == []:
        return None
    if array.ndim != 2 or array.shape[1] < 2:
        return f"has shape {array.shape}, not (rows, classes) with 2 or more classes"
    if not np.all((array >= 0) & (array <= 1)):  # NaN fails too
        return "holds a value that is not a probability from 0 to 1"
    sums = array.sum(axis=1)
    wrong = np.flatnonzero(np.abs(sums - 1) > SUM_TOLERANCE)
    if len(wrong):
        return f"row {wrong[0]} sums to {sums[wrong[0]]:.6g}, not 1"
    return None


def names(value) -> str | None:
    """Photo names, each once (rows are joined to photos by name)."""
    if not isinstance(value, list) or not all(isinstance(name, str) for name in value):
        return f"{shown(value)} is not a list of photo names"
    if len(set(value)) != len(value):
        return "names a photo more than once"
    return None


def class_names(value) -> str | None:
    """Two or more class names, each once (a model's outputs, in order)."""
    if not isinstance(value, list) or not all(isinstance(name, str) and name for name in value):
        return f"{shown(value)} is not a list of class names"
    if len(value) < 2 or len(set(value)) != len(value):
        return f"{shown(value)} is not two or more classes, each named once"
    return None


def row_numbers(value) -> str | None:
    if not isinstance(value, list) or not all(is_count(row) for row in value):
        return f"{shown(value)} is not a list of row numbers"
    if len(set(value)) != len(value):
        return "lists a row more than once"
    return None


def optional(check):
    """`check`, letting null through (a field an earlier version wrote as null)."""
    return lambda value: None if value is None else check(value)


def check_fields(record, fields: dict, required: tuple, path, fix: str) -> dict:
    """`record` if it is an object whose `required` fields are present and
    whose every field of `fields` present passes its check; else ValueError."""
    if not isinstance(record, dict):
        refuse(path, f"it holds {shown(record)}, not an object", fix)
    for field in required:
        if field not in record:
            refuse(path, f"it has no {field!r}", fix)
    for field, check in fields.items():
        problem = check(record[field]) if field in record else None
        if problem:
            refuse(path, f"{field!r}: {problem}", fix)
    return record


def refuse(path, problem: str, fix: str):
    raise ValueError(f"{path}: {problem}; {fix}")


def whole_score(record: dict, path, fix: str) -> dict:
    """`record` if its accuracy ("score") is a whole number of its
    "test_rows"; else ValueError."""
    (score, rows) = (record["score"], record["test_rows"])
    if abs(score * rows - round(score * rows)) > 1e-6 * max(rows, 1):
        refuse(path, f"'score' {score} is no whole number of its {rows} test rows", fix)
    return record


# ---- crop_accuracy.json and crop_predictions.json: the crop_accuracy stage ---

CROPS_FIX = "evaluate the model again (the crop_accuracy stage, or crop_accuracy.py)"
CROP_FIGURES = {
    "images": count,
    "rank1": fraction,
    "rank1_10_crops": fraction,
    "log_loss": loss,
    "log_loss_10_crops": loss,
    "submission_clip": clip_record,
    "confusion": confusion,
    "confusion_10_crops": confusion,
    "crop_path": text,
    "model": text,
    "test": text,
}


def read_crop_figures(path: str | os.PathLike) -> dict:
    """crop_accuracy.json (`rank1_predictions`' figures), checked: each
    confusion matrix counts `images` photos, and its diagonal is the rank-1
    accuracy beside it; the two count the same photos of each class."""
    record = check_fields(
        read_json(path, "the figures of crop_accuracy.py", followLinks=False), CROP_FIGURES,
        ("images", "rank1", "rank1_10_crops", "confusion", "confusion_10_crops"), path,
        CROPS_FIX,
    )  # fmt: skip
    images = record["images"]
    for key, rank1 in (("confusion", "rank1"), ("confusion_10_crops", "rank1_10_crops")):
        counts = np.array(record[key])
        if counts.sum() != images:
            refuse(path, f"{key!r} counts {counts.sum()} photos, not its {images} images",
                   CROPS_FIX)  # fmt: skip
        if images and abs(np.trace(counts) / images - record[rank1]) > 1e-9:
            refuse(path, f"{rank1!r} {record[rank1]} is not the accuracy {key!r} counts "
                   f"({np.trace(counts)}/{images})", CROPS_FIX)  # fmt: skip
    if (
        np.array(record["confusion"]).sum(axis=1).tolist()
        != np.array(record["confusion_10_crops"]).sum(axis=1).tolist()
    ):
        refuse(path, "the two confusion matrices count different photos of a class", CROPS_FIX)
    return record


CROP_ROWS = {
    "labels": labels,
    "probabilities": probabilities,
    "probabilities_10_crops": probabilities,
    "image_names": names,
}


def read_crop_predictions(path: str | os.PathLike) -> dict:
    """crop_predictions.json (`rank1_predictions`' rows), checked by
    `check_rows`."""
    record = check_fields(
        read_json(path, "the predictions of crop_accuracy.py", followLinks=False), CROP_ROWS,
        ("labels", "probabilities", "probabilities_10_crops"), path, CROPS_FIX,
    )  # fmt: skip
    return check_rows(record, ("probabilities", "probabilities_10_crops"), path, CROPS_FIX)


def check_rows(record: dict, tables: tuple[str, ...], path, fix: str) -> dict:
    """`record` if its per-row lists are of one length and each label is a
    column of its probability `tables`; else ValueError."""
    rows = len(record["labels"])
    for field in ("rows", *tables, "image_names"):
        if record.get(field) is not None and len(record[field]) != rows:
            refuse(path, f"{field!r} has {len(record[field])} rows, 'labels' {rows}", fix)
    for table in tables:
        classes = np.array(record[table]).shape[-1] if rows else 0
        if rows and max(record["labels"]) >= classes:
            refuse(path, f"a label is {max(record['labels'])}: {table!r} has {classes} "
                   "classes, numbered from 0", fix)  # fmt: skip
    return record


# ---- finetune.json and finetune_predictions.json: the fine-tuning stage -----

FINETUNE_FIX = "fine-tune again (rerun the chapter with --from finetune)"
# What finetune.json's "submit_with" may name: the fine-tuned model, or the
# logistic regression it was compared with.
FINETUNE_SUBMITTERS = ("finetuned", "classifier")


def finetune_mode(value) -> str | None:
    if value in FINE_TUNE_TRAININGS:
        return None
    return f"{shown(value)} is not one of {', '.join(FINE_TUNE_TRAININGS)}"


def finetune_choice(bestEpoch: int, valLoss: float, classifierValLoss: float) -> str:
    """Which model submits: the fine-tuned one where an epoch of training
    was kept (epoch 0 is the logistic regression's head) and its
    validation log loss `valLoss`, taken before the temperature fitted on
    those photos (which would favour it by construction), is lower than
    the logistic regression's; else the logistic regression."""
    better = bestEpoch > 0 and valLoss < classifierValLoss
    return FINETUNE_SUBMITTERS[0] if better else FINETUNE_SUBMITTERS[1]


def losses(value) -> str | None:
    """A log loss per epoch, from epoch 0."""
    if not isinstance(value, list) or not value or any(loss(v) for v in value):
        return f"{shown(value)} is not a list of log losses"
    return None


FINETUNE_FIGURES = {
    "submit_with": text,
    "skipped": text,
    "score": fraction,
    "log_loss": loss,
    "val_log_loss": loss,
    "val_log_loss_uncalibrated": loss,
    "classifier_val_log_loss": loss,
    "temperature": positive_number,
    "best_epoch": count,
    "history": losses,
    "train_history": losses,
    "submission_clip": clip_record,
    "test_rows": count,
    "held_out": text,
    "cut_layer": text,
    "mode": finetune_mode,
    "label_names": class_names,
}  # fmt: skip


def read_finetune_record(path: str | os.PathLike) -> dict:
    """finetune.json (the fine-tuning stage's record), checked: a stage that
    fine-tuned records its figures, its cut layer and its classes; one that
    was skipped, why. Its accuracy is a whole number of its test rows, its
    kept epoch one of its history, and who submits the model the
    validation photos chose (an epoch of training kept, and a lower
    validation log loss before the temperature fitted on those photos)."""
    record = check_fields(
        read_json(path, "the fine-tuning stage's record (finetune.json)", followLinks=False),
        FINETUNE_FIGURES, ("submit_with",), path, FINETUNE_FIX,
    )  # fmt: skip
    fields = ("skipped",) if "skipped" in record else (
        "score", "log_loss", "val_log_loss", "classifier_val_log_loss", "submission_clip",
        "test_rows", "cut_layer", "label_names")  # fmt: skip
    absent = [field for field in fields if field not in record]
    if absent:
        refuse(path, f"it has no {absent[0]!r}", FINETUNE_FIX)
    if record["submit_with"] not in FINETUNE_SUBMITTERS:
        refuse(path, f"'submit_with' is not one of {', '.join(FINETUNE_SUBMITTERS)}",
               FINETUNE_FIX)  # fmt: skip
    if "skipped" in record:
        if record["submit_with"] != "classifier":
            refuse(path, "it was skipped, yet says the fine-tuned model submits", FINETUNE_FIX)
        return record
    whole_score(record, path, FINETUNE_FIX)
    if "history" in record and record.get("best_epoch", 0) >= len(record["history"]):
        refuse(path, f"'best_epoch' {record['best_epoch']} is not an epoch of its "
               f"{len(record['history'])} in 'history'", FINETUNE_FIX)  # fmt: skip
    trained = len(record.get("history", [])) - 1  # epoch 0 trained nothing
    if "train_history" in record and len(record["train_history"]) != trained:
        refuse(path, f"'train_history' holds {len(record['train_history'])} epoch(s), not the "
               f"{trained} its 'history' trained", FINETUNE_FIX)  # fmt: skip
    if "best_epoch" in record and "val_log_loss_uncalibrated" in record:
        chosen = finetune_choice(record["best_epoch"], record["val_log_loss_uncalibrated"],
                                 record["classifier_val_log_loss"])  # fmt: skip
        if record["submit_with"] != chosen:
            refuse(path, f"'submit_with' is {record['submit_with']!r}, but its validation "
                   f"figures choose {chosen!r}", FINETUNE_FIX)  # fmt: skip
    return record


FINETUNE_ROWS = {
    "image_names": names,
    "labels": labels,
    "probabilities": probabilities,
    "classifier_probabilities": probabilities,
}


def read_end_to_end_state(path: str | os.PathLike) -> dict:
    """validation.json (an end-to-end fine-tuning's validation log loss of
    each epoch, from 0, its mean training loss of each epoch trained, and
    the best epoch: `pipeline.endtoend`), checked: one training loss per
    epoch trained, the best epoch the lowest of the history."""
    record = check_fields(
        read_json(path, "end-to-end fine-tuning's validation state", followLinks=False),
        {"history": losses, "train_history": lambda v: None if v == [] else losses(v),
         "best_epoch": count},
        ("history", "train_history", "best_epoch"), path, FINETUNE_FIX,
    )  # fmt: skip
    (history, trained) = (record["history"], len(record["history"]) - 1)
    if len(record["train_history"]) != trained:
        refuse(path, f"'train_history' holds {len(record['train_history'])} epoch(s), not the "
               f"{trained} its 'history' trained", FINETUNE_FIX)  # fmt: skip
    if record["best_epoch"] != int(np.argmin(history)):
        refuse(path, f"'best_epoch' {record['best_epoch']} is not the epoch of its lowest "
               "validation log loss", FINETUNE_FIX)  # fmt: skip
    return record


def read_finetune_predictions(path: str | os.PathLike) -> dict:
    """finetune_predictions.json (the fine-tuned model's probabilities of
    the test photos, and of the validation photos beside the logistic
    regression's), each part checked by `check_rows`."""
    record = check_fields(
        read_json(path, "the fine-tuning stage's predictions", followLinks=False),
        {"test": an_object, "validation": an_object}, ("test", "validation"), path,
        FINETUNE_FIX,
    )  # fmt: skip
    parts = {"test": ("probabilities",),
             "validation": ("probabilities", "classifier_probabilities")}  # fmt: skip
    for part, tables in parts.items():
        where = f"{path} ({part})"
        check_fields(record[part], FINETUNE_ROWS, ("image_names", "labels", *tables), where,
                     FINETUNE_FIX)  # fmt: skip
        check_rows(record[part], tables, where, FINETUNE_FIX)
    return record


def submission_clip(record: dict, path) -> float | None:
    """The clip of the held-out figures `record` (read from `path`) for the
    submission's probabilities; ValueError for a record of an earlier
    version, which did not choose one."""
    if "submission_clip" not in record:
        refuse(path, "it records no 'submission_clip' (an earlier version wrote it)",
               "run the stage that wrote it again")  # fmt: skip
    return record["submission_clip"]["clip"]


# ---- train_model.json and classifier_predictions.json: the classifier stage ---

CLASSIFIER_FIX = "fit the classifier again (the classifier stage, or train_model.py)"
CLASSIFIER_FIGURES = {
    "score": fraction,
    "log_loss": loss,
    "best_params": an_object,
    "scoring": text,
    "features": an_object,
    "train_rows": count,
    "test_rows": count,
    "held_out": text,
    "submission_clip": clip_record,
    "classification_report": an_object,
}


def read_classifier_record(path: str | os.PathLike) -> dict:
    """train_model.json (the classifier's record, as `fit_classifier` made
    it), checked: its accuracy is a whole number of its scored rows."""
    record = check_fields(
        read_json(path, "the record of train_model.py", followLinks=False), CLASSIFIER_FIGURES,
        ("score", "test_rows"), path, CLASSIFIER_FIX,
    )  # fmt: skip
    return whole_score(record, path, CLASSIFIER_FIX)


CLASSIFIER_ROWS = {
    "rows": row_numbers,
    "labels": labels,
    "probabilities": probabilities,
    "image_names": optional(names),
}


def read_classifier_predictions(path: str | os.PathLike) -> dict:
    """classifier_predictions.json (`fit_classifier`'s predictions),
    checked by `check_rows`."""
    record = check_fields(
        read_json(path, "the predictions of train_model.py", followLinks=False), CLASSIFIER_ROWS,
        ("labels", "probabilities"), path, CLASSIFIER_FIX,
    )  # fmt: skip
    return check_rows(record, ("probabilities",), path, CLASSIFIER_FIX)


# ---- stages.json: the chapter's record of its stages -------------------------


def scalars(value) -> str | None:
    """The settings a stage used: {name: a number, text, true/false or null}."""
    if not isinstance(value, dict) or not all(
        v is None or isinstance(v, (str, bool)) or is_number(v) for v in value.values()
    ):
        return f"{shown(value)} is not an object of settings"
    return None


def threads(value) -> str | None:
    return count_problem(value, "threads")


# the check of each setting every stage is given (`EVERY_STAGE`), as a stage records it
GIVEN = {"train": text, "test": optional(text), "outputDir": text, "workers": threads}


def given(value) -> str | None:
    """The settings of `EVERY_STAGE` a stage ran with."""
    if not isinstance(value, dict):
        return f"{shown(value)} is not an object of settings"
    for name, setting in value.items():
        problem = GIVEN[name](setting) if name in GIVEN else "is not given to every stage"
        if problem:
            return f"{name!r} {problem}"
    return None


def seconds(value) -> str | None:
    return None if is_number(value) and value >= 0 else f"{shown(value)} is not seconds"


def words(value) -> str | None:
    if not isinstance(value, list) or not all(isinstance(word, str) for word in value):
        return f"{shown(value)} is not a command's words"
    return None


STAGE_ENTRY = {
    "signature": an_object,
    "finished": optional(text),
    "failed": text,
    "outputs": an_object,
    "seconds": seconds,
    "images": count,
    "details": an_object,
    # what the report shows of each stage, without the stage
    "settings": scalars,
    "given": given,
    "command": words,
}


# what the report reads of the training's details (records of earlier
# versions hold some of them; a step's images come with its learning rate)
TRAIN_DETAILS = {
    "devices": text,
    "cache": text,
    "step_images": count,
    "learning_rate": positive_number,
}


def stage_record_problem(stages) -> str | None:
    """What makes `stages` not {stage: entry}, each entry an object of
    `STAGE_ENTRY`'s fields with a signature; None if nothing."""
    if not isinstance(stages, dict):
        return "not an object"
    for name, entry in stages.items():
        if name not in STAGES:
            return f"{name!r} is not a stage"
        if not isinstance(entry, dict) or "signature" not in entry:
            return f"{name!r} is not an object with a signature"
        for field, value in entry.items():
            problem = STAGE_ENTRY[field](value) if field in STAGE_ENTRY else "is not a field"
            if problem:
                return f"{name!r} has {field!r}: {problem}"
    details = (stages.get("train") or {}).get("details") or {}
    for field, check in TRAIN_DETAILS.items():
        if field in details and check(details[field]):
            return f"'train' has details.{field} = {str(details[field])[:40]!r}"
    if "step_images" in details and "learning_rate" not in details:
        return "'train' has details.step_images without details.learning_rate"
    predictor = ((stages.get("submission") or {}).get("details") or {}).get("predicted_by")
    if predictor is not None and predictor not in PREDICTED_BY.values():
        return f"'submission' has details.predicted_by = {str(predictor)[:40]!r}"
    return None


def check_stage_record(stages, path) -> dict:
    """`stages`, the stage record read from `path`, if `stage_record_problem`
    finds nothing; else ValueError."""
    problem = stage_record_problem(stages)
    if problem:
        raise ValueError(
            f"{path} is not a chapter's stage record ({problem}): remove it to start anew"
        )
    return stages


# Stages earlier versions named otherwise: their entries are read under
# today's name (their options were named otherwise too, so they run again).
FORMER_STAGE_NAMES = {"crops": "crop_accuracy"}


def read_stage_record(path: str | os.PathLike) -> dict:
    """stages.json, checked (`check_stage_record`), its entries of
    `FORMER_STAGE_NAMES` renamed; {} where there is none."""
    if not os.path.lexists(path):
        return {}
    stages = read_json(path, "a chapter's stage record", followLinks=False)
    if isinstance(stages, dict):
        stages = {FORMER_STAGE_NAMES.get(name, name): entry for name, entry in stages.items()}
    return check_stage_record(stages, path)
