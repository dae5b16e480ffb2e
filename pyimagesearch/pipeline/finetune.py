"""Fine-tuning after the logistic regression (the Practitioner Bundle's
fine-tuning chapter, on a CPU's budget): a keras.applications network is
cut at a layer near its top; the part below the cut stays frozen and is run
once per photo and per augmented view, its activations cached (float16
HDF5); the part above the cut, BatchNorm frozen in inference mode, and a
Dense head started from a logistic regression are then trained on the
cached activations at a small learning rate.

The build's train split fits, its validation split chooses the epoch
(validation log loss, the best weights kept, the weights before any
training included) and the temperature that calibrates the probabilities;
its test split is scored, matched by photo name. The logistic regression
the head starts from is refitted, with the classifier's own options, on the
train split alone, so that the validation photos are new to both models
compared on them.

How the top is trained is the `mode`: "cached" (for CPUs: the part below
the cut is run once per photo and view, its activations cached, as above)
or "end-to-end" (for accelerators: `pipeline.endtoend`, on the pixels of
the build's HDF5 training split through the chapter's training feeds,
devices and augmentation). The validation and test photos are scored from
cached activations either way, by the same code.

The fine-tuned model, `top.keras`, takes the cut layer's activations and
returns class probabilities; `bottom_model` gives the frozen part, and
`bottom` then `top` is the whole network (see `finetuned_predictor`).
"""

from __future__ import annotations

import dataclasses
import math
import os
from collections.abc import Callable
from typing import Any

import numpy as np

from pyimagesearch.errors import ArgumentError
from pyimagesearch.io.hdf5datasetwriter import HDF5DatasetWriter
from pyimagesearch.io.hdf5files import open_hdf5, read_image_names, stored_dataset
from pyimagesearch.io.imagedecoder import MAX_PIXELS, usable_batches
from pyimagesearch.io.imagefiles import labelled_image_files
from pyimagesearch.pipeline.chapterstages import FINE_TUNE_TRAININGS
from pyimagesearch.pipeline.classifier import read_classifier, read_feature_source, read_features
from pyimagesearch.pipeline.evaluation import best_clip, held_out_log_loss
from pyimagesearch.pipeline.records import finetune_choice
from pyimagesearch.utils.files import write_json

# Where each network is cut: the blocks above are fine-tuned. MobileNetV2's
# last inverted-residual block and its 1x1 convolution to 1,280 features;
# ResNet50's last bottleneck block. Every layer above the cut reads only
# from it, so the network splits there into two models.
CUT_LAYERS = {"mobilenetv2": "block_15_add", "resnet50": "conv5_block2_out"}

# Each view of a training photo: the photo, its mirror, then pairs of a
# random square crop (a side of CROP_SCALES of the photo's, scaled back up)
# and its mirror. Validation and test photos are seen as the first two,
# their probabilities averaged.
TRAIN_VIEWS = 4
EVAL_VIEWS = 2
CROP_SCALES = (0.75, 0.95)


@dataclasses.dataclass(frozen=True)
class FineTuneOptions:
    """How the top is trained: AdamW at `learningRate` with decoupled
    `weightDecay`, `dropout` before the head, `labelSmoothing` of the
    targets, at most `epochs` passes over every cached view, stopping
    after `patience` epochs without a lower validation log loss."""

    learningRate: float = 1e-5
    weightDecay: float = 1e-4
    dropout: float = 0.2
    labelSmoothing: float = 0.0
    epochs: int = 8
    patience: int = 2
    batchSize: int = 32
    trainViews: int = TRAIN_VIEWS

    def __post_init__(self):
        allowed = {
            "learningRate": (lambda v: 0 < v < math.inf, "a finite number above 0"),
            "weightDecay": (lambda v: 0 <= v < math.inf, "a finite number of 0 or more"),
            "dropout": (lambda v: 0 <= v < 1, "a number from 0 up to 1 (excluded)"),
            "labelSmoothing": (lambda v: 0 <= v < 1, "a number from 0 up to 1 (excluded)"),
        }
        for name in ("epochs", "patience", "batchSize", "trainViews"):
            allowed[name] = (lambda v: isinstance(v, int) and v >= 1, "a whole number of 1 or more")
        for name, (holds, what) in allowed.items():
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not holds(value):
                raise ValueError(f"FineTuneOptions {name}={value!r}: it must be {what}")


def cut_layer(backbone: str) -> str | None:
    """The layer `backbone` (a keras.applications name) is cut at, or None
    where none is known."""
    from pyimagesearch.nn.backbones import network_key

    return CUT_LAYERS.get(network_key(backbone))


def split_backbone(model, layer: str):
    """(bottom, top) of a pooled keras.applications `model` cut at `layer`:
    pixels -> the layer's activations, and those -> the pooled features.
    The two share `model`'s layers."""
    import keras

    cut = model.get_layer(layer).output
    return keras.Model(model.inputs, cut, name="bottom"), keras.Model(cut, model.output, name="top")


def photo_views(images: np.ndarray, count: int, rng: np.random.Generator) -> list[np.ndarray]:
    """The first `count` views of a batch of square images (n, S, S, 3):
    the images, their mirrors, then pairs of random crops (a side of
    CROP_SCALES of S, anywhere, scaled back to S) and their mirrors."""
    import cv2

    views = [images, images[:, :, ::-1]]
    size = images.shape[1]
    while len(views) < count:
        crops = np.empty_like(images)
        for index, image in enumerate(images):
            side = int(round(size * rng.uniform(*CROP_SCALES)))
            (y, x) = rng.integers(0, size - side + 1, 2)
            crops[index] = cv2.resize(image[y : y + side, x : x + side], (size, size),
                                      interpolation=cv2.INTER_LINEAR)  # fmt: skip
        views += [crops, crops[:, :, ::-1]]
    return views[:count]


def cache_activations(
    photos,
    labelNames,
    path,
    extractor,
    bottom,
    viewCount,
    seed,
    workers=1,
    maxPixels=MAX_PIXELS,
    progress=None,
    batchSize=16,
) -> list:
    """Write to the HDF5 file `path` the activations of `bottom` (float16)
    for `viewCount` views (`photo_views`) of each of `photos` (image files
    of one split), photo by photo, view by view: row photo * viewCount +
    view. Returns the files of the photos that could not be read."""  # fmt: skip
    rng = np.random.default_rng(seed)
    shape = tuple(int(size) for size in bottom.output.shape[1:])
    skipped: list = []
    names = []
    bar = progress(len(photos)) if progress else None
    with HDF5DatasetWriter((max(1, len(photos) * viewCount), *shape), path, dataKey="features",
                           dtype="float16", overwrite=True) as writer:  # fmt: skip
        writer.db.attrs["views"] = viewCount
        writer.storeClassLabels(labelNames)
        for usable, done in usable_batches(photos, extractor.resizer, batchSize, workers, skipped,
                                           maxPixels):  # fmt: skip
            if usable:
                images = np.stack([image for _, image in usable])
                views = np.stack(photo_views(images, viewCount, rng), axis=1)
                batch = extractor.preprocess(views.reshape(-1, *images.shape[1:]).astype("float32"))
                activations = np.asarray(bottom.predict_on_batch(batch)).astype("float16")
                if not np.all(np.isfinite(activations)):
                    raise ValueError(f"{extractor.name} gave activations float16 cannot hold")
                labels = [labelNames.index(f.label) for f, _ in usable]
                writer.add(activations, np.repeat(labels, viewCount))
                names += [f.name for f, _ in usable]
            if bar:
                bar.update(done)
        writer.storeStrings("image_names", names)
    if bar:
        bar.finish()
    return skipped


def read_activations(path, viewCount):
    """(activations (photos, views, h, w, c) float16, labels (photos,),
    photo names) of a file `cache_activations` wrote, checked."""
    from pyimagesearch.io.split import Split

    split = Split(path, "features", rank=3)
    with open_hdf5(path) as db:
        names = read_image_names(db) or []
        views = db.attrs.get("views")
    rows = split.count
    if views != viewCount or rows != len(names) * viewCount:
        raise ValueError(f"{path} holds {rows} rows, not {viewCount} views of {len(names)} photos")
    activations = split.read().reshape(len(names), viewCount, *split.shape)
    return activations, np.asarray(split.labels)[::viewCount], names


def cached_names(path, viewCount) -> list[str] | None:
    """The photos a complete cache at `path` holds `viewCount` views of, or
    None where there is no such cache."""
    if not os.path.isfile(path):
        return None
    try:
        with open_hdf5(path) as db:
            if db.attrs.get("views") != viewCount:
                return None
            names = read_image_names(db)
            stored_dataset(db, path, "features")
    except (OSError, ValueError):
        return None
    return names


def head_weights(classifier, classes: int) -> tuple[np.ndarray, np.ndarray]:
    """(kernel (D, classes), bias (classes,)) of a Dense layer whose softmax
    is `classifier`'s (a fitted `LogisticRegression`) `predict_proba`: a
    binary one's logit is the second class's, the first's 0."""
    (coef, intercept) = (classifier.coef_, classifier.intercept_)
    if list(classifier.classes_) != list(range(classes)):
        raise ValueError(f"the classifier knows classes {list(classifier.classes_)}, "
                         f"not all {classes}")  # fmt: skip
    if classes == 2:
        coef = np.concatenate([np.zeros_like(coef), coef])
        intercept = np.concatenate([np.zeros_like(intercept), intercept])
    return coef.T.astype("float32"), intercept.astype("float32")


def logits_model(top, kernel, bias, dropout):
    """The model trained: `top` with every BatchNorm frozen (inference
    mode: the few photos would skew ImageNet's statistics), dropout, and a
    Dense head of `kernel` and `bias` giving the class logits."""
    import keras

    for layer in top.layers:
        if isinstance(layer, keras.layers.BatchNormalization):
            layer.trainable = False
    inputs = keras.Input(tuple(top.inputs[0].shape[1:]))
    features = keras.layers.Dropout(dropout)(top(inputs))
    head = keras.layers.Dense(len(bias), name="head")
    logits = head(features)
    head.set_weights([kernel, bias])
    return keras.Model(inputs, logits, name="finetuned_logits")


def probability_model(logits, temperature: float):
    """`logits` (a model) then softmax(logits / temperature): the model
    saved, which needs no code of this package to load."""
    import keras

    inputs = keras.Input(tuple(logits.inputs[0].shape[1:]))
    scaled = keras.layers.Rescaling(1.0 / temperature, name="temperature")(logits(inputs))
    return keras.Model(inputs, keras.layers.Softmax()(scaled), name="finetuned")


def view_logits(model, activations, batchSize=64) -> np.ndarray:
    """(photos, views, classes) float64 logits of every cached view.

    The model is called, not `predict_on_batch`: inside a data-parallel
    `fit` (end-to-end fine-tuning scores each epoch there), Keras would
    split each batch among the replicas and join their outputs wrongly."""
    from keras import ops

    flat = activations.reshape(-1, *activations.shape[2:])
    out = [ops.convert_to_numpy(model(flat[start : start + batchSize].astype("float32"),
                                      training=False))
           for start in range(0, len(flat), batchSize)]  # fmt: skip
    return np.concatenate(out).astype(np.float64).reshape(*activations.shape[:2], -1)


def view_probabilities(logits: np.ndarray, temperature: float = 1.0) -> np.ndarray:
    """(photos, classes): softmax(logits / temperature) of each view,
    averaged over a photo's views."""
    scaled = logits / temperature
    scaled -= scaled.max(axis=-1, keepdims=True)
    exp = np.exp(scaled)
    return (exp / exp.sum(axis=-1, keepdims=True)).mean(axis=1)


def fit_temperature(logits: np.ndarray, labels: np.ndarray) -> float:
    """The temperature, from 1 to 8, that minimises the log loss of
    `labels` under `view_probabilities(logits, temperature)`: 1 exactly
    where none above 1 lowers it.

    It only softens. Below 1 it would sharpen, which lowers the log loss
    of validation photos that are all classified right without limit (the
    few photos of a small split often are), and makes a model that
    already overfits more confident still on photos it gets wrong."""
    from scipy.optimize import minimize_scalar

    def loss(temperature):
        return held_out_log_loss(labels, view_probabilities(logits, temperature))

    found = minimize_scalar(lambda logT: loss(np.exp(logT)), bounds=(0.0, np.log(8)),
                            method="bounded")  # fmt: skip
    temperature = float(np.exp(found.x))
    return temperature if loss(temperature) < loss(1.0) else 1.0


def scored_epoch(model, val, epoch: int, log) -> float:
    """The validation log loss of `model` (`logits_model`) on `val` =
    (cached activations, labels), each photo's views averaged, logged as
    epoch `epoch`'s (0: the logistic regression's head, before training).
    Both ways of training score their epochs with it."""
    loss = held_out_log_loss(val[1], view_probabilities(view_logits(model, val[0])))
    shown = "0 (the logistic regression's head)" if epoch == 0 else epoch
    log(f"[INFO] finetune: epoch {shown}, validation log loss {loss:.4f}")
    return loss


def train_top(model, train, val, options: FineTuneOptions, seed: int, log) -> dict:
    """Train `model` (`logits_model`) on `train` = (activations, labels)
    with `options`, each epoch scored on `val` = (activations, labels) by
    log loss; `model` ends with the weights of the best epoch (0: as it
    started). Returns {"best_epoch", "history": [validation log loss of
    each epoch, from 0], "train_history": [the mean training loss of each
    epoch, from 1: the targets' cross-entropy (smoothed by
    `labelSmoothing`) on the cached views, dropout on]}."""
    import keras

    (activations, labels) = train
    classes = int(model.outputs[0].shape[-1])
    model.compile(
        optimizer=keras.optimizers.AdamW(options.learningRate, weight_decay=options.weightDecay),
        loss=keras.losses.CategoricalCrossentropy(from_logits=True,
                                                   label_smoothing=options.labelSmoothing),
    )  # fmt: skip
    views = activations.shape[1]
    flat = activations.reshape(-1, *activations.shape[2:])
    targets = np.eye(classes, dtype="float32")[np.repeat(labels, views)]

    history = [scored_epoch(model, val, 0, log)]
    (best, bestWeights) = (0, model.get_weights())
    rng = np.random.default_rng(seed)
    trainHistory = []
    for epoch in range(1, options.epochs + 1):
        order = rng.permutation(len(flat))
        (total, seen) = (0.0, 0)
        for start in range(0, len(order), options.batchSize):
            rows = order[start : start + options.batchSize]
            loss = model.train_on_batch(flat[rows].astype("float32"), targets[rows])
            (total, seen) = (total + float(loss) * len(rows), seen + len(rows))
        trainHistory.append(total / seen)
        history.append(scored_epoch(model, val, epoch, log))
        if history[-1] < history[best]:
            (best, bestWeights) = (epoch, model.get_weights())
        elif epoch - best >= options.patience:
            break
    model.set_weights(bestWeights)
    return {"best_epoch": best, "history": history, "train_history": trainHistory}


def refit_classifier(classifierPath, featuresPath, trainNames):
    """The classifier at `classifierPath` (its options, C included) fitted
    anew on the rows of `featuresPath` of the photos `trainNames`, with
    the label names: the chapter's was fitted on the validation photos too."""
    from sklearn.base import clone

    (model, _, _) = read_classifier(classifierPath)
    (features, labels, labelNames) = read_features(featuresPath)
    rows = rows_of(read_feature_source(featuresPath).names, trainNames, featuresPath)
    return clone(model).fit(features[rows], labels[rows]), labelNames


def rows_of(names: list[str] | None, wanted: list[str], where) -> np.ndarray:
    """The rows of `names` holding each of `wanted`, in its order."""
    index = {name: row for row, name in enumerate(names or [])}
    missing = [name for name in wanted if name not in index]
    if missing:
        raise ValueError(f"{where} holds no row of the photo {missing[0]!r} (and "
                         f"{len(missing) - 1} more): extract it anew")  # fmt: skip
    return np.array([index[name] for name in wanted], dtype=int)


def fine_tune(
    photos: str,
    featuresPath: str,
    classifierPath: str,
    splits: dict[str, list[str]],
    extractor,
    layer: str,
    cacheDir: str,
    modelPath: str,
    recordPath: str,
    predictionsPath: str,
    options: FineTuneOptions = FineTuneOptions(),
    mode: str = "cached",
    build: tuple | None = None,
    seed: int = 42,
    workers: int = 1,
    maxPixels: int = MAX_PIXELS,
    resume: bool = False,
    log: Callable[[str], Any] = print,
    progress: Callable[[int], Any] | None = None,
) -> dict:
    """Fine-tune `extractor`'s network (a keras.applications
    `FeatureExtractor`) above `layer` on the photos of `splits` (a build's
    record) found in `photos`; write the fine-tuned model to `modelPath`,
    its figures to `recordPath`, its validation and test probabilities to
    `predictionsPath` (see the module's description), the top trained as
    `mode` says ("end-to-end" needs `build`: the build's HDF5 training
    and validation splits and its mean JSON). The activations are cached
    in `cacheDir`, one file per split, and an end-to-end run's checkpoints
    in its folder `endtoend.RUN_FOLDER`; with `resume`, a complete cache holding the
    split's photos is used again, and an interrupted run goes on. Returns
    the record, whose "submit_with" says which model predicts better on
    the validation photos: "finetuned", or "classifier" (the logistic
    regression)."""
    if mode not in FINE_TUNE_TRAININGS:
        raise ArgumentError("mode", f"{mode!r} is not one of {', '.join(FINE_TUNE_TRAININGS)}")
    if mode == "end-to-end":
        from pyimagesearch.pipeline.endtoend import check_end_to_end

        if build is None:
            raise ArgumentError("build", "end-to-end fine-tuning trains on the build's HDF5 "
                                "splits: give them")  # fmt: skip
        check_end_to_end(options, build, splits["train"])
    (classifier, labelNames) = refit_classifier(classifierPath, featuresPath, splits["train"])
    (features, _, _) = read_features(featuresPath)
    featureNames = read_feature_source(featuresPath).names
    (_, labelled, _) = labelled_image_files(photos)
    byName = {f.name: f for f in labelled}
    (bottom, top) = split_backbone(extractor.model, layer)
    data = {}
    cached = (("train", options.trainViews),) if mode == "cached" else ()
    for split, views in (*cached, ("val", EVAL_VIEWS), ("test", EVAL_VIEWS)):
        missing = [name for name in splits[split] if name not in byName]
        if missing:
            raise ValueError(f"{photos} no longer holds the photo {missing[0]!r} of the build's "
                             f"{split} split: build anew")  # fmt: skip
        path = os.path.join(cacheDir, f"{split}.hdf5")
        if not (resume and cached_names(path, views) == splits[split]):
            log(f"[INFO] finetune: caching {layer}'s activations of {len(splits[split])} "
                f"{split} photos, {views} views each...")  # fmt: skip
            skipped = cache_activations(
                [byName[name] for name in splits[split]], labelNames, path, extractor, bottom,
                views, seed + len(data), workers, maxPixels, progress,
            )  # fmt: skip
            if skipped:
                raise ValueError(f"{photos}: {skipped[0]['file']} of the build's {split} split "
                                 f"cannot be read now ({skipped[0]['reason']})")  # fmt: skip
        data[split] = read_activations(path, views)
    perView = int(np.prod(data["val"][0].shape[2:])) * 2  # float16

    val = (data["val"][0], data["val"][1])
    valRows = rows_of(featureNames, data["val"][2], featuresPath)
    classifierVal = classifier.predict_proba(features[valRows]).astype(np.float64)
    classifierLoss = held_out_log_loss(val[1], classifierVal)

    import keras

    keras.utils.set_random_seed(seed)
    logits = logits_model(top, *head_weights(classifier, len(labelNames)), options.dropout)
    if mode == "cached":
        training = train_top(logits, data["train"][:2], val, options, seed, log)
        (trainViews, cacheBytes) = (options.trainViews, perView * options.trainViews)
    else:
        from pyimagesearch.pipeline.endtoend import RUN_FOLDER, train_end_to_end

        training = train_end_to_end(
            logits, extractor, layer, build, splits["train"], val, options, seed,
            os.path.join(cacheDir, RUN_FOLDER), resume, workers, log,
        )  # fmt: skip
        # each epoch trained drew one view of every training photo
        (trainViews, cacheBytes) = (len(training["train_history"]), 0)
    valLogits = view_logits(logits, val[0])
    temperature = fit_temperature(valLogits, val[1])
    valProbabilities = view_probabilities(valLogits, temperature)
    valLoss = held_out_log_loss(val[1], valProbabilities)
    testProbabilities = view_probabilities(view_logits(logits, data["test"][0]), temperature)
    testLabels = data["test"][1]
    probability_model(logits, temperature).save(modelPath)

    # The choice is made on the validation photos before the temperature,
    # which was fitted on them (it would favour the fine-tuned model by
    # construction), and only when an epoch of training was kept.
    uncalibrated = held_out_log_loss(val[1], view_probabilities(valLogits))
    submitWith = finetune_choice(training["best_epoch"], uncalibrated, classifierLoss)
    record = {
        "submit_with": submitWith,
        "score": float(np.mean(testProbabilities.argmax(axis=1) == testLabels)),
        "log_loss": held_out_log_loss(testLabels, testProbabilities),
        "val_log_loss": valLoss,
        "val_log_loss_uncalibrated": uncalibrated,
        "classifier_val_log_loss": classifierLoss,
        "temperature": temperature,
        **training,
        "submission_clip": best_clip(testLabels, testProbabilities),
        "mode": mode,
        "train_photos": len(splits["train"]),
        "val_photos": len(data["val"][2]),
        "test_rows": len(testLabels),
        "held_out": "the build's test split",
        "cut_layer": layer,
        "train_views": trainViews,
        "eval_views": EVAL_VIEWS,
        "cache_bytes_per_photo": cacheBytes,
        "options": dataclasses.asdict(options),
        "label_names": labelNames,
        "backbone": extractor.name,
        "input_size": extractor.inputSize,
    }
    write_json(predictionsPath, {
        "test": {"image_names": data["test"][2], "labels": testLabels.tolist(),
                 "probabilities": testProbabilities.tolist()},
        "validation": {"image_names": data["val"][2], "labels": val[1].tolist(),
                       "probabilities": valProbabilities.tolist(),
                       "classifier_probabilities": classifierVal.tolist()},
    })  # fmt: skip
    write_json(recordPath, record)
    return record


def finetuned_predictor(extractor, modelPath, layer, labelNames, positive="dog"):
    """(preprocessor for each photo, batch -> P(positive)) of the network
    of `extractor` below `layer` followed by the fine-tuned model at
    `modelPath`, each photo's probabilities averaged with its mirror's, as
    they were on the validation and test photos."""
    from pyimagesearch.nn.modelfiles import load_model
    from pyimagesearch.pipeline.submission import column_of

    (bottom, _) = split_backbone(extractor.model, layer)
    top = load_model(modelPath)
    column = column_of(labelNames, positive, modelPath)

    def predict(images):
        batch = extractor.preprocess(np.asarray(images, dtype="float32"))
        views = [batch, np.ascontiguousarray(batch[:, :, ::-1])]
        found = [np.asarray(top.predict_on_batch(bottom.predict_on_batch(v))) for v in views]
        return np.mean(found, axis=0)[:, column]

    return extractor.resizer, predict


def read_choice(recordPath, labelNames=None) -> tuple[str, list[str]] | None:
    """(cut layer, label names) of the fine-tuned model where the
    fine-tuning's record at `recordPath` says it predicts the submission;
    None where the logistic regression does, or there is no record. The
    record is checked by `records.read_finetune_record`, and here what
    only this module knows: the cut layers, and (given the build's
    `labelNames`) the classes its outputs are; ValueError naming it
    otherwise."""
    from pyimagesearch.pipeline.records import FINETUNE_FIX, read_finetune_record, refuse

    if not os.path.lexists(recordPath):
        return None
    record = read_finetune_record(recordPath)
    if record["submit_with"] == "classifier":
        return None
    if record["cut_layer"] not in CUT_LAYERS.values():
        refuse(recordPath, f"'cut_layer' is not one of {', '.join(CUT_LAYERS.values())}",
               FINETUNE_FIX)  # fmt: skip
    if labelNames is not None and record["label_names"] != list(labelNames):
        refuse(recordPath, f"its classes {record['label_names']} are not the build's "
               f"{list(labelNames)}", FINETUNE_FIX)  # fmt: skip
    return record["cut_layer"], record["label_names"]
