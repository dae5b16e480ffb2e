"""Train AlexNet the book's way (chapter 9): random 227x227 patches, mean
subtraction and augmentation for training; resize and mean subtraction for
validation; Adam, L2 weight decay, categorical cross-entropy; a checkpoint
every epoch -- on one device, or data-parallel over several devices and
processes (`pyimagesearch.nn.parallel.replicas`).

A killed run resumes on the same curve: the checkpoint holds the weights
and the optimizer, the batch order and the random patches of epoch `e`
come from (seed, e), and `EpochSeeds` sets Keras's random layers (dropout,
augmentation) from (seed, e) too.

How the training split reaches the network is a feed
(`pyimagesearch.pipeline.feeds`): streamed from HDF5, held in RAM, or held
on the accelerator.
"""

from __future__ import annotations

import contextlib
import dataclasses
import inspect
import math
import os
import tempfile
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from pyimagesearch import bookdefaults as book
from pyimagesearch.errors import ArgumentError
from pyimagesearch.utils.parallel import DEFAULT_WORKERS

if TYPE_CHECKING:  # Keras is imported when training, not with this module
    import keras

# the book's recipe
AUGMENTATION = dict(
    rotation_range=20,
    zoom_range=0.15,
    width_shift_range=0.2,
    height_shift_range=0.2,
    shear_range=0.15,
    horizontal_flip=True,
    fill_mode="nearest",
)
SMALLEST_INPUT = 57  # AlexNet's convolutions and pools need at least this


@dataclasses.dataclass(frozen=True)
class TrainingResult:
    """What `train_alexnet` did: Keras's `history` (None when a resumed
    run had already trained every epoch and only wrote its final model),
    the `devices` it trained on and how (`distribution`), the training
    split's `cache` mode and `cacheReason`, the `learningRate` its
    optimizer used and the images of one step (`stepImages`); the last
    four are None when nothing was trained."""

    history: keras.callbacks.History | None
    devices: str
    distribution: str
    cache: str | None = None
    cacheReason: str | None = None
    learningRate: float | None = None
    stepImages: int | None = None


@dataclasses.dataclass(frozen=True)
class TrainConfig:
    """What a training run is given: `train_alexnet`'s arguments.

    Args:
        trainPath, valPath: the HDF5 training and validation splits.
        meanPath: the training split's mean JSON.
        outputDir: gets alexnet.png (the plot), alexnet.json (the history)
            and checkpoint-epoch-NNN.keras.
        modelPath: the trained network, a .keras file with the class names.
        epochs: the total, counting the epochs of a resumed run.
        batchSize: images per device in a step; a step takes batchSize
            times the devices of the run.
        learningRate: Adam's rate on one device (the book's 1e-3 for its
            batch of 128).
        scaleLearningRate: on N devices, use learningRate * sqrt(N)
            (`scaled_learning_rate`); False uses learningRate as given.
        inputSize: AlexNet's input is inputSize x inputSize (>= 57).
        reg: AlexNet's L2 weight decay.
        weightDecay: the optimizer's decoupled weight decay (Adam then
            is AdamW); 0: none, as the book trains.
        seed: seeds the weights, the patches, the augmentation and the
            batch order.
        resume: continue from the newest checkpoint in `outputDir` (with
            the cache mode it was trained with: "device" or not, and the
            same `seed`); its optimizer takes the learning rate given here.
        workers: threads that prepare batches (cache "none" and "memory").
        mixedPrecision: compute in float16 (the softmax stays float32).
        cache: "none" (stream from HDF5), "memory" (the uint8 split in RAM),
            "device" (the uint8 split on the accelerator; each device holds
            all of it; one process only) or "auto".
        augmentation: Keras layers run before the network while training
            (default: `ImageAugmenter` with the book's parameters).
        buildNetwork: (inputSize, classes) -> the network to train (its
            outputs probabilities), called where its variables belong (on
            every device of the run); default: AlexNet with L2 `reg`.
        callbacks: more Keras callbacks, each epoch's run before its
            checkpoint is written.
        distribute: "none", "data-parallel" or "auto"
            (`pyimagesearch.nn.parallel.replicas.choose_replicas`). With
            several processes (`join_processes` first), each reads its own
            shard of the splits and only process 0 writes files.
        verbose: Keras's `fit` verbosity.
        log: called with each progress message.
    """

    trainPath: str | os.PathLike
    valPath: str | os.PathLike
    meanPath: str | os.PathLike
    outputDir: str | os.PathLike
    modelPath: str | os.PathLike
    epochs: int = book.EPOCHS
    batchSize: int = book.BATCH_SIZE
    learningRate: float = book.LEARNING_RATE
    scaleLearningRate: bool = True
    inputSize: int = book.INPUT_SIZE
    reg: float = book.L2_REG
    weightDecay: float = 0.0
    seed: int = book.SEED
    resume: bool = False
    workers: int = DEFAULT_WORKERS
    mixedPrecision: bool = False
    cache: str = "auto"
    augmentation: list[keras.Layer] | None = None
    buildNetwork: Callable[[int, int], keras.Model] | None = None
    callbacks: tuple[keras.callbacks.Callback, ...] = ()
    distribute: str = "auto"
    verbose: int = 2
    log: Callable[[str], Any] = print

    def __post_init__(self):
        if self.buildNetwork is None and self.inputSize < SMALLEST_INPUT:
            raise ArgumentError(
                "inputSize",
                f"{self.inputSize} is too small for AlexNet: use {SMALLEST_INPUT} or more",
            )


def train_alexnet(*args, **kwargs) -> TrainingResult:
    """Train (or resume) AlexNet on HDF5 splits written by `build_dataset`,
    as `TrainConfig(*args, **kwargs)` says (see it for each argument):
    `train_alexnet(trainPath, valPath, meanPath, outputDir, modelPath,
    epochs=..., ...)`. Returns a `TrainingResult` (its `history`: Keras's
    `History`)."""
    return train(TrainConfig(*args, **kwargs))


# help() and editors show the arguments themselves, not *args, **kwargs
train_alexnet.__signature__ = inspect.signature(TrainConfig).replace(
    return_annotation=TrainingResult
)


def train(config: TrainConfig) -> TrainingResult:
    """Train (or resume) AlexNet as `config` says; see `train_alexnet`."""
    import keras

    from pyimagesearch.nn.parallel.devices import describe
    from pyimagesearch.nn.parallel.replicas import choose_replicas

    check_outputs(config)  # before hours of training, not after
    replicas = choose_replicas(config.distribute)
    ran = dict(devices=describe(), distribution=replicas.describe())
    log = config.log
    with RunOutputs(config.outputDir, config.modelPath, replicas.isChief) as outputs:
        (checkpoint, done) = outputs.checkpoint(config.resume, config.epochs)
        if done >= config.epochs:
            # the run finished, but its final save did not: write it now
            log(f"[INFO] {checkpoint} has trained all {done} epochs: writing {config.modelPath}")
            outputs.save_network(checkpoint, replicas, config.trainPath)
            return TrainingResult(None, **ran)
        log(f"[INFO] training with {ran['devices']}, {ran['distribution']}")
        with precision_policy("mixed_float16" if config.mixedPrecision else "float32"):
            (feed, reason) = open_feed(config, replicas)
            log(f"[INFO] cache: {feed.mode} -- {reason}")
            with feed, replicas.scope():
                model = compiled_model(config, feed, outputs, checkpoint, done, replicas.devices)
                ran.update(
                    cache=feed.mode,
                    cacheReason=reason,
                    learningRate=float(keras.ops.convert_to_numpy(model.optimizer.learning_rate)),
                    stepImages=replicas.devices * config.batchSize,
                )
                log(
                    f"[INFO] {replicas.devices} device(s) x {config.batchSize} images = "
                    f"{ran['stepImages']} per step; learning rate {ran['learningRate']:.6g}"
                )
                history = fit(config, model, feed, outputs, done, replicas.processCount)
                log(f"[INFO] serializing model to {config.modelPath}...")
                outputs.save(model.network, feed.labelNames)
            return TrainingResult(history, **ran)


def check_outputs(config: TrainConfig) -> None:
    """Raise unless the model can be written where `config` says, apart
    from the inputs and from each other."""
    from pyimagesearch.nn.modelfiles import check_keras_path
    from pyimagesearch.utils.files import check_distinct, check_writable

    check_keras_path(config.modelPath)
    check_writable(config.modelPath)
    written = [os.path.join(config.outputDir, name) for name in ("alexnet.json", "alexnet.png")]
    check_distinct(
        [("modelPath", config.modelPath),
         *(("outputDir", path) for path in (config.outputDir, *written))],
        [("trainPath", config.trainPath), ("valPath", config.valPath),
         ("meanPath", config.meanPath)],
    )  # fmt: skip


def open_feed(config: TrainConfig, replicas):
    """(the feed of the training split, why that cache mode), seeded."""
    import keras

    from pyimagesearch.pipeline.feeds import make_feed
    from pyimagesearch.preprocessing import MeanPreprocessor

    keras.utils.set_random_seed(config.seed)
    means = MeanPreprocessor.from_json(config.meanPath)
    return make_feed(
        config.cache, config.trainPath, config.valPath, means, config.inputSize,
        config.batchSize, config.seed, config.workers, replicas=replicas,
    )  # fmt: skip


def compiled_model(config, feed, outputs, checkpoint, done, devices):
    """The compiled training model: new, or resumed from `checkpoint`
    (after `done` epochs), its optimizer at the run's learning rate."""
    import keras

    from pyimagesearch.nn.parallel.replicas import scaled_learning_rate

    learningRate = config.learningRate
    if config.scaleLearningRate:
        learningRate = scaled_learning_rate(learningRate, devices)
    if checkpoint is not None:
        config.log(f"[INFO] resuming from {checkpoint} after epoch {done}...")
        model = outputs.load(checkpoint)
        feed.check(model, checkpoint)
        model.optimizer.learning_rate.assign(learningRate)
        return model
    config.log("[INFO] compiling model...")
    classes = len(feed.labelNames)
    if config.buildNetwork is None:
        network = alexnet(config.inputSize, classes, config.reg)
    else:
        network = config.buildNetwork(config.inputSize, classes)
    augmentation = config.augmentation
    if augmentation is None:
        augmentation = [default_augmentation(config.seed)]
    model = feed.training_model(network, augmentation)
    optimizer = keras.optimizers.Adam(learningRate, weight_decay=config.weightDecay or None)
    model.compile(optimizer=optimizer)
    return model


def fit(config, model, feed, outputs, done, processCount):
    """Train `model` from epoch `done` to `config.epochs`, a checkpoint at
    each epoch's end; Keras's `History`, its losses checked finite."""
    import keras

    from pyimagesearch.callbacks import EpochSeeds, StopTogether

    feed.start_at(done)
    fitArguments = feed.fit_arguments(model)
    callbacks = [
        *fitArguments.pop("callbacks"),
        keras.callbacks.TerminateOnNaN(),
        EpochSeeds(config.seed),
        *config.callbacks,
        *([StopTogether()] if processCount > 1 else []),
        *outputs.callbacks(done),
    ]
    history = model.fit(
        **fitArguments,
        epochs=config.epochs,
        initial_epoch=done,
        callbacks=callbacks,
        verbose=config.verbose,
    )
    check_converged(history, done)
    return history


@contextlib.contextmanager
def precision_policy(name):
    """Keras's global dtype policy set to `name` while the block runs, and
    the caller's restored after: a float16 policy left behind would build
    every later model of the process (the chapter's backbone) in float16."""
    import keras

    previous = keras.mixed_precision.global_policy()
    keras.mixed_precision.set_global_policy(name)
    try:
        yield
    finally:
        keras.mixed_precision.set_global_policy(previous)


def check_converged(history, done):
    """Raise `ArgumentError` if the loss of an epoch of `history` (which
    started after `done` epochs) is NaN or infinite: the network is not
    saved, and no checkpoint of that epoch was written."""
    for epoch, loss in enumerate(history.history.get("loss", []), done + 1):
        if not math.isfinite(loss):
            raise ArgumentError(
                "learningRate",
                f"the loss became NaN or infinite in epoch {epoch}: training stopped, the "
                f"network was not saved and the last checkpoint is of epoch {epoch - 1}; "
                "lower the learning rate",
            )


def alexnet(inputSize, classes, reg):
    """The book's AlexNet for inputSize x inputSize x 3 images."""
    from pyimagesearch.nn.conv import AlexNet

    return AlexNet.build(inputSize, inputSize, 3, classes, reg=reg)


def default_augmentation(seed):
    """`ImageAugmenter` with the book's parameters."""
    from pyimagesearch.preprocessing import ImageAugmenter

    return ImageAugmenter(**AUGMENTATION, seed=seed)


class RunOutputs:
    """The files of a training run: checkpoints, plot and history in
    `outputDir`, the network at `modelPath`, locked while it runs.

    Only process 0 (`isChief`) writes them. The other processes of a run
    save into a scratch folder deleted at the end: saving a model gathers
    its variables, which every process must join.
    """

    def __init__(self, outputDir, modelPath, isChief):
        self.outputDir = outputDir
        self.modelPath = modelPath
        self.isChief = isChief
        self.scratch = None if isChief else tempfile.TemporaryDirectory()
        self.checkpointDir = outputDir if isChief else self.scratch.name
        self.savedPath = modelPath if isChief else os.path.join(self.scratch.name, "model.keras")
        self.stack = contextlib.ExitStack()

    def __enter__(self):
        from pyimagesearch.utils.locks import output_lock

        if self.isChief:
            self.stack.enter_context(output_lock(self.outputDir, self.modelPath))
        else:
            self.stack.enter_context(self.scratch)
        return self

    def __exit__(self, *exc_info):
        return self.stack.__exit__(*exc_info)

    def checkpoint(self, resume, epochs):
        """(the newest checkpoint or None, the epochs it trained), checked
        against `resume` and the total `epochs` asked for."""
        from pyimagesearch.callbacks import latest_checkpoint

        (checkpoint, done) = latest_checkpoint(self.outputDir)
        if not resume and checkpoint is not None:
            raise ArgumentError(
                "resume", f"{checkpoint} exists: resume that run, or write to another output folder"
            )
        if resume and checkpoint is None:
            raise FileNotFoundError(
                f"no checkpoint-epoch-*.keras in {self.outputDir} to resume from"
            )
        if done >= epochs and os.path.exists(self.modelPath):
            raise ArgumentError(
                "epochs", f"{checkpoint} has already trained {done} epochs: ask for more"
            )
        return checkpoint, done

    def load(self, checkpoint):
        """The training model saved in `checkpoint`."""
        from pyimagesearch.nn.modelfiles import load_model
        from pyimagesearch.nn.trainingmodel import TrainingModel

        model = load_model(checkpoint, training=True)
        if not isinstance(model, TrainingModel):
            raise ArgumentError(
                "resume", f"{checkpoint} was not written by this release's training: start anew"
            )
        return model

    def callbacks(self, done):
        """The checkpoint every epoch, and on process 0 the plot and history."""
        from pyimagesearch.callbacks import EpochCheckpoint, TrainingMonitor

        monitor = [
            TrainingMonitor(
                os.path.join(self.outputDir, "alexnet.png"),
                jsonPath=os.path.join(self.outputDir, "alexnet.json"),
                startAt=done,
            )
        ] if self.isChief else []  # fmt: skip
        return [*monitor, EpochCheckpoint(self.checkpointDir, startAt=done)]

    def save(self, network, labelNames):
        from pyimagesearch.nn.modelfiles import save_model

        save_model(network, self.savedPath, labelNames)

    def save_network(self, checkpoint, replicas, trainPath):
        """Write the network of a finished run's last checkpoint."""
        from pyimagesearch.io.hdf5files import stored_label_names

        with replicas.scope():
            self.save(self.load(checkpoint).network, stored_label_names(trainPath))
