"""The chapter's stages: what a run is given (`ChapterSettings`), where
each output lives (`ChapterPaths`), and the seven stages in order, each
saying what it reads, which settings it uses, what it writes and how it
runs. `pyimagesearch.pipeline.chapter` runs them and keeps their record,
which the report reads (`pyimagesearch.pipeline.reportdata`) without
them: both import this module, and it imports neither.
"""

from __future__ import annotations

import dataclasses
import glob
import hashlib
import os
import typing

from pyimagesearch import bookdefaults as book
from pyimagesearch.io.imagedecoder import MAX_PIXELS
from pyimagesearch.io.splitrecord import read_build_record
from pyimagesearch.nn.parallel.replicas import DISTRIBUTE_MODES, distribute_help
from pyimagesearch.pipeline.cache import CACHE_MODES
from pyimagesearch.pipeline.evaluation import CROP_PATHS
from pyimagesearch.utils.files import (
    displayable,
    remove_regular_file,
    write_json,
)
from pyimagesearch.utils.parallel import DEFAULT_WORKERS

STAGES = ("build", "train", "crop_accuracy", "features", "classifier", "finetune", "submission")
# The backbone name that means "the AlexNet this chapter trained".
OWN_ALEXNET = "alexnet"
# --fine-tune: "auto" fine-tunes the keras.applications networks that
# `pyimagesearch.pipeline.finetune.CUT_LAYERS` knows where to cut.
FINE_TUNE_MODES = ("auto", "on", "off")
# How a fine-tuned top is trained (`pyimagesearch.pipeline.finetune`), and
# --fine-tune-on's choices ("auto": end to end where a GPU is visible)
FINE_TUNE_TRAININGS = ("cached", "end-to-end")
FINE_TUNE_ON = ("auto", *FINE_TUNE_TRAININGS)


SUBMITTERS = ("classifier", "alexnet")  # what can predict the submission
# The model that made the submission, as its stage records it.
PREDICTED_BY = {"classifier": "logistic regression", "finetuned": "fine-tuned",
                "alexnet": "AlexNet, 10 crops"}  # fmt: skip


def setting(default=dataclasses.MISSING, about=None, choices=None, kind=None, unset=None,
            **field):  # fmt: skip
    """A field of `ChapterSettings` with what a command line offering it
    needs: `about` it (its help), the `choices` it takes, or the `kind` of
    value it names ("photos", "backbone", "weights", "seed", or a count
    bounded by `utils.checks.MOST`: "threads", "pixels"), otherwise its
    type says (an int >= 1, a number > 0, text, a switch); and, for a
    default of None, what leaving it `unset` means."""
    metadata = {"about": about, "choices": choices, "kind": kind, "unset": unset}
    return dataclasses.field(default=default, metadata=metadata, **field)


def value_types(settings) -> dict[str, type]:
    """{field: the type of the values it holds} of the dataclass `settings`
    (`ChapterSettings`): int for `int` and for `int | None`."""
    hints = typing.get_type_hints(settings)
    return {
        name: next(each for each in typing.get_args(hint) or (hint,) if each is not type(None))
        for name, hint in hints.items()
    }


@dataclasses.dataclass(frozen=True)
class ChapterSettings:
    """What a chapter run is given: the photos, the output folder and every
    stage's main options, with the book's defaults. Each field is declared
    once, with its help: `dogs_vs_cats/chapter.py` makes its command line
    from these declarations, and the book's scripts their flags for the
    same options (`dogs_vs_cats.cli.add_settings`)."""

    train: str = setting(about="Kaggle's train.zip, or its folder", kind="photos")
    outputDir: str = setting(about="every output, the record of what ran and report.html")
    test: str | None = setting(
        None, "Kaggle's test1.zip, or its folder: for the submission", kind="photos",
        unset="no submission",
    )  # fmt: skip
    size: int = setting(
        book.IMAGE_SIZE, "photos are resized to size x size, as the build stores them"
    )
    valSize: int = setting(book.VAL_IMAGES, "photos held out for validation")
    testSize: int = setting(book.TEST_IMAGES, "photos held out for the rank-1 test")
    epochs: int = setting(
        book.EPOCHS, "AlexNet's epochs in all (a resumed run counts those already done)"
    )
    inputSize: int = setting(
        book.INPUT_SIZE, "AlexNet's input is input-size x input-size (at least 57)"
    )
    batchSize: int = setting(book.BATCH_SIZE, "AlexNet's images per device per step")
    learningRate: float | None = setting(
        None, "Adam's learning rate, used as given",
        unset=f"{book.LEARNING_RATE:g} x the square root of the devices",
    )  # fmt: skip
    cache: str = setting(
        "auto",
        "where AlexNet's training split is held: streamed from HDF5 (none), in RAM (memory), "
        "on the accelerator (device), or the best that fits (auto)",
        choices=CACHE_MODES,
    )
    distribute: str = setting("auto", distribute_help("split each batch"), choices=DISTRIBUTE_MODES)
    mixedPrecision: bool = setting(False, "train in float16 on a GPU (the mixed_float16 policy)")
    cropPath: str = setting(
        "auto",
        "where the 10 crops are cut: inside the compiled model (graph) or with "
        "CropPreprocessor on CPU threads (cpu); auto: graph when an accelerator is visible, "
        "else cpu, the faster on each",
        choices=CROP_PATHS,
    )
    backbone: str = setting(
        book.BACKBONE,
        "the features' CNN: a keras.applications name (resnet50, mobilenet_v2, "
        "efficientnet_b0, ...) or a .keras model such as the trained AlexNet (the chapter's: "
        "alexnet)",
        kind="backbone",
    )
    weights: str = setting(
        "imagenet",
        "for a keras.applications backbone: imagenet, a local weights file (without the top), "
        "or none",
        kind="weights",
    )
    layer: str | None = setting(
        None, "for a .keras backbone: the layer to tap", unset="the input of its last Dense layer"
    )
    featureSize: int | None = setting(
        None,
        "for a keras.applications backbone: the photos' size for the features",
        unset=f"9/7 of the network's own size, {book.enlarged_feature_size(book.FEATURE_SIZE)} "
        f"for {book.FEATURE_SIZE}, measured better than the book's {book.FEATURE_SIZE}: "
        "docs/measured.md",
    )
    flip: bool = setting(
        False,
        "average each photo's features with its mirror's (twice the work for a little less "
        "log loss; see docs/measured.md)",
    )
    submitWith: str = setting("classifier", "what predicts the submission", choices=SUBMITTERS)
    # off by default: measured on 1,000 and 2,002 of Kaggle's photos, it lost
    # to the logistic regression on held-out log loss (docs/finetune_benchmark.md)
    fineTune: str = setting(
        "off",
        "fine-tune the backbone's top after the logistic regression (auto: for mobilenetv2 "
        "and resnet50; the submission keeps the logistic regression where validation says "
        "it is better)",
        choices=FINE_TUNE_MODES,
    )
    fineTuneOn: str = setting(
        "auto",
        "how --fine-tune auto|on trains the top: cached (the frozen part's activations "
        "computed once per photo and view, for CPUs), end-to-end (the build's photos through "
        "the training's feeds, on every device, with the book's augmentation, for GPUs; "
        "--cache, --distribute, --mixed-precision, --batch-size and --lr stay AlexNet's) or "
        "auto (end-to-end where the backend sees a GPU or TPU)",
        choices=FINE_TUNE_ON,
    )
    seed: int = setting(
        book.SEED,
        "seeds the random choices the command makes, whichever of these it makes: the "
        "sample's photos, the split, AlexNet's weights, patches, augmentation and batch "
        "order, the features' order; the same seed, the same choices",
        kind="seed",
    )
    maxPixels: int = setting(
        MAX_PIXELS,
        "photos whose header declares more pixels are skipped as too large, undecoded",
        kind="pixels",
    )
    workers: int = setting(
        DEFAULT_WORKERS,
        "threads that decode the photos, or prepare AlexNet's batches",
        kind="threads",
    )


# The settings every stage is given, whether or not they shape what it
# computes: each stage's record keeps the values it ran with ("given").
EVERY_STAGE = ("train", "test", "outputDir", "workers")


class ChapterPaths:
    """Where each output of a chapter run lives under `outputDir`."""

    def __init__(self, outputDir: str | os.PathLike) -> None:
        self.outputDir = os.fspath(outputDir)
        self.hdf5 = self.at("hdf5")
        self.split = {name: self.at("hdf5", f"{name}.hdf5") for name in ("train", "val", "test")}
        self.buildRecord = self.at("hdf5", "build_record.json")
        self.mean = self.at("mean.json")
        self.alexnet = self.at("alexnet")  # history, plot and checkpoints
        self.model = self.at("alexnet", "alexnet.keras")
        self.history = self.at("alexnet", "alexnet.json")
        self.plot = self.at("alexnet", "alexnet.png")
        self.cropAccuracy = self.at("crop_accuracy.json")
        self.cropPredictions = self.at("crop_predictions.json")
        self.features = self.at("features.hdf5")
        self.classifier = self.at("logistic_regression.json")
        self.classifierRecord = self.at("train_model.json")
        self.classifierPredictions = self.at("classifier_predictions.json")
        self.finetune = self.at("finetune")  # the model and the cached activations
        self.finetuneModel = self.at("finetune", "finetuned.keras")
        self.finetuneCache = self.at("finetune", "cache")
        self.finetuneRecord = self.at("finetune.json")
        self.finetunePredictions = self.at("finetune_predictions.json")
        self.submission = self.at("submission.csv")
        self.deployModel = self.at("model.keras")  # the model that made the submission
        self.record = self.at("stages.json")
        self.report = self.at("report.html")

    def at(self, *parts: str) -> str:
        return os.path.join(self.outputDir, *parts)


def fingerprint(path: str) -> str | None:
    """What changes when `path` changes: a file's size and modification
    time; for a folder, those of every file under it. None if absent."""
    try:
        info = os.stat(path)
    except FileNotFoundError:
        return None
    if not os.path.isdir(path):
        return f"{info.st_size}:{info.st_mtime_ns}"
    digest = hashlib.sha256()
    for folder, dirs, files in os.walk(path):
        dirs.sort()
        for name in sorted(files):
            entry = os.path.join(folder, name)
            try:
                stats = os.stat(entry)
            except OSError:  # a dangling link: its name is what there is
                stats = None
            size = (stats.st_size, stats.st_mtime_ns) if stats else None
            digest.update(f"{os.path.relpath(entry, path)}\0{size}\n".encode("utf-8", "replace"))
    return "folder:" + digest.hexdigest()


class Stage:
    """One step of the chapter: what it reads, which settings it uses, what
    it writes, and how it runs. `run` returns how many images it went
    through, and may leave facts for the record in `details`."""

    name = ""
    settingNames: tuple[str, ...] = ()

    def __init__(self, settings: ChapterSettings, paths: ChapterPaths) -> None:
        self.settings = settings
        self.paths = paths
        self.details: dict = {}

    def inputs(self) -> list[str]:
        raise NotImplementedError

    def outputs(self) -> list[str]:
        raise NotImplementedError

    def run(self, log, progress, resume: bool) -> int:
        raise NotImplementedError

    def clear(self) -> None:
        """Remove what an earlier run with other inputs or options left that
        this run could mistake for its own (outputs are replaced anyway)."""

    def signature(self) -> dict:
        """The options and the state of the inputs this stage would run with."""
        options = {name: getattr(self.settings, name) for name in self.settingNames}
        return {"options": options, "inputs": {path: fingerprint(path) for path in self.inputs()}}

    def used_settings(self) -> dict:
        """The settings that shape what this stage computes: its options,
        less those that do not apply to the others. Recorded in stages.json
        when the stage starts, for the report, which asks no stage."""
        return {name: getattr(self.settings, name) for name in self.settingNames}

    def given_settings(self) -> dict:
        """The settings of `EVERY_STAGE` this stage runs with, recorded
        beside `used_settings` for the report: `workers` is no option (a
        new value runs nothing again), so the page shows the values the
        stages ran with, not the last command's."""
        return {name: getattr(self.settings, name) for name in EVERY_STAGE}


class BuildStage(Stage):
    name = "build"
    settingNames = ("size", "valSize", "testSize", "seed", "maxPixels")

    def inputs(self):
        return [self.settings.train]

    def outputs(self):
        p = self.paths
        return [*p.split.values(), p.buildRecord, p.mean]

    def run(self, log, progress, resume):
        from pyimagesearch.pipeline.build import build_dataset

        s = self.settings
        record = build_dataset(
            s.train, self.paths.hdf5, self.paths.mean, {"test": s.testSize, "val": s.valSize},
            size=s.size, workers=s.workers, seed=s.seed, overwrite=True, maxPixels=s.maxPixels,
            progress=progress,
        )  # fmt: skip
        used = ", ".join(f"{count} {split}" for split, count in record["used"].items())
        log(f"[INFO] build: photos used: {used}; skipped: {record['skipped_count']}")
        return sum(record["used"].values())


class TrainStage(Stage):
    name = "train"
    settingNames = ("epochs", "inputSize", "batchSize", "learningRate", "cache", "distribute",
                    "mixedPrecision", "seed")  # fmt: skip

    def inputs(self):
        p = self.paths
        return [p.split["train"], p.split["val"], p.mean]

    def outputs(self):
        p = self.paths
        return [p.model, p.history, p.plot]

    def run(self, log, progress, resume):
        from pyimagesearch.callbacks.epochcheckpoint import latest_checkpoint
        from pyimagesearch.pipeline.training import train_alexnet

        s, p = self.settings, self.paths
        (checkpoint, done) = latest_checkpoint(p.alexnet)
        resume = resume and checkpoint is not None
        # no --lr: the library's rate, scaled for the devices
        rate = {} if s.learningRate is None else {"learningRate": s.learningRate,
                                                   "scaleLearningRate": False}  # fmt: skip

        result = train_alexnet(
            p.split["train"], p.split["val"], p.mean, p.alexnet, p.model, epochs=s.epochs,
            batchSize=s.batchSize, inputSize=s.inputSize, seed=s.seed, resume=resume,
            workers=s.workers, mixedPrecision=s.mixedPrecision, cache=s.cache,
            distribute=s.distribute, log=log, **rate,
        )  # fmt: skip
        # for the report; a run that only wrote its final model trained nothing
        self.details["devices"] = f"{result.devices}, {result.distribution}"
        if result.history is not None:
            self.details.update(
                cache=f"{result.cache} -- {result.cacheReason}",
                learning_rate=result.learningRate,
                step_images=result.stepImages,
            )
        rows = read_build_record(p.buildRecord)["used"]["train"]
        return (s.epochs - (done if resume else 0)) * rows

    def clear(self):
        for path in [*self.outputs(), *glob.glob(os.path.join(self.paths.alexnet, "checkpoint-*"))]:
            remove_regular_file(path)


class CropAccuracyStage(Stage):
    name = "crop_accuracy"
    settingNames = ("cropPath", "distribute")

    def inputs(self):
        p = self.paths
        return [p.split["test"], p.mean, p.model]

    def outputs(self):
        return [self.paths.cropAccuracy, self.paths.cropPredictions]

    def run(self, log, progress, resume):
        from pyimagesearch.pipeline.evaluation import crop_accuracy

        p = self.paths
        figures = crop_accuracy(
            p.split["test"], p.mean, p.model, cropPath=self.settings.cropPath,
            distribute=self.settings.distribute, progress=progress, outputPath=p.cropAccuracy,
            overwrite=True, predictionsPath=p.cropPredictions,
        )  # fmt: skip
        log(f"[INFO] rank-1: {figures['rank1']:.2%} (log loss {figures['log_loss']:.4f}), "
            f"with 10 crops: {figures['rank1_10_crops']:.2%} "
            f"(log loss {figures['log_loss_10_crops']:.4f})")  # fmt: skip
        return figures["images"]


class FeaturesStage(Stage):
    name = "features"
    settingNames = ("backbone", "weights", "layer", "featureSize", "flip", "distribute", "seed",
                    "maxPixels")  # fmt: skip

    def inputs(self):
        return [self.settings.train, self.paths.mean, *backbone_files(self.settings, self.paths)]

    def outputs(self):
        return [self.paths.features]

    def used_settings(self):
        used = super().used_settings()
        # weights and a size are a keras.applications network's; a layer is
        # a model file's
        if backbone_is_model_file(self.settings):
            del used["weights"], used["featureSize"]
        else:
            del used["layer"]
            used["featureSize"] = feature_size(self.settings)
        return used

    def run(self, log, progress, resume):
        from pyimagesearch.pipeline.features import extract_backbone_features

        s = self.settings
        summary = extract_backbone_features(
            s.train, self.paths.features, backbone_path(s, self.paths), s.weights, s.layer,
            self.paths.mean, feature_size(s), s.flip, overwrite=True, distribute=s.distribute,
            workers=s.workers, seed=s.seed, maxPixels=s.maxPixels, progress=progress, log=log,
        )  # fmt: skip
        return summary["rows"]


class ClassifierStage(Stage):
    name = "classifier"

    def inputs(self):
        return [self.paths.features, self.paths.buildRecord]

    def outputs(self):
        p = self.paths
        return [p.classifier, p.classifierRecord, p.classifierPredictions]

    def run(self, log, progress, resume):
        from pyimagesearch.pipeline import classifier

        p = self.paths
        # scored on the build's test photos, as AlexNet is, whatever the
        # backbone; C chosen by Kaggle's metric, not the book's accuracy
        record = classifier.train_logistic_regression(
            p.features, p.classifier, p.classifierRecord, overwrite=True, log=log,
            predictionsPath=p.classifierPredictions,
            splits=read_build_record(p.buildRecord)["image_names"], scoring="neg_log_loss",
            Cs=classifier.FINE_C_VALUES, ownModel=self.settings.backbone == OWN_ALEXNET,
        )  # fmt: skip
        return record["train_rows"] + record["test_rows"]


class FineTuneStage(Stage):
    name = "finetune"
    # a skipped stage's options and inputs are those it had before it could
    # train end to end: changing what it does not use runs nothing again
    SKIPPED_SETTINGS = ("fineTune", "backbone", "weights", "featureSize", "seed", "maxPixels")

    @property
    def settingNames(self):
        skipped = fine_tune_skipped(self.settings) is not None
        return self.SKIPPED_SETTINGS if skipped else (*self.SKIPPED_SETTINGS, "fineTuneOn")

    def inputs(self):
        s, p = self.settings, self.paths
        found = [s.train, p.features, p.classifier, p.buildRecord, *backbone_files(s, p)]
        if fine_tune_skipped(s) is None:
            found += [p.split["train"], p.split["val"], p.mean]  # end to end trains on them
        return found

    def outputs(self):
        p = self.paths
        return [p.finetuneRecord, p.finetuneModel, p.finetunePredictions]

    def run(self, log, progress, resume):
        from pyimagesearch.pipeline.finetune import fine_tune

        s, p = self.settings, self.paths
        reason = fine_tune_skipped(s)
        if reason is not None:
            self.clear()
            write_json(p.finetuneRecord, {"submit_with": "classifier", "skipped": reason})
            self.details["skipped"] = reason
            log(f"[INFO] finetune: skipped ({reason}): the submission uses the logistic "
                "regression")  # fmt: skip
            return 0
        from pyimagesearch.nn.backbones import application_extractor
        from pyimagesearch.nn.parallel.devices import describe
        from pyimagesearch.pipeline.finetune import cut_layer

        extractor = application_extractor(s.backbone, s.weights, feature_size(s))
        mode = fine_tune_training(s)
        log(f"[INFO] finetune: {mode} ({'--fine-tune-on auto: ' if s.fineTuneOn == 'auto' else ''}"
            f"{describe()})")  # fmt: skip
        record = fine_tune(
            s.train, p.features, p.classifier, read_build_record(p.buildRecord)["image_names"],
            extractor, cut_layer(s.backbone), p.finetuneCache, p.finetuneModel, p.finetuneRecord,
            p.finetunePredictions, mode=mode, build=(p.split["train"], p.split["val"], p.mean),
            seed=s.seed, workers=s.workers, maxPixels=s.maxPixels, resume=resume, log=log,
            progress=progress,
        )  # fmt: skip
        log(f"[INFO] finetune: validation log loss {record['val_log_loss']:.4f} (fine-tuned, "
            f"epoch {record['best_epoch']}, temperature {record['temperature']:.3f}) against "
            f"{record['classifier_val_log_loss']:.4f} (the logistic regression, fitted on the "
            "train split)")  # fmt: skip
        log(f"[INFO] finetune: held out: {record['test_rows']} photos, {record['held_out']}: "
            f"accuracy {record['score']:.2%}, log loss {record['log_loss']:.4f}")  # fmt: skip
        if record["submit_with"] == "finetuned":
            log("[INFO] finetune: the submission uses the fine-tuned model")
        else:
            log("[INFO] finetune: fine-tuning does not lower the validation log loss: the "
                "submission keeps the logistic regression's predictions")  # fmt: skip
        self.details.update({key: record[key] for key in FINE_TUNE_DETAILS})
        # the views the frozen part saw: each training photo's, and the
        # validation and test photos' (the test split's count is its rows)
        return (
            record["train_photos"] * record["train_views"]
            + (record["val_photos"] + record["test_rows"]) * record["eval_views"]
        )

    def clear(self):
        from pyimagesearch.pipeline.endtoend import RUN_FOLDER, clear_run

        cached = glob.glob(os.path.join(glob.escape(self.paths.finetuneCache), "*.hdf5"))
        for path in [*self.outputs(), *cached]:
            remove_regular_file(path)
        run = os.path.join(self.paths.finetuneCache, RUN_FOLDER)
        if os.path.isdir(run):
            clear_run(run)


# What the record keeps of a fine-tuning, for the report.
FINE_TUNE_DETAILS = ("submit_with", "mode", "val_log_loss", "classifier_val_log_loss",
                     "best_epoch", "temperature", "cut_layer", "cache_bytes_per_photo")  # fmt: skip


def fine_tune_skipped(settings: ChapterSettings) -> str | None:
    """Why the chapter does not fine-tune with `settings`, or None."""
    if settings.fineTune == "off":
        return "--fine-tune off"
    if backbone_is_model_file(settings):
        return (f"the backbone {displayable(settings.backbone)} is a model file, not a "
                "keras.applications network with ImageNet's weights")  # fmt: skip
    from pyimagesearch.pipeline.finetune import CUT_LAYERS, cut_layer

    if cut_layer(settings.backbone) is None:
        return (f"no layer to cut {settings.backbone} at is known; fine-tuning is for "
                f"{', '.join(sorted(CUT_LAYERS))}")  # fmt: skip
    return None


def fine_tune_training(settings: ChapterSettings) -> str:
    """How the chapter fine-tunes with `settings`: "cached" or "end-to-end"
    (`--fine-tune-on auto`: end to end where the backend sees a GPU)."""
    if settings.fineTuneOn != "auto":
        return settings.fineTuneOn
    from pyimagesearch.nn.parallel.devices import accelerators

    return "end-to-end" if accelerators() else "cached"


class SubmissionStage(Stage):
    name = "submission"
    settingNames = ("submitWith", "size", "cropPath", "featureSize", "flip", "maxPixels")

    def inputs(self):
        s, p = self.settings, self.paths
        if not self.classifier:
            return [s.test, p.mean, p.model, p.cropAccuracy]
        # the fine-tuning's record says which of the two predicts
        model = [p.finetuneModel] if self.fineTuned else [p.classifier, p.classifierRecord]
        return [s.test, p.mean, *model, *backbone_files(s, p), p.finetuneRecord]

    @property
    def heldOut(self):
        """The figures of the model on the build's test split, which say
        how to clip its probabilities."""
        if not self.classifier:
            return self.paths.cropAccuracy
        return self.paths.finetuneRecord if self.fineTuned else self.paths.classifierRecord

    @property
    def fineTuned(self):
        """Whether the fine-tuned model predicts: the classifier's path, and
        the fine-tuning stage found it better on the validation photos."""
        from pyimagesearch.pipeline.finetune import read_choice

        return self.classifier and read_choice(self.paths.finetuneRecord) is not None

    @property
    def classifier(self):
        return self.settings.submitWith == "classifier"

    def held_out_figures(self) -> dict:
        """The record at `heldOut`, checked."""
        from pyimagesearch.pipeline import records

        if not self.classifier:
            return records.read_crop_figures(self.heldOut)
        if self.fineTuned:
            return records.read_finetune_record(self.heldOut)
        return records.read_classifier_record(self.heldOut)

    def outputs(self):
        return [self.paths.submission, self.paths.deployModel]

    def run(self, log, progress, resume):
        from pyimagesearch.pipeline import deploy, records, submission

        s, p = self.settings, self.paths
        clip = records.submission_clip(self.held_out_figures(), self.heldOut)
        # the deployable model makes the submission, so that predict.py on
        # it writes the same probabilities
        if self.classifier:
            from pyimagesearch.pipeline.finetune import read_choice

            # its outputs are named by its record: they must be the build's classes
            choice = read_choice(p.finetuneRecord, read_build_record(p.buildRecord)["label_names"])
            if choice is None:
                (model, labelNames) = deploy.classifier_model(
                    backbone_path(s, p), p.classifier, s.weights, s.layer, p.mean,
                    feature_size(s), s.flip, clip,
                )  # fmt: skip
            else:
                (model, labelNames) = deploy.finetuned_model(
                    backbone_path(s, p), s.weights, feature_size(s), p.finetuneModel, *choice, clip
                )  # fmt: skip
            predictor = "classifier" if choice is None else "finetuned"
        else:
            (model, labelNames) = deploy.alexnet_model(p.model, p.mean, s.size, clip)
            predictor = "alexnet"
        self.details["predicted_by"] = PREDICTED_BY[predictor]
        deploy.save_deployable(model, p.deployModel, labelNames)
        predictor = deploy.model_predictor(p.deployModel)
        summary = submission.write_submission(
            s.test, p.submission, predictor, workers=s.workers, overwrite=True,
            maxPixels=s.maxPixels, progress=progress, clip=clip,
        )  # fmt: skip
        self.details["clip"] = clip
        clipped = f"clipped to [{clip}, {1 - clip}]" if clip else "not clipped"
        log(f"[INFO] submission: {summary['rows']} rows, {clipped} -> {p.submission}")
        # what the submission lacks or guesses, for the record and the report
        missing = [f"id {i}" for i in summary["missing"]]
        for (key, items, said) in (
            ("photos_left_out", [f["file"] for f in summary["left_out"]],
             f"test photos left out, their ids not in {submission.TEMPLATE}"),
            ("ids_without_photo", missing, f"ids written as {submission.UNKNOWN}, no photo"),
            ("unreadable_photos", [f["file"] for f in summary["unusable"]],
             f"photos unreadable, written as {submission.UNKNOWN}"),
        ):  # fmt: skip
            self.details[key] = len(items)
            if items:
                shown = ", ".join(displayable(item) for item in items[:5])
                more = ", ..." if len(items) > 5 else ""
                log(f"[WARNING] submission: {len(items)} {said}: {shown}{more}")
        return summary["rows"]


STAGE_CLASSES = (BuildStage, TrainStage, CropAccuracyStage, FeaturesStage, ClassifierStage,
                 FineTuneStage, SubmissionStage)  # fmt: skip


def backbone_path(settings: ChapterSettings, paths: ChapterPaths) -> str:
    return paths.model if settings.backbone == OWN_ALEXNET else settings.backbone


def feature_size(settings: ChapterSettings) -> int | None:
    """The photos' size for the features: `featureSize`, or for a
    keras.applications network the chapter's enlargement of its own size
    (`book.enlarged_feature_size`); None for a model file (its input's)."""
    if backbone_is_model_file(settings):
        return None
    if settings.featureSize is not None:
        return settings.featureSize
    from pyimagesearch.nn.backbones import native_size

    return book.enlarged_feature_size(native_size(settings.backbone))


def backbone_is_model_file(settings: ChapterSettings) -> bool:
    """Whether the features' network is a .keras file (the chapter's AlexNet
    included), not a keras.applications network."""
    return settings.backbone == OWN_ALEXNET or settings.backbone.endswith(".keras")


def backbone_files(settings: ChapterSettings, paths: ChapterPaths) -> list[str]:
    """The files the features' network is read from: a .keras model, a
    local weights file (none for weights Keras downloads)."""
    path = backbone_path(settings, paths)
    found = [path] if path.endswith(".keras") else []
    return found + ([settings.weights] if os.path.isfile(settings.weights) else [])
