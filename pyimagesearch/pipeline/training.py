"""Train AlexNet the book's way (chapter 9): random 227x227 patches, mean
subtraction and augmentation for training; resize and mean subtraction for
validation; Adam, L2 weight decay, categorical cross-entropy; a checkpoint
every epoch, so that a killed run resumes on the same curve.

The training split is streamed from HDF5, held in RAM, or held on the
accelerator (`cache`, see `pyimagesearch.pipeline.cache`): with "device"
each step receives a batch of row indices and gathers, patches, subtracts
the mean and augments inside the compiled step.
"""

from __future__ import annotations

import os
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
    inputSize: int = 227,
    reg: float = 0.0002,
    seed: int = 42,
    resume: bool = False,
    workers: int = 4,
    mixedPrecision: bool = False,
    cache: str = "auto",
    augmentation: list[keras.Layer] | None = None,
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
        inputSize: AlexNet's input is inputSize x inputSize (>= 57).
        seed: seeds the weights, the patches, the augmentation and the
            batch order.
        resume: continue from the newest checkpoint in `outputDir` (with
            the cache mode it was trained with: "device" or not).
        workers: threads that prepare batches (cache "none" and "memory").
        mixedPrecision: compute in float16 (the softmax stays float32).
        cache: "none" (stream from HDF5), "memory" (the uint8 split in RAM),
            "device" (the uint8 split on the accelerator) or "auto".
        augmentation: Keras layers run before the network while training
            (default: `ImageAugmenter` with the book's parameters).
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
    with output_lock(outputDir, modelPath):
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
            model = load_model(checkpoint)
            save_model(network_of(model), modelPath, stored_label_names(trainPath))
            return None

        log(f"[INFO] training with {describe()}")
        keras.utils.set_random_seed(seed)
        keras.mixed_precision.set_global_policy("mixed_float16" if mixedPrecision else "float32")

        means = MeanPreprocessor.from_json(meanPath)
        labelNames = stored_label_names(trainPath)
        with open_hdf5(trainPath) as db:
            (count, *shape) = db["images"].shape if "images" in db else (0,)
        (mode, reason) = choose_cache(cache, split_bytes(shape, count))
        log(f"[INFO] cache: {mode} -- {reason}")
        # "device" reads the split into RAM once, to copy it to the accelerator
        trainGen = HDF5DatasetGenerator(
            trainPath,
            batchSize,
            [PatchPreprocessor(inputSize, inputSize), means],
            classes=len(labelNames),
            shuffle=True,
            seed=seed,
            workers=workers,
            inMemory=mode != "none",
        )
        valGen = HDF5DatasetGenerator(
            valPath,
            batchSize,
            [SimplePreprocessor(inputSize, inputSize), means],
            classes=len(labelNames),
            workers=workers,
            inMemory=mode != "none",
        )
        with trainGen, valGen:
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
                network = AlexNet.build(inputSize, inputSize, 3, len(labelNames), reg=reg)
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
                    loss="categorical_crossentropy",
                    optimizer=keras.optimizers.Adam(learning_rate=learningRate),
                    metrics=["accuracy"],
                )
            network = network_of(model)
            callbacks = [
                TrainingMonitor(
                    os.path.join(outputDir, "alexnet.png"),
                    jsonPath=os.path.join(outputDir, "alexnet.json"),
                    startAt=done,
                ),
                EpochCheckpoint(outputDir, startAt=done),
            ]
            options = dict(epochs=epochs, initial_epoch=done, verbose=verbose)
            if mode == "device":
                onehot = np.eye(len(labelNames), dtype="float32")[trainGen.labels]
                indices = np.arange(trainGen.numImages, dtype="int32")[:, None]
                history = model.fit(
                    indices,
                    onehot,
                    batch_size=batchSize,
                    shuffle=True,
                    callbacks=[HostValidation(network, valGen), *callbacks],
                    **options,
                )
            else:
                history = model.fit(
                    trainGen, validation_data=valGen, callbacks=callbacks, **options
                )
        log(f"[INFO] serializing model to {modelPath}...")
        save_model(network, modelPath, labelNames)
        return history
