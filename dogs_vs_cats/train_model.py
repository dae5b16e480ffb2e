"""Fit a logistic regression on extracted CNN features, with a grid search
over C (the book's train_model.py, chapter 10)."""

import os
import sys

if __package__ in (None, ""):  # run as a file: make the project importable
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from dogs_vs_cats.cli import (  # noqa: E402
    HDF5_FILE,
    ArgumentParser,
    json_record,
    run,
)
from dogs_vs_cats.config import dogs_vs_cats_config as config  # noqa: E402


def make_parser():
    parser = ArgumentParser(description=__doc__)
    parser.add_argument(
        "-d", "--db", type=HDF5_FILE, default=config.FEATURES_HDF5, help="HDF5 file of features"
    )
    parser.add_argument(
        "-m",
        "--model",
        "--classifier",
        dest="classifier",
        default=config.CLASSIFIER_PATH,
        help="where the fitted classifier is saved (JSON, not pickle)",
    )
    parser.add_argument(
        "-j",
        "--jobs",
        type=int,
        default=-1,
        help="parallel jobs of the grid search (-1: all cores)",
    )
    parser.add_argument(
        "--record",
        default=None,
        help="also write the classifier's record (its score, log loss and classification "
        "report) to this JSON file",
    )
    parser.add_argument(
        "--splits",
        type=json_record("the build_record.json of build_dogs_vs_cats.py"),
        default=None,
        help="the build's build_record.json: score on its test photos, fit on the rest "
        "(needed for features of a .keras model such as the trained AlexNet; default: the "
        "book's split, the last 25%% of rows held out)",
    )
    parser.add_argument(
        "--force", action="store_true", help="replace an existing classifier or record"
    )
    return parser


def fit(args):
    from pyimagesearch.io.splitrecord import read_split_record
    from pyimagesearch.pipeline.classifier import train_logistic_regression

    splits = read_split_record(args.splits) if args.splits else None
    train_logistic_regression(
        args.db, args.classifier, args.record, args.jobs, args.force, splits=splits
    )


def main(argv=None):
    run(fit, make_parser(), argv)


if __name__ == "__main__":
    main()
