"""Train AlexNet the book's way (chapter 9): random 227x227 patches, mean
subtraction and augmentation for training; resize and mean subtraction for
validation; Adam, L2 weight decay, categorical cross-entropy; a checkpoint
every epoch, so that a killed run resumes on the same curve -- on one
device, or data-parallel over several devices and processes
(`pyimagesearch.pipeline.distribution`).

The training split is streamed from HDF5, held in RAM, or held on the
accelerator (`cache`, see `pyimagesearch.pipeline.cache`): with "device"
each step receives a batch of row indices and gathers, patches, subtracts
the mean and augments inside the compiled step.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np

from pyimagesearch.errors import ArgumentError

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


def training_model(network: keras.Model, augmentation: list[keras.Layer]) -> keras.Sequential:
    """`network` behind the augmentation layers, as one `keras.Sequential`.

    The augmentation runs inside the model -- on the GPU when there is one,
    and only while training. Any Keras layers work (`ImageAugmenter`,
    `keras.layers.RandomFlip`, ...). Save `network` itself, the last layer,
    for inference.
    """
    import keras

    return keras.Sequential(
        [keras.Input(network.input_shape[1:]), *augmentation, network],
        name=f"{network.name}_training",
    )


def device_feeder(rows, inputSize, means, seed):
    """The layers that turn a batch of row indices into mean-subtracted
    random patches on the device: `DeviceRows`, `RandomPatch`,
    `MeanSubtraction`."""
    from pyimagesearch.io.devicerows import DeviceRows
    from pyimagesearch.preprocessing.meansubtraction import MeanSubtraction
    from pyimagesearch.preprocessing.randompatch import RandomPatch

    return [
        DeviceRows(rows),
        RandomPatch(inputSize, inputSize, seed=seed),
        MeanSubtraction(means.rMean, means.gMean, means.bMean),
    ]


def network_of(model: keras.Model) -> keras.Model:
    """The trained network inside a training model: its last layer, or the
    last layer of the training model that a device-fed model ends with."""
    last = model.layers[-1]
    return network_of(last) if last.name.endswith("_training") else last


def train_alexnet(
    trainPath: str | os.PathLike,
    valPath: str | os.PathLike,
    meanPath: str | os.PathLike,
    outputDir: str | os.PathLike,
    modelPath: str | os.PathLike,
    epochs: int = 75,
    batchSize: int = 128,
    learningRate: float = 1e-3,
    scaleLearningRate: bool = True,
    inputSize: int = 227,
    reg: float = 0.0002,
    seed: int = 42,
    resume: bool = False,
    workers: int = 4,
    mixedPrecision: bool = False,
    cache: str = "auto",
    augmentation: list[keras.Layer] | None = None,
    buildNetwork: Callable[[int, int], keras.Model] | None = None,
    distribute: str = "auto",
    verbose: int = 2,
    log: Callable[[str], Any] = print,
) -> keras.callbacks.History | None:
    """Train (or resume) AlexNet on HDF5 splits written by `build_dataset`.

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
        seed: seeds the weights, the patches, the augmentation and the
            batch order.
        resume: continue from the newest checkpoint in `outputDir` (with
            the cache mode it was trained with: "device" or not).
        workers: threads that prepare batches (cache "none" and "memory").
        mixedPrecision: compute in float16 (the softmax stays float32).
        cache: "none" (stream from HDF5), "memory" (the uint8 split in RAM),
            "device" (the uint8 split on the accelerator; each device holds
            all of it; one process only) or "auto".
        augmentation: Keras layers run before the network while training
            (default: `ImageAugmenter` with the book's parameters).
        buildNetwork: (inputSize, classes) -> the network to train, called
            where its variables belong (on every device of the run);
            default: AlexNet with L2 `reg`.
        distribute: "none", "data-parallel" or "auto"
            (`pyimagesearch.pipeline.distribution.choose_replicas`). With
            several processes (`join_processes` first), each reads its own
            shard of the splits and only process 0 writes files.
        log: called with each progress message.

    Returns the Keras `History` (None when a resumed run had already
    trained every epoch and only its final model was missing).
    """
    import keras

    from pyimagesearch.callbacks import EpochCheckpoint, TrainingMonitor, latest_checkpoint
    from pyimagesearch.callbacks.hostvalidation import HostValidation
    from pyimagesearch.io.hdf5datasetgenerator import HDF5DatasetGenerator
    from pyimagesearch.io.hdf5files import open_hdf5, stored_label_names
    from pyimagesearch.nn.conv import AlexNet
    from pyimagesearch.nn.modelfiles import check_keras_path, load_model, save_model
    from pyimagesearch.pipeline.cache import choose_cache, split_bytes
    from pyimagesearch.pipeline.distribution import choose_replicas, scaled_learning_rate
    from pyimagesearch.preprocessing import (
        ImageAugmenter,
        MeanPreprocessor,
        PatchPreprocessor,
        SimplePreprocessor,
    )
    from pyimagesearch.utils.devices import describe
    from pyimagesearch.utils.files import check_writable
    from pyimagesearch.utils.locks import output_lock

    if inputSize < SMALLEST_INPUT:
        raise ArgumentError(
            "inputSize", f"{inputSize} is too small for AlexNet: use {SMALLEST_INPUT} or more"
        )
    check_keras_path(modelPath)  # before hours of training, not after
    check_writable(modelPath)
    replicas = choose_replicas(distribute)
    # processes other than 0 save into a folder of their own that is then
    # deleted: saving a model gathers its variables, which all must join
    scratch = None if replicas.isChief else tempfile.TemporaryDirectory()
    (checkpointDir, savedPath) = (
        (outputDir, modelPath)
        if scratch is None
        else (scratch.name, os.path.join(scratch.name, "model.keras"))
    )
    lock = output_lock(outputDir, modelPath) if scratch is None else contextlib.nullcontext()
    with lock, scratch or contextlib.nullcontext():
        checkpoint, done = latest_checkpoint(outputDir)
        if not resume and checkpoint is not None:
            raise ArgumentError(
                "resume", f"{checkpoint} exists: resume that run, or write to another output folder"
            )
        if resume and checkpoint is None:
            raise FileNotFoundError(f"no checkpoint-epoch-*.keras in {outputDir} to resume from")
        if done >= epochs and os.path.exists(modelPath):
            raise ArgumentError(
                "epochs", f"{checkpoint} has already trained {done} epochs: ask for more"
            )
        if done >= epochs:
            # the run finished, but its final save did not: write it now
            log(f"[INFO] {checkpoint} has trained all {done} epochs: writing {modelPath}")
            with replicas.scope():
                model = load_model(checkpoint)
                save_model(network_of(model), savedPath, stored_label_names(trainPath))
            return None

        log(f"[INFO] training with {describe()}, {replicas.describe()}")
        if scaleLearningRate:
            learningRate = scaled_learning_rate(learningRate, replicas.devices)
        log(
            f"[INFO] {replicas.devices} device(s) x {batchSize} images = "
            f"{replicas.devices * batchSize} per step; learning rate {learningRate:.6g}"
        )
        keras.utils.set_random_seed(seed)
        keras.mixed_precision.set_global_policy("mixed_float16" if mixedPrecision else "float32")

        means = MeanPreprocessor.from_json(meanPath)
        labelNames = stored_label_names(trainPath)
        with open_hdf5(trainPath) as db:
            (count, *shape) = db["images"].shape if "images" in db else (0,)
        (mode, reason) = choose_cache(cache, split_bytes(shape, count))
        if mode == "device" and replicas.processCount > 1:
            if cache == "device":
                raise ArgumentError(
                    "cache",
                    "device holds the whole split on every device, which processes "
                    "reading shards cannot: use memory or none",
                )
            (mode, reason) = ("memory", f"{reason}; but each process holds only its shard")
        log(f"[INFO] cache: {mode} -- {reason}")
        split = dict(
            classes=len(labelNames),
            workers=workers,
            inMemory=mode != "none",
            shardIndex=replicas.processIndex,
            shardCount=replicas.processCount,
            padTo=replicas.localDevices,
        )
        batchOfProcess = batchSize * replicas.localDevices
        # "device" reads the split into RAM once, to copy it to the accelerator
        trainGen = HDF5DatasetGenerator(
            trainPath,
            batchOfProcess,
            [PatchPreprocessor(inputSize, inputSize), means],
            shuffle=True,
            seed=seed,
            **split,
        )
        valGen = HDF5DatasetGenerator(
            valPath,
            batchOfProcess,
            [SimplePreprocessor(inputSize, inputSize), means],
            seed=seed,
            **split,
        )
        with trainGen, valGen, replicas.scope():
            trainGen.check_image_size(inputSize)
            valGen.check_image_size(inputSize)
            trainGen.epoch = done  # the batches a run killed after `done` epochs would have seen
            rows = trainGen.data
            if checkpoint is not None:
                log(f"[INFO] resuming from {checkpoint} after epoch {done}...")
                model = load_model(checkpoint)
                onDevice = type(model.layers[0]).__name__ == "DeviceRows"
                if onDevice != (mode == "device"):
                    raise ArgumentError(
                        "cache",
                        f"{checkpoint} was trained with the cache "
                        f"{'device' if onDevice else 'none or memory'}; "
                        "resume with the same",
                    )
                if onDevice:
                    model.layers[0].assign(rows)
            else:
                log("[INFO] compiling model...")
                if buildNetwork is None:
                    network = AlexNet.build(inputSize, inputSize, 3, len(labelNames), reg=reg)
                else:
                    network = buildNetwork(inputSize, len(labelNames))
                if augmentation is None:
                    augmentation = [ImageAugmenter(**AUGMENTATION, seed=seed)]
                model = training_model(network, augmentation)
                if mode == "device":
                    model = keras.Sequential(
                        [
                            keras.Input((1,), dtype="int32"),
                            *device_feeder(rows, inputSize, means, seed),
                            model,
                        ],
                        name="alexnet_device",
                    )
                model.compile(
                    # the mean over the rows of weight 1: padding rows count for nothing
                    loss=keras.losses.CategoricalCrossentropy(reduction="mean_with_sample_weight"),
                    optimizer=keras.optimizers.Adam(learning_rate=learningRate),
                    metrics=["accuracy"],
                )
            network = network_of(model)
            callbacks = [
                TrainingMonitor(
                    os.path.join(outputDir, "alexnet.png"),
                    jsonPath=os.path.join(outputDir, "alexnet.json"),
                    startAt=done,
                )
            ] if replicas.isChief else []  # fmt: skip
            callbacks.append(EpochCheckpoint(checkpointDir, startAt=done))
            options = dict(epochs=epochs, initial_epoch=done, verbose=verbose)
            if mode == "device":
                history = model.fit(
                    **device_rows(trainGen.labels, len(labelNames), split["padTo"]),
                    batch_size=batchOfProcess,
                    shuffle=True,
                    callbacks=[HostValidation(network, valGen), *callbacks],
                    **options,
                )
            else:
                # the generator orders its batches by the seed: Keras's own
                # shuffle would reorder them with Python's `random`
                history = model.fit(
                    trainGen, validation_data=valGen, shuffle=False, callbacks=callbacks, **options
                )
            log(f"[INFO] serializing model to {modelPath}...")
            save_model(network, savedPath, labelNames)
        return history


def device_rows(labels, classes, padTo):
    """`fit`'s x (row indices), y (one-hot labels) and, when `padTo` > 1,
    sample_weight for a split held on the device: padded to a multiple of
    `padTo` rows with weight-0 copies, so that every batch of a multiple of
    `padTo` rows splits evenly among the devices."""
    from pyimagesearch.utils.padding import padded_rows, round_up

    indices = np.arange(len(labels), dtype="int32")[:, None]
    onehot = np.eye(classes, dtype="float32")[labels]
    if padTo == 1:
        return dict(x=indices, y=onehot)
    (copies, weights) = padded_rows(len(labels), round_up(len(labels), padTo))
    return dict(x=indices[copies], y=onehot[copies], sample_weight=weights)
