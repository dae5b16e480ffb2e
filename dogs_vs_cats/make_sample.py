"""Generate the embedded sample: synthetic cat and dog pictures in Kaggle's
layout (train/cat.N.jpg, train/dog.N.jpg, test1/N.jpg), so the whole
pipeline runs on a machine without the Kaggle data."""

import os
import sys

if __package__ in (None, ""):  # run as a file: make the project importable
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from dogs_vs_cats.cli import ArgumentParser, add_chapter_options, positive_int, run  # noqa: E402


def make_parser():
    parser = ArgumentParser(description=__doc__)
    parser.add_argument("--output-dir", required=True, help="the folder to create")
    parser.add_argument(
        "--per-class", type=positive_int, default=500, help="training pictures of each class"
    )
    parser.add_argument(
        "--test-images", type=positive_int, default=100, help="unlabelled pictures in test1/"
    )
    add_chapter_options(parser, ("seed",))
    parser.add_argument("--force", action="store_true", help="replace an existing folder")
    return parser


def generate(args):
    from pyimagesearch.datasets.synthetic import write_sample

    (train, test) = write_sample(
        args.output_dir, args.per_class, args.test_images, args.seed, overwrite=args.force
    )
    print(
        f"[INFO] {2 * args.per_class} labelled pictures in {train}, "
        f"{args.test_images} unlabelled in {test}"
    )


def main(argv=None):
    run(generate, make_parser(), argv)


if __name__ == "__main__":
    main()
