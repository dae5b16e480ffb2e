"""Extract global-average-pooled CNN features of the Dogs vs Cats photos to
HDF5, for train_model.py (the book's extract_features.py, chapter 10)."""

import os
import sys

if __package__ in (None, ""):  # run as a file: make the project importable
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from dogs_vs_cats.cli import (  # noqa: E402
    MEAN_JSON,
    PHOTOS,
    ArgumentParser,
    add_chapter_options,
    add_decoding_options,
    positive_int,
    print_skipped,
    progress,
    run,
)
from dogs_vs_cats.config import dogs_vs_cats_config as config  # noqa: E402
from pyimagesearch import bookdefaults as book  # noqa: E402

# The book's size for the features, not the chapter's (9/7 of it)
NATIVE_SIZE = (
    f"the network's own size, {book.FEATURE_SIZE} for most, as in the book; the chapter's "
    f"{book.enlarged_feature_size(book.FEATURE_SIZE)} lowers MobileNetV2's log loss: "
    "docs/measured.md"
)


def make_parser():
    parser = ArgumentParser(description=__doc__)
    parser.add_argument(
        "-d",
        "--dataset",
        type=PHOTOS,
        default=config.IMAGES_PATH,
        help="a folder of cat.N.jpg / dog.N.jpg photos, or Kaggle's train.zip",
    )
    parser.add_argument(
        "-o", "--output", default=config.FEATURES_HDF5, help="the HDF5 file of features to write"
    )
    parser.add_argument(
        "-b",
        "--batch-size",
        type=positive_int,
        default=config.FEATURE_BATCH_SIZE,
        help="images per device per forward pass",
    )
    parser.add_argument(
        "-s",
        "--buffer-size",
        type=positive_int,
        default=config.FEATURE_BUFFER_SIZE,
        help="rows buffered before a write",
    )
    add_chapter_options(
        parser, ("backbone", "weights", "layer", "featureSize", "flip"),
        unset={"featureSize": NATIVE_SIZE},
    )  # fmt: skip
    parser.add_argument(
        "--mean",
        type=MEAN_JSON,
        default=config.DATASET_MEAN,
        help="for a .keras model: the mean JSON it was trained with",
    )
    add_decoding_options(parser)
    add_chapter_options(parser, ("distribute", "seed"))
    parser.add_argument("--force", action="store_true", help="replace an existing --output")
    return parser


def extract(args):
    from pyimagesearch.pipeline.features import extract_backbone_features

    summary = extract_backbone_features(
        args.dataset,
        args.output,
        args.backbone,
        args.weights,
        args.layer,
        args.mean,
        args.featureSize,
        args.flip,
        overwrite=args.force,
        distribute=args.distribute,
        maxPixels=args.maxPixels,
        batchSize=args.batch_size,
        bufSize=args.buffer_size,
        workers=args.workers,
        seed=args.seed,
        progress=lambda total: progress(total, "Extracting Features"),
    )
    print(f"[INFO] {summary['rows']} x {summary['dim']} features -> {args.output}")
    print_skipped(summary["skipped"])


def main(argv=None):
    run(extract, make_parser(), argv, backend=True)


if __name__ == "__main__":
    main()
