"""Train AlexNet on the Dogs vs Cats HDF5 files with the book's recipe
(the book's train_alexnet.py): 227x227 random patches, mean subtraction
and augmentation for training; resize and mean subtraction for validation;
Adam, L2 weight decay, categorical cross-entropy."""

import os
import sys

if __package__ in (None, ""):  # run as a file: make the project importable
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from dogs_vs_cats.config import dogs_vs_cats_config as config  # noqa: E402
from pyimagesearch.utils.cli import (  # noqa: E402
    ArgumentParser, positive_float, positive_int, run,
)


def make_parser():
    parser = ArgumentParser(prog=os.path.basename(__file__), description=__doc__)
    parser.add_argument("--train", default=config.TRAIN_HDF5, help="training HDF5 file")
    parser.add_argument("--val", default=config.VAL_HDF5, help="validation HDF5 file")
    parser.add_argument("--mean", default=config.DATASET_MEAN, help="mean JSON file")
    parser.add_argument("--output", default=config.OUTPUT_PATH,
                        help="folder for the plot, the history JSON and the checkpoints")
    parser.add_argument("--model", default=config.MODEL_PATH, help="the trained .keras model")
    parser.add_argument("--epochs", type=positive_int, default=config.EPOCHS,
                        help="total epochs (a resumed run counts the epochs already done)")
    parser.add_argument("--batch-size", type=positive_int, default=config.BATCH_SIZE)
    parser.add_argument("--lr", type=positive_float, default=config.LEARNING_RATE,
                        help="Adam's learning rate")
    parser.add_argument("--input-size", type=positive_int, default=config.INPUT_SIZE,
                        help="AlexNet's input is input-size x input-size (at least 57)")
    parser.add_argument("--seed", type=int, default=config.SEED,
                        help="seeds the weights, patches, augmentation and batch order")
    parser.add_argument("--resume", action="store_true",
                        help="continue from the newest checkpoint in --output")
    parser.add_argument("--workers", type=positive_int, default=min(4, os.cpu_count()),
                        help="threads that prepare batches")
    parser.add_argument("--mixed-precision", action="store_true",
                        help="compute in float16 on a GPU (mixed_float16 policy)")
    return parser


def train(args):
    import keras
    import tensorflow as tf

    from pyimagesearch.callbacks import EpochCheckpoint, TrainingMonitor, latest_checkpoint
    from pyimagesearch.io import HDF5DatasetGenerator
    from pyimagesearch.nn.chain import chain
    from pyimagesearch.nn.conv import AlexNet
    from pyimagesearch.nn.modelfiles import check_keras_path, load_model, save_model
    from pyimagesearch.preprocessing import (
        ImageAugmenter, MeanPreprocessor, PatchPreprocessor, SimplePreprocessor,
    )

    if args.input_size < 57:
        raise ValueError(f"--input-size {args.input_size} is too small for AlexNet: use 57 or more")
    check_keras_path(args.model)  # before hours of training, not after
    checkpoint, done = latest_checkpoint(args.output)
    if not args.resume and checkpoint is not None:
        raise FileExistsError(
            f"{checkpoint} exists: pass --resume to continue that run, or use another --output"
        )
    if args.resume and checkpoint is None:
        raise FileNotFoundError(f"no checkpoint-epoch-*.keras in {args.output} to resume from")
    if done >= args.epochs:
        raise ValueError(f"{checkpoint} has already trained {done} epochs: raise --epochs")

    gpus = tf.config.list_physical_devices("GPU")
    print(f"[INFO] training on {'GPU: ' + gpus[0].name if gpus else 'the CPU (TensorFlow sees no GPU)'}")
    keras.utils.set_random_seed(args.seed)
    if args.mixed_precision:
        keras.mixed_precision.set_global_policy("mixed_float16")

    size = args.input_size
    means = MeanPreprocessor.from_json(args.mean)
    trainGen = HDF5DatasetGenerator(
        args.train, args.batch_size, [PatchPreprocessor(size, size, seed=args.seed), means],
        classes=config.NUM_CLASSES, shuffle=True, seed=args.seed, workers=args.workers,
    )
    valGen = HDF5DatasetGenerator(
        args.val, args.batch_size, [SimplePreprocessor(size, size), means],
        classes=config.NUM_CLASSES, workers=args.workers,
    )
    trainGen.check_image_size(size)
    valGen.check_image_size(size)

    if checkpoint is not None:
        print(f"[INFO] resuming from {checkpoint} after epoch {done}...")
        model = load_model(checkpoint)
    else:
        print("[INFO] compiling model...")
        alexnet = AlexNet.build(size, size, 3, config.NUM_CLASSES, reg=config.L2_REG)
        augmenter = ImageAugmenter(**config.AUGMENTATION, seed=args.seed)
        # The augmentation is the model's first layer: it runs with the model
        # (on the GPU when there is one) and only while training.
        model = chain(alexnet.input_shape[1:], [augmenter] + alexnet.layers[1:], name="alexnet")
        model.compile(loss="categorical_crossentropy",
                      optimizer=keras.optimizers.Adam(learning_rate=args.lr),
                      metrics=["accuracy"])

    callbacks = [
        TrainingMonitor(os.path.join(args.output, "alexnet.png"),
                        jsonPath=os.path.join(args.output, "alexnet.json"), startAt=done),
        EpochCheckpoint(args.output),
    ]
    model.fit(trainGen, validation_data=valGen, epochs=args.epochs, initial_epoch=done,
              callbacks=callbacks, verbose=1 if sys.stdout.isatty() else 2)

    inference = chain(model.input_shape[1:],
                      [layer for layer in model.layers[1:] if not isinstance(layer, ImageAugmenter)],
                      name="alexnet")
    print(f"[INFO] serializing model to {args.model}...")
    save_model(inference, args.model)


def main(argv=None):
    run(train, make_parser(), argv)


if __name__ == "__main__":
    main()
