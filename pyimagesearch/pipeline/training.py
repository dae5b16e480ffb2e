"""Train AlexNet the book's way (chapter 9): random 227x227 patches, mean
subtraction and augmentation for training; resize and mean subtraction for
validation; Adam, L2 weight decay, categorical cross-entropy; a checkpoint
every epoch, so that a killed run resumes on the same curve."""

import os

from pyimagesearch.errors import ArgumentError

# the book's recipe
AUGMENTATION = dict(
    rotation_range=20, zoom_range=0.15, width_shift_range=0.2, height_shift_range=0.2,
    shear_range=0.15, horizontal_flip=True, fill_mode="nearest",
)
SMALLEST_INPUT = 57  # AlexNet's convolutions and pools need at least this


def training_model(network, augmentation):
    """`network` behind the augmentation layers, as one `keras.Sequential`.

    The augmentation runs inside the model -- on the GPU when there is one,
    and only while training. Any Keras layers work (`ImageAugmenter`,
    `keras.layers.RandomFlip`, ...). Save `network` itself, the last layer,
    for inference.
    """
    import keras

    return keras.Sequential([keras.Input(network.input_shape[1:]), *augmentation, network],
                            name=f"{network.name}_training")


def train_alexnet(trainPath, valPath, meanPath, outputDir, modelPath, epochs=75, batchSize=128,
                  learningRate=1e-3, inputSize=227, reg=0.0002, seed=42, resume=False, workers=4,
                  mixedPrecision=False, augmentation=None, verbose=2, log=print):
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
        resume: continue from the newest checkpoint in `outputDir`.
        workers: threads that prepare batches.
        mixedPrecision: compute in float16 (the softmax stays float32).
        augmentation: Keras layers run before the network while training
            (default: `ImageAugmenter` with the book's parameters).
        log: called with each progress message.

    Returns the Keras `History`.
    """
    import keras

    from pyimagesearch.callbacks import EpochCheckpoint, TrainingMonitor, latest_checkpoint
    from pyimagesearch.io.hdf5datasetgenerator import HDF5DatasetGenerator, stored_label_names
    from pyimagesearch.nn.conv import AlexNet
    from pyimagesearch.nn.modelfiles import check_keras_path, load_model, save_model
    from pyimagesearch.preprocessing import (
        ImageAugmenter, MeanPreprocessor, PatchPreprocessor, SimplePreprocessor,
    )
    from pyimagesearch.utils.devices import describe

    if inputSize < SMALLEST_INPUT:
        raise ArgumentError("inputSize", f"{inputSize} is too small for AlexNet: use "
                                         f"{SMALLEST_INPUT} or more")
    check_keras_path(modelPath)  # before hours of training, not after
    checkpoint, done = latest_checkpoint(outputDir)
    if not resume and checkpoint is not None:
        raise ArgumentError("resume", f"{checkpoint} exists: resume that run, or write to "
                                      "another output folder")
    if resume and checkpoint is None:
        raise FileNotFoundError(f"no checkpoint-epoch-*.keras in {outputDir} to resume from")
    if done >= epochs:
        raise ArgumentError("epochs", f"{checkpoint} has already trained {done} epochs: "
                                      "ask for more")

    log(f"[INFO] training with {describe()}")
    keras.utils.set_random_seed(seed)
    keras.mixed_precision.set_global_policy("mixed_float16" if mixedPrecision else "float32")

    means = MeanPreprocessor.from_json(meanPath)
    labelNames = stored_label_names(trainPath)
    trainGen = HDF5DatasetGenerator(
        trainPath, batchSize, [PatchPreprocessor(inputSize, inputSize), means],
        classes=len(labelNames), shuffle=True, seed=seed, workers=workers,
    )
    valGen = HDF5DatasetGenerator(
        valPath, batchSize, [SimplePreprocessor(inputSize, inputSize), means],
        classes=len(labelNames), workers=workers,
    )
    with trainGen, valGen:
        trainGen.check_image_size(inputSize)
        valGen.check_image_size(inputSize)
        trainGen.epoch = done  # the batches a run killed after `done` epochs would have seen
        if checkpoint is not None:
            log(f"[INFO] resuming from {checkpoint} after epoch {done}...")
            model = load_model(checkpoint)
        else:
            log("[INFO] compiling model...")
            network = AlexNet.build(inputSize, inputSize, 3, len(labelNames), reg=reg)
            if augmentation is None:
                augmentation = [ImageAugmenter(**AUGMENTATION, seed=seed)]
            model = training_model(network, augmentation)
            model.compile(loss="categorical_crossentropy",
                          optimizer=keras.optimizers.Adam(learning_rate=learningRate),
                          metrics=["accuracy"])
        callbacks = [
            TrainingMonitor(os.path.join(outputDir, "alexnet.png"),
                            jsonPath=os.path.join(outputDir, "alexnet.json"), startAt=done),
            EpochCheckpoint(outputDir, startAt=done),
        ]
        history = model.fit(trainGen, validation_data=valGen, epochs=epochs, initial_epoch=done,
                            callbacks=callbacks, verbose=verbose)
    log(f"[INFO] serializing model to {modelPath}...")
    save_model(model.layers[-1], modelPath, labelNames)
    return history
