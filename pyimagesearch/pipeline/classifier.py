"""The chapter-10 classifier: a logistic regression on CNN features, fitted
with the book's search over C (`LogisticRegressionSearch`: the book's
grid, each fit solved to its optimum), saved as plain JSON.

A pickle from someone else can run any code when it is loaded; a JSON file
of numbers cannot. The file holds what `predict` and `predict_proba` need,
and the class names, so that a column of `predict_proba` can be named.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any, NamedTuple

import numpy as np
from sklearn.linear_model import LogisticRegression

from pyimagesearch.errors import ArgumentError
from pyimagesearch.io.hdf5files import open_hdf5, read_image_names
from pyimagesearch.io.splitrecord import HELD_OUT_BY_BUILD, check_split_record
from pyimagesearch.pipeline.logisticsearch import LogisticRegressionSearch
from pyimagesearch.utils.checks import image_size_problem
from pyimagesearch.utils.files import check_distinct, read_json, refuse_existing, write_json
from pyimagesearch.utils.locks import output_lock

FORMAT = "pyimagesearch.logistic_regression.v1"
# the book's grid
C_VALUES = [0.0001, 0.001, 0.01, 0.1, 1.0]
# half-decades, for a search by log loss, whose best C falls between the
# book's (0.3 for MobileNetV2's features of Kaggle's photos; see docs/measured.md)
FINE_C_VALUES = [0.0001, 0.0003, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0]


def check_json_path(path: str | os.PathLike) -> None:
    """Raise unless `path` ends in .json: the classifier is JSON, never a
    pickle, whatever the book's file name said."""
    if not str(path).endswith(".json"):
        raise ArgumentError(
            "classifier",
            f"{path}: the classifier is saved as JSON, not pickle; give a path ending in .json",
        )


def read_features(dbPath: str | os.PathLike) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """(features (N, D) float, labels (N,), label names) from a file written
    by `extract_features`, checked."""
    from pyimagesearch.io.split import Split

    split = Split(dbPath, "features", rank=1)
    (features, labels, labelNames) = (split.read(), split.labels, split.labelNames)
    if len(features) < 8:
        raise ValueError(f"{dbPath}: expected (N, D) features with N >= 8; found {features.shape}")
    if not np.all(np.isfinite(features)):
        raise ValueError(f"{dbPath} holds NaN or infinite features")
    classes = np.unique(labels)
    if labelNames is None or classes.min() < 0 or classes.max() >= len(labelNames):
        raise ValueError(f"{dbPath}: labels {classes.tolist()} do not match its label_names")
    if len(classes) < 2:
        raise ValueError(
            f"{dbPath} holds one class only ({labelNames[classes[0]]!r}): a classifier needs "
            "photos of two or more"
        )
    return features, labels, labelNames


class FeatureSource(NamedTuple):
    """Where a features file's rows come from: each row's photo name (None
    in files without "image_names"), the backbone's name and its kind
    ("keras.applications", "model file"; "unknown" in files from before the
    kind was recorded), the input size and whether mirrors were averaged in
    (None where not recorded)."""

    names: list[str] | None
    backbone: str
    kind: str
    inputSize: int | None
    flip: bool | None

    def record(self) -> dict:
        """How the features were made, for the classifier's file."""
        return {"backbone": self.backbone, "backbone_kind": self.kind,
                "input_size": self.inputSize, "flip": self.flip}  # fmt: skip


def read_feature_source(dbPath: str | os.PathLike) -> FeatureSource:
    """Where the rows of the features file `dbPath` come from, its
    attributes checked by `feature_fields`."""
    with open_hdf5(dbPath) as db:
        return FeatureSource(
            read_image_names(db), *feature_fields(db.attrs, f"{dbPath}: attribute ")
        )


def feature_fields(values, where: str) -> tuple[str, str, int | None, bool | None]:
    """(backbone, kind, input size, flip) from `values`: a features file's
    attributes or a classifier file's "features" record, which are read
    from outside and checked here, in one place (the size is bounded as
    the --feature-size flag is); else ValueError saying `where` + the
    field. Absent fields (files from before they were recorded) are
    "unknown" or None."""

    def refuse(field, problem):
        raise ValueError(f"{where}{field}: {problem}")

    def shown(value):
        return repr(value)[:40]

    (backbone, kind) = (values.get("backbone", "unknown"), values.get("backbone_kind", "unknown"))
    for field, name in (("backbone", backbone), ("backbone_kind", kind)):
        if not isinstance(name, str):
            refuse(field, f"{shown(name)} is not a name")
    size = values.get("input_size")
    if size is not None and image_size_problem(size):
        refuse("input_size", image_size_problem(size))
    flip = values.get("flip")
    if flip is not None and not isinstance(flip, (bool, np.bool_)):
        refuse("flip", f"{shown(flip)} is not true or false")
    return (str(backbone), str(kind), None if size is None else int(size),
            None if flip is None else bool(flip))  # fmt: skip


def held_out_rows(
    dbPath: str | os.PathLike,
    source: FeatureSource,
    rows: int,
    trainFraction: float,
    splits: dict | None,
    ownModel: bool = False,
) -> tuple[np.ndarray, np.ndarray, str]:
    """(the rows to fit on, the rows to score, how they were chosen), of
    the `rows` rows of the features file `dbPath`, read from `source`.

    With `splits` (a build's {split: [photo names]}), the scored rows are
    the photos of its "test" split and the fitted rows those of every other
    split, matched by photo name, so that the score is held out from every
    stage that trained on the build; features of a model file are held out
    from it only when it is `ownModel` (trained on this build's training
    split), and the way they were chosen says so otherwise. Without, the book's split: the first
    `trainFraction` of the (shuffled) rows fit, the rest score; refused for
    features of a model file, which may have trained on the scored photos.
    """
    if splits is None:
        # a model file, or a file too old to say, may have trained on any photo
        if source.kind != "keras.applications":
            raise ArgumentError(
                "splits",
                f"{dbPath}: its features come from {source.backbone} ({source.kind}), a model "
                "that may have trained on these photos; give the build's record "
                "(build_record.json) so that the classifier is scored on the build's test "
                "photos only",
            )
        cut = int(rows * trainFraction)
        return np.arange(cut), np.arange(cut, rows), f"the last {1 - trainFraction:.0%} of rows"
    splits = check_split_record(splits, "the split record")
    names = source.names
    if names is None or len(names) != rows:
        raise ValueError(f"{dbPath} names no photo per row (image_names): extract it anew")
    if len(set(names)) != rows:
        raise ValueError(
            f"{dbPath} names a photo on more than one row: rows are matched to the build's "
            "splits by name, so each must be one photo; extract it anew"
        )
    test = set(splits["test"])
    fitted = set().union(*(set(v) for k, v in splits.items() if k != "test"))
    trainRows = np.array([r for r, name in enumerate(names) if name in fitted], dtype=int)
    testRows = np.array([r for r, name in enumerate(names) if name in test], dtype=int)
    if len(trainRows) < 8 or len(testRows) == 0:
        raise ValueError(
            f"{dbPath}: only {len(trainRows)} rows are photos of the build's training splits "
            f"and {len(testRows)} of its test split; extract the features from the photos "
            "the build used"
        )
    if source.kind == "keras.applications" or ownModel:
        return trainRows, testRows, HELD_OUT_BY_BUILD
    # held out from the stages of this build, not from a model trained elsewhere
    return (
        trainRows,
        testRows,
        (
            f"{HELD_OUT_BY_BUILD}; the features' model {source.backbone} is a file this run "
            "did not train: held out from it only if it trained on this build's training split"
        ),
    )


def fit_classifier(
    dbPath: str | os.PathLike,
    jobs: int = -1,
    trainFraction: float = 0.75,
    splits: dict[str, list[str]] | None = None,
    scoring: str = "accuracy",
    Cs: list[float] = C_VALUES,
    ownModel: bool = False,
) -> tuple[LogisticRegression, list[str], dict]:
    """The book's train_model.py: search C (over `Cs`, by 3-fold
    cross-validated `scoring`: "accuracy" as the book, or "neg_log_loss",
    Kaggle's metric) for a logistic regression on some feature rows, score
    it on the others (`held_out_rows`: the build's test photos given
    `splits`, else the last 1 - `trainFraction`).

    Returns (the best `LogisticRegression`, its label names, a record dict
    with "score" (accuracy), "log_loss" (Kaggle's metric, on the same
    probabilities), "submission_clip" (`best_clip` of them), "best_params",
    "train_rows", "test_rows", "held_out" (how the scored rows were chosen), the scikit-learn
    "classification_report" as a dict and as "text", and "predictions":
    {"rows" (the scored rows' indices in the file), "labels",
    "probabilities"}).
    """
    from sklearn.metrics import accuracy_score, classification_report

    from pyimagesearch.pipeline.evaluation import best_clip, held_out_log_loss

    features, labels, labelNames = read_features(dbPath)
    source = read_feature_source(dbPath)
    (trainRows, testRows, heldOut) = held_out_rows(
        dbPath, source, len(labels), trainFraction, splits, ownModel
    )
    names = source.names
    absent = sorted(set(labels[testRows]) - set(labels[trainRows]))
    if absent:
        raise ValueError(
            f"{dbPath}: the rows to fit on hold no photo of {labelNames[absent[0]]!r}, "
            "which the scored rows do"
        )
    search = LogisticRegressionSearch(list(Cs), scoring=scoring, cv=3, n_jobs=jobs)
    search.fit(features[trainRows], labels[trainRows])
    probabilities = search.predict_proba(features[testRows])
    classes = search.best_estimator_.classes_
    preds = classes[probabilities.argmax(axis=1)]
    truth = labels[testRows]
    columns = np.searchsorted(classes, truth)  # each row's column in `probabilities`
    options = dict(labels=list(range(len(labelNames))), target_names=labelNames, zero_division=0)
    record = {
        "score": float(accuracy_score(truth, preds)),
        "log_loss": held_out_log_loss(columns, probabilities),
        "best_params": search.best_params_,
        "scoring": scoring,
        "features": source.record(),
        "train_rows": len(trainRows),
        "test_rows": len(testRows),
        "held_out": heldOut,
        "submission_clip": best_clip(columns, probabilities),
        "classification_report": classification_report(truth, preds, output_dict=True, **options),
        "text": classification_report(truth, preds, **options),
        "predictions": {
            "rows": testRows.tolist(),
            "image_names": [names[r] for r in testRows] if names else None,
            "labels": truth.tolist(),
            "probabilities": probabilities.tolist(),
        },
    }
    return search.best_estimator_, labelNames, record


def train_logistic_regression(
    dbPath: str | os.PathLike,
    classifierPath: str | os.PathLike,
    recordPath: str | os.PathLike | None = None,
    jobs: int = -1,
    overwrite: bool = False,
    log: Callable[[str], Any] = print,
    predictionsPath: str | os.PathLike | None = None,
    splits: dict[str, list[str]] | None = None,
    scoring: str = "accuracy",
    Cs: list[float] = C_VALUES,
    ownModel: bool = False,
) -> dict:
    """`fit_classifier` on the features in `dbPath`, the classifier saved to
    `classifierPath`, the record (without its text and predictions) to
    `recordPath` and the predictions to `predictionsPath`. Existing outputs
    are replaced only with `overwrite`; outputs that are the same file as
    each other or as `dbPath` are refused; all are checked, and locked,
    before the search starts. `splits`: the build's record of which photo
    is in which split; `ownModel`: the features' model file was trained on
    its training split (see `held_out_rows`). Returns the record,
    predictions included."""
    check_json_path(classifierPath)
    outputs = [("classifierPath", classifierPath), ("recordPath", recordPath),
               ("predictionsPath", predictionsPath)]  # fmt: skip
    check_distinct(outputs, [("dbPath", dbPath)])
    with output_lock(classifierPath, recordPath, predictionsPath):
        refuse_existing([classifierPath, recordPath, predictionsPath], overwrite)
        log("[INFO] tuning hyperparameters...")
        (model, labelNames, record) = fit_classifier(
            dbPath, jobs, splits=splits, scoring=scoring, Cs=Cs, ownModel=ownModel
        )
        log(f"[INFO] best hyperparameters: {record['best_params']}")
        log("[INFO] evaluating...")
        log(record.pop("text"))
        log(f"[INFO] held out: {record['test_rows']} rows, {record['held_out']}")
        log(f"[INFO] score: {record['score']:.4f}, log loss: {record['log_loss']:.4f}")
        log(f"[INFO] saving the classifier to {classifierPath}...")
        save_logistic_regression(model, classifierPath, labelNames, record["features"])
        if predictionsPath is not None:
            write_json(predictionsPath, record["predictions"])
        if recordPath is not None:
            write_json(recordPath, {k: v for k, v in record.items() if k != "predictions"})
    return record


def save_logistic_regression(
    model: LogisticRegression,
    path: str | os.PathLike,
    labelNames: list[str] | None = None,
    features: dict | None = None,
) -> None:
    """Write a fitted binary or multinomial `LogisticRegression` to `path`,
    with `features`: how the features it takes were made
    (`FeatureSource.record`), for whoever predicts with it."""
    check_json_path(path)
    write_json(
        path,
        {
            "format": FORMAT,
            "params": {
                k: v
                for k, v in model.get_params().items()
                if isinstance(v, (int, float, str, bool, type(None)))
            },
            "classes": model.classes_.tolist(),
            "coef": model.coef_.tolist(),
            "intercept": model.intercept_.tolist(),
            "label_names": list(labelNames) if labelNames is not None else None,
            "features": features,
        },
    )


def load_logistic_regression(
    path: str | os.PathLike,
) -> tuple[LogisticRegression, list[str] | None]:
    """(model, labelNames) from a file written by `save_logistic_regression`
    (checked by `read_classifier`)."""
    (model, names, _) = read_classifier(path)
    return model, names


def load_feature_record(path: str | os.PathLike) -> dict:
    """{"input_size": int or None, "flip": bool or None, "backbone": name,
    "backbone_kind": kind}: how the features a classifier file was fitted
    on were made (None or "unknown" where the file does not say: files from
    before this was recorded); the file checked by `read_classifier`."""
    (_, _, features) = read_classifier(path)
    return {"input_size": features.inputSize, "flip": features.flip,
            "backbone": features.backbone, "backbone_kind": features.kind}  # fmt: skip


def read_classifier(
    path: str | os.PathLike,
) -> tuple[LogisticRegression, list[str] | None, FeatureSource]:
    """(model, labelNames, how its features were made) from a file written
    by `save_logistic_regression`.

    The file is checked here, in one place, as untrusted input: every
    number finite, every field of the type and shape the others imply, the
    features' record as a features file's attributes are
    (`feature_fields`). A file that fails is refused with ValueError naming
    it and the field."""
    data = read_json(path, "a classifier JSON written by train_model.py")
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise ValueError(f"{path} is not a JSON model file written by train_model.py")

    def refuse(what):
        raise ValueError(f"{path} is not a usable classifier file: {what}")

    classes = data.get("classes")
    if (not isinstance(classes, list) or len(classes) < 2 or len(set(map(str, classes))) !=
            len(classes) or not all(type(c) is int for c in classes)):  # fmt: skip
        refuse("'classes' must list two or more distinct integers")
    rows = 1 if len(classes) == 2 else len(classes)
    coef = finite_array(data.get("coef"), 2, refuse, "coef")
    intercept = finite_array(data.get("intercept"), 1, refuse, "intercept")
    if coef.shape[0] != rows or coef.shape[1] < 1 or intercept.shape != (rows,):
        refuse(
            f"'coef' {coef.shape} and 'intercept' {intercept.shape} do not fit "
            f"{len(classes)} classes (expected ({rows}, D) and ({rows},))"
        )
    names = data.get("label_names")
    if names is not None and (
        not isinstance(names, list) or not all(isinstance(n, str) for n in names)
    ):
        refuse("'label_names' must be a list of strings")
    if names is not None and not all(0 <= c < len(names) for c in classes):
        refuse(f"'classes' {classes} must be indexes into 'label_names' ({len(names)} names)")
    params = data.get("params")
    if not isinstance(params, dict):
        refuse("'params' must be an object")
    features = data.get("features")
    if features is not None and not isinstance(features, dict):
        refuse("'features' must be an object")
    source = FeatureSource(None, *feature_fields(features or {}, f"{path}: features."))
    known = LogisticRegression().get_params()
    model = LogisticRegression(
        **{k: v for k, v in params.items() if k in known and isinstance(v, (int, float, str))}
    )
    model.classes_ = np.array(classes)
    model.coef_ = coef
    model.intercept_ = intercept
    model.n_features_in_ = coef.shape[1]
    return model, names, source


def finite_array(value, ndim, refuse, field):
    """`value` as a float64 array of `ndim` dimensions, all finite, or
    `refuse(...)` saying what is wrong with `field`."""
    try:
        array = np.array(value, dtype=np.float64)
    except (TypeError, ValueError):
        refuse(f"'{field}' must be numbers in a rectangular array")
    if array.ndim != ndim:
        refuse(f"'{field}' must have {ndim} dimension(s); it has {array.ndim}")
    if not np.all(np.isfinite(array)):
        refuse(f"'{field}' holds NaN or infinite values")
    return array
