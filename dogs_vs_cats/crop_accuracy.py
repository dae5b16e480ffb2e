"""Rank-1 accuracy of the trained AlexNet on the test set, without and with
10-crop oversampling (the book's crop_accuracy.py)."""

import os
import sys

if __package__ in (None, ""):  # run as a file: make the project importable
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from dogs_vs_cats.cli import (  # noqa: E402
    HDF5_FILE,
    MEAN_JSON,
    MODEL,
    ArgumentParser,
    add_chapter_options,
    positive_int,
    progress,
    run,
)
from dogs_vs_cats.config import dogs_vs_cats_config as config  # noqa: E402


def make_parser():
    parser = ArgumentParser(description=__doc__)
    parser.add_argument("--test", type=HDF5_FILE, default=config.TEST_HDF5, help="test HDF5 file")
    parser.add_argument(
        "--mean", type=MEAN_JSON, default=config.DATASET_MEAN, help="mean JSON file"
    )
    parser.add_argument(
        "--model", type=MODEL, default=config.MODEL_PATH, help="the trained .keras model"
    )
    parser.add_argument(
        "--batch-size",
        type=positive_int,
        default=64,
        help="test images per device per step (10 crops each)",
    )
    add_chapter_options(parser, ("cropPath", "distribute"))
    parser.add_argument("--output", default=None, help="also write both figures to this JSON file")
    parser.add_argument(
        "--predictions",
        default=None,
        help="also write each test photo's probabilities, with and without crops, to this JSON",
    )
    parser.add_argument(
        "--force", action="store_true", help="replace an existing --output or --predictions"
    )
    return parser


def evaluate(args):
    from pyimagesearch.pipeline.evaluation import crop_accuracy

    print("[INFO] predicting on test data, without and with 10 crops...")
    result = crop_accuracy(
        args.test,
        args.mean,
        args.model,
        args.batch_size,
        args.cropPath,
        distribute=args.distribute,
        progress=lambda total: progress(total, "Evaluating"),
        outputPath=args.output,
        overwrite=args.force,
        predictionsPath=args.predictions,
    )
    for name, suffix in (("without crops", ""), ("with 10 crops", "_10_crops")):
        print(f"[INFO] {name}, rank-1: {result['rank1' + suffix] * 100:.2f}%, "
              f"log loss: {result['log_loss' + suffix]:.4f}")  # fmt: skip


def main(argv=None):
    run(evaluate, make_parser(), argv, backend=True)


if __name__ == "__main__":
    main()
