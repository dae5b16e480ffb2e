"""Build the train, validation and test HDF5 files from the Kaggle photos
and save the training split's per-channel mean (the book's
build_dogs_vs_cats.py)."""

import os
import sys

if __package__ in (None, ""):  # run as a file: make the project importable
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from dogs_vs_cats.cli import (  # noqa: E402
    PHOTOS,
    ArgumentParser,
    add_chapter_options,
    add_decoding_options,
    print_skipped,
    progress,
    run,
)
from dogs_vs_cats.config import dogs_vs_cats_config as config  # noqa: E402


def make_parser():
    parser = ArgumentParser(description=__doc__)
    parser.add_argument(
        "--images",
        type=PHOTOS,
        default=config.IMAGES_PATH,
        help="a folder of cat.N.jpg / dog.N.jpg photos, or Kaggle's train.zip",
    )
    parser.add_argument(
        "--output-dir",
        default=config.HDF5_PATH,
        help="where train.hdf5, val.hdf5 and test.hdf5 are written",
    )
    parser.add_argument(
        "--mean",
        default=config.DATASET_MEAN,
        help="the JSON file for the training split's R, G, B means",
    )
    add_chapter_options(parser, ("size", "valSize", "testSize", "seed"))
    add_decoding_options(parser)
    parser.add_argument("--force", action="store_true", help="replace existing outputs")
    return parser


def build(args):
    from pyimagesearch.pipeline.build import build_dataset

    print(f"[INFO] building HDF5 data sets from {args.images} with {args.workers} worker(s)...")
    record = build_dataset(
        args.images,
        args.output_dir,
        args.mean,
        {"test": args.testSize, "val": args.valSize},
        size=args.size,
        workers=args.workers,
        seed=args.seed,
        overwrite=args.force,
        maxPixels=args.maxPixels,
        progress=lambda total: progress(total, "Building"),
    )
    for split, count in record["used"].items():
        print(f"[INFO] {split}: {count} images -> {os.path.join(args.output_dir, split)}.hdf5")
    mean = record["mean"]
    print(f"[INFO] mean R={mean['R']:.3f} G={mean['G']:.3f} B={mean['B']:.3f} -> {args.mean}")
    print_skipped(record["skipped"], listedIn=os.path.join(args.output_dir, "build_record.json"))


def main(argv=None):
    run(build, make_parser(), argv)


if __name__ == "__main__":
    main()
