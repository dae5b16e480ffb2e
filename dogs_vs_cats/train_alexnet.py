"""Train AlexNet on the Dogs vs Cats HDF5 files with the book's recipe
(the book's train_alexnet.py): 227x227 random patches, mean subtraction
and augmentation for training; resize and mean subtraction for validation;
Adam, L2 weight decay, categorical cross-entropy."""

import os
import sys

if __package__ in (None, ""):  # run as a file: make the project importable
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from dogs_vs_cats.cli import (  # noqa: E402
    HDF5_FILE,
    MEAN_JSON,
    ArgumentParser,
    add_chapter_options,
    positive_float,
    positive_int,
    run,
)
from dogs_vs_cats.config import dogs_vs_cats_config as config  # noqa: E402
from pyimagesearch.nn.parallel.processes import DEFAULT_TIMEOUT  # noqa: E402

# set, they make a process join a multi-process run without the flags
PROCESS_VARIABLES = ("KERAS_DISTRIBUTION_JOB_ADDRESSES", "JAX_COORDINATOR_ADDRESS")


def make_parser():
    parser = ArgumentParser(description=__doc__)
    parser.add_argument(
        "--train", type=HDF5_FILE, default=config.TRAIN_HDF5, help="training HDF5 file"
    )
    parser.add_argument(
        "--val", type=HDF5_FILE, default=config.VAL_HDF5, help="validation HDF5 file"
    )
    parser.add_argument(
        "--mean", type=MEAN_JSON, default=config.DATASET_MEAN, help="mean JSON file"
    )
    parser.add_argument(
        "--output-dir",
        default=config.OUTPUT_PATH,
        help="folder for the plot, the history JSON and the checkpoints",
    )
    parser.add_argument("--model", default=config.MODEL_PATH, help="the trained .keras model")
    add_chapter_options(
        parser, ("epochs", "inputSize", "batchSize", "learningRate", "cache", "distribute",
                 "mixedPrecision", "seed", "workers"),
    )  # fmt: skip
    parser.add_argument(
        "--resume", action="store_true", help="continue from the newest checkpoint in --output-dir"
    )
    parser.add_argument(
        "--coordinator",
        metavar="HOST:PORT",
        help="train across processes (JAX backend): process 0's address",
    )
    parser.add_argument(
        "--coordinator-timeout",
        type=positive_float,
        default=DEFAULT_TIMEOUT,
        metavar="SECONDS",
        help="how long to wait for every process to reach the coordinator",
    )
    parser.add_argument(
        "--num-processes", type=positive_int, help="the processes training together"
    )
    parser.add_argument(
        "--process-id", type=int, help="this process's number, from 0 (0 writes the outputs)"
    )
    return parser


def train(args):
    from pyimagesearch.nn.parallel.processes import join_processes
    from pyimagesearch.pipeline.training import train_alexnet

    flags = (args.coordinator, args.num_processes, args.process_id)
    if any(flag is not None for flag in flags) or any(map(os.environ.get, PROCESS_VARIABLES)):
        join_processes(*flags, coordinatorTimeout=args.coordinator_timeout)
    train_alexnet(
        args.train,
        args.val,
        args.mean,
        args.output_dir,
        args.model,
        epochs=args.epochs,
        batchSize=args.batchSize,
        learningRate=args.learningRate or config.LEARNING_RATE,
        scaleLearningRate=args.learningRate is None,
        inputSize=args.inputSize,
        reg=config.L2_REG,
        seed=args.seed,
        resume=args.resume,
        workers=args.workers,
        mixedPrecision=args.mixedPrecision,
        cache=args.cache,
        distribute=args.distribute,
        verbose=1 if sys.stdout.isatty() else 2,
    )


def main(argv=None):
    run(train, make_parser(), argv, backend=True)


if __name__ == "__main__":
    main()
