"""Fine-tuning end to end, for accelerators: the network's top and its head
(`finetune.logits_model`) trained on the pixels of the build's HDF5 splits
through the chapter's own training (`pipeline.training.train`): its feeds
(random patches of the stored photos, streamed, in RAM or on the
accelerator), its devices and processes, the book's augmentation, a
checkpoint every epoch and a resume on the same curve.
(`TrainConfig`'s default augmentation, made where the run's variables
belong: layers made outside that scope would hold variables of one device
while the others are spread over all of them.)

The network trained is

    the feed's patch (the build's mean subtracted) -> the mean added back
    -> resized to the features' size -> the network's preprocessing -> the
    keras.applications network, frozen below the cut, every BatchNorm
    frozen -> dropout -> the Dense head, started from the logistic
    regression -> softmax

and after each epoch its top and head are copied into `logits` (the same
layers at the features' size, taking the cut layer's activations), which
is scored on the validation photos' cached activations, exactly as the
cached fine-tuning scores its epochs: the same history, the same choice of
epoch, the same early stop, kept across a resume in `runDir`.
"""

from __future__ import annotations

import glob
import math
import os
import zipfile

import keras
import numpy as np

from pyimagesearch.errors import ArgumentError
from pyimagesearch.io.split import Split
from pyimagesearch.pipeline.finetune import scored_epoch, split_backbone
from pyimagesearch.pipeline.records import FINETUNE_FIX, read_end_to_end_state
from pyimagesearch.utils.files import check_input, remove_regular_file, write_json

# The patch the feed cuts from each stored photo, as a fraction of its side:
# 224 of the book's 256, the size keras.applications networks are trained at.
PATCH_FRACTION = 7 / 8

# The run's folder in the fine-tuning's cache folder.
RUN_FOLDER = "end_to_end"
# What `runDir` holds besides `train`'s checkpoint, history and network.
STATE_FILE = "validation.json"  # {"history", "train_history", "best_epoch"}
# `logits`'s weights of an epoch that was the best when it ended: the files
# of earlier bests are removed only once a checkpoint is past the newer one,
# so that a resumed run always finds its best epoch's, even where the epoch
# it trains again comes out otherwise (a GPU's kernels, other devices)
BEST_FILES = "best-epoch-{:03d}.weights.npz"
BEST_GLOB = "best-epoch-*.weights.npz"
NETWORK_FILE = "network.keras"  # the last epoch's network, as `train` saves it


def train_end_to_end(
    logits,
    extractor,
    layer: str,
    build: tuple,
    trainNames: list[str],
    val: tuple,
    options,
    seed: int,
    runDir: str,
    resume: bool,
    workers: int,
    log,
) -> dict:
    """Train `logits` (`finetune.logits_model` of `extractor`'s network cut
    at `layer`) end to end on the build's HDF5 training split, as the
    module says: `build` = (train split, validation split, mean JSON),
    the training split holding the photos `trainNames` in that order; each
    epoch scored on `val` = (cached activations, labels) by log loss;
    `options` a `FineTuneOptions` (its `trainViews` unused: each epoch
    draws new patches and augmentation; a `labelSmoothing` other than 0
    is refused: the training's loss takes the targets as they are).
    `logits` ends with the weights of the best epoch (0: as it started).
    With `resume`, a run interrupted in `runDir` goes on from its last
    epoch; otherwise `runDir` starts empty.
    Returns what `finetune.train_top` returns."""
    from pyimagesearch.callbacks import latest_checkpoint
    from pyimagesearch.pipeline.training import TrainConfig, train

    (trainPath, valPath, meanPath) = build
    stored = check_end_to_end(options, build, trainNames)
    patch = int(round(stored.shape[0] * PATCH_FRACTION))
    os.makedirs(runDir, exist_ok=True)
    (_, done) = latest_checkpoint(runDir) if resume else (None, 0)
    state = resumed_state(runDir, done)
    if state is None:
        clear_run(runDir)
        done = 0
    monitor = ValidationLogLoss(logits, val, options.patience, runDir, state, log)
    if not monitor.finished(options.epochs):
        config = TrainConfig(
            trainPath, valPath, meanPath, runDir, os.path.join(runDir, NETWORK_FILE),
            epochs=options.epochs, batchSize=options.batchSize,
            learningRate=options.learningRate, weightDecay=options.weightDecay,
            inputSize=patch, seed=seed, resume=done > 0, workers=workers,
            buildNetwork=lambda inputSize, classes: end_to_end_network(
                logits, extractor, layer, meanPath, inputSize, options.dropout),
            callbacks=(monitor,), log=log,
        )  # fmt: skip
        log(f"[INFO] finetune: end to end on {stored.count} training photos, {patch}x{patch} "
            f"patches of their {stored.shape[0]}x{stored.shape[1]}")  # fmt: skip
        try:
            train(config)
        except ArgumentError as error:
            if error.argument != "learningRate":
                raise
            # the training's argument is AlexNet's (--lr); the fine-tuning's
            # rate is its own, which no flag sets
            rate = "FineTuneOptions.learningRate"
            raise ArgumentError(rate, f"end-to-end fine-tuning diverged at {rate} "
                                f"{options.learningRate}: {error}") from None  # fmt: skip
    return monitor.result()


def check_end_to_end(options, build, trainNames: list[str]) -> Split:
    """The build's training split (`build[0]`, opened as a `Split`) where
    `train_end_to_end` can train on it with `options`: it holds the photos
    `trainNames`, in that order, and the targets are not to be smoothed;
    ArgumentError or ValueError saying which otherwise."""
    if options.labelSmoothing:
        raise ArgumentError("labelSmoothing", f"{options.labelSmoothing}: end-to-end fine-tuning "
                            "trains on the targets as they are; smooth them only in the cached "
                            "mode")  # fmt: skip
    stored = Split(build[0])
    if stored.imageNames != list(trainNames):
        raise ValueError(f"{build[0]} does not hold the build record's training photos, in "
                         "its order: build anew")  # fmt: skip
    return stored


def resumed_state(runDir: str, done: int) -> dict | None:
    """The validation state of `runDir` (checked by
    `records.read_end_to_end_state`) cut to its first `done` epochs, or
    None where there is none to go on from: `done` 0, or a state that
    stops before epoch `done` (the run starts again)."""
    path = os.path.join(runDir, STATE_FILE)
    if done == 0 or not os.path.exists(path):
        return None
    state = read_end_to_end_state(path)
    if len(state["history"]) < done + 1:
        return None
    return {"history": state["history"][: done + 1], "train_history": state["train_history"][:done]}


def clear_run(runDir: str) -> None:
    """Remove what a run left in `runDir`: checkpoints, state, networks."""
    stale = ("checkpoint-epoch-*.keras", STATE_FILE, BEST_GLOB, NETWORK_FILE, "alexnet.*",
             "*.part")  # fmt: skip
    for name in stale:
        for path in glob.glob(os.path.join(glob.escape(runDir), name)):
            remove_regular_file(path)


def end_to_end_network(logits, extractor, layer, meanPath, inputSize, dropout):
    """The network `train` trains (see the module), its variables made where
    this is called: a copy of `extractor`'s network with its weights, the
    layers above `layer` trainable but BatchNorm, and `logits`'s head."""
    from pyimagesearch.nn.deploylayers import ApplicationPreprocessing
    from pyimagesearch.preprocessing.meanpreprocessor import MeanPreprocessor
    from pyimagesearch.preprocessing.meansubtraction import MeanSubtraction

    backbone = keras.models.clone_model(extractor.model)
    backbone.set_weights(extractor.model.get_weights())
    below = {lay.name for lay in split_backbone(backbone, layer)[0].layers}
    for lay in backbone.layers:
        if lay.name in below or isinstance(lay, keras.layers.BatchNormalization):
            lay.trainable = False
    means = MeanPreprocessor.from_json(meanPath)
    size = extractor.inputSize
    patches = keras.Input((inputSize, inputSize, 3), name="patch")
    # the feed subtracted the build's mean; the network's own preprocessing
    # starts from the photo's pixels
    photo = MeanSubtraction(-means.rMean, -means.gMean, -means.bMean, name="add_mean")(patches)
    resized = keras.layers.Resizing(size, size, name="to_feature_size")(photo)
    features = backbone(ApplicationPreprocessing(extractor.name)(resized))
    head = keras.layers.Dense(int(logits.outputs[0].shape[-1]), name="head")
    outputs = head(keras.layers.Dropout(dropout)(features))
    head.set_weights(logits.get_layer("head").get_weights())
    probabilities = keras.layers.Softmax(dtype="float32")(outputs)
    return keras.Model(patches, probabilities, name="finetuned_end_to_end")


def copy_top(network, logits) -> None:
    """Set `logits`'s top and head to the weights of the same layers of
    `network` (`end_to_end_network`), found by name."""
    backbone = next(lay for lay in network.layers if isinstance(lay, keras.Model))
    for outer in logits.layers:
        for lay in outer.layers if isinstance(outer, keras.Model) else [outer]:
            if not lay.weights:
                continue
            if lay.name == "head":
                source = network.get_layer("head")
            else:
                source = backbone.get_layer(lay.name)
            lay.set_weights(source.get_weights())


class ValidationLogLoss(keras.callbacks.Callback):
    """After each epoch: the trained network's top copied into `logits`,
    its validation log loss on `val` = (cached activations, labels), the
    best weights kept in `runDir`, and training stopped after `patience`
    epochs without a lower one -- the state written to `runDir` before the
    epoch's checkpoint, so that a resumed run goes on as if unbroken.
    `state`: that of a resumed run, or None to start at epoch 0 (`logits`
    as it is)."""

    def __init__(self, logits, val, patience, runDir, state, log):
        super().__init__()
        self.logits = logits
        self.val = val
        self.patience = patience
        self.statePath = os.path.join(runDir, STATE_FILE)
        self.runDir = runDir
        self.log = log
        if state is None:
            state = {"history": [scored_epoch(logits, val, 0, log)], "train_history": []}
            self.save_best(0)
        self.history = state["history"]
        self.trainHistory = state["train_history"]
        self.write()

    @property
    def weightBytes(self) -> int:
        return sum(w.nbytes for w in self.logits.get_weights())

    @property
    def best(self) -> int:
        return int(np.argmin(self.history))

    def finished(self, epochs: int) -> bool:
        trained = len(self.history) - 1
        return trained >= epochs or trained - self.best >= self.patience

    def best_path(self, epoch: int) -> str:
        return os.path.join(self.runDir, BEST_FILES.format(epoch))

    def save_best(self, epoch: int) -> None:
        path = self.best_path(epoch)
        with open(path + ".part", "wb") as out:
            np.savez(out, *self.logits.get_weights(), epoch=epoch)
        os.replace(path + ".part", path)

    def on_epoch_begin(self, epoch, logs=None):
        # the last epoch's checkpoint is written: no resume goes back before
        # the best epoch, so the files of earlier bests are not needed
        for path in glob.glob(os.path.join(glob.escape(self.runDir), BEST_GLOB)):
            if path != self.best_path(self.best):
                remove_regular_file(path)

    def write(self) -> None:
        write_json(self.statePath, {"history": self.history, "train_history": self.trainHistory,
                                    "best_epoch": self.best})  # fmt: skip

    def on_epoch_end(self, epoch, logs=None):
        if not math.isfinite(logs["loss"]):
            return  # diverged: the training stops and says so; nothing to score
        copy_top(self.model.network, self.logits)
        trained = len(self.history)
        self.history.append(scored_epoch(self.logits, self.val, trained, self.log))
        self.trainHistory.append(float(logs["loss"]))
        if self.best == trained:
            self.save_best(trained)
        self.write()
        if trained - self.best >= self.patience:
            self.model.stop_training = True

    def result(self) -> dict:
        """`train_top`'s record, `logits` set to the best epoch's weights."""
        bestPath = self.best_path(self.best)
        # at most the weights, the epoch and the archive's own records
        check_input(bestPath, "the best epoch's weights", 2 * self.weightBytes + 2**20,
                    followLinks=False)  # fmt: skip
        try:
            with np.load(bestPath, allow_pickle=False) as saved:
                (epoch, weights) = (int(saved["epoch"]), [saved[f"arr_{i}"] for i in
                                                          range(len(saved.files) - 1)])  # fmt: skip
            self.logits.set_weights(weights)
        except (OSError, KeyError, ValueError, zipfile.BadZipFile) as error:
            raise ValueError(f"{bestPath} is not the best epoch's weights as this run wrote "
                             f"them ({error}): {FINETUNE_FIX}") from None  # fmt: skip
        if epoch != self.best:
            raise ValueError(f"{bestPath} holds epoch {epoch}, not the best, {self.best}: "
                             f"{FINETUNE_FIX}")  # fmt: skip
        return {"best_epoch": self.best, "history": self.history,
                "train_history": self.trainHistory}  # fmt: skip
