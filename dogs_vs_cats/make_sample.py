"""Generate the embedded sample: synthetic cat and dog pictures in Kaggle's
layout (train/cat.N.jpg, train/dog.N.jpg, test1/N.jpg), so the whole
pipeline runs on a machine without the Kaggle data."""

import os
import sys

if __package__ in (None, ""):  # run as a file: make the project importable
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from dogs_vs_cats.cli import ArgumentParser, positive_int, run  # noqa: E402


def make_parser():
    parser = ArgumentParser(prog=os.path.basename(__file__), description=__doc__)
    parser.add_argument("--output", required=True, help="the folder to create")
    parser.add_argument("--per-class", type=positive_int, default=500,
                        help="training pictures of each class")
    parser.add_argument("--test-images", type=positive_int, default=100,
                        help="unlabelled pictures in test1/")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--force", action="store_true", help="replace an existing folder")
    return parser


def generate(args):
    import shutil

    from pyimagesearch.datasets.synthetic import make_sample

    if os.path.exists(args.output) and os.listdir(args.output) and not args.force:
        raise FileExistsError(f"{args.output} is not empty: pass --force or another --output")
    # Written beside the output and moved there when complete: a killed run
    # leaves no half-filled sample, and its leftovers are replaced next time.
    partial = args.output.rstrip("/") + ".partial"
    shutil.rmtree(partial, ignore_errors=True)
    make_sample(partial, args.per_class, args.test_images, args.seed)
    shutil.rmtree(args.output, ignore_errors=True)
    os.replace(partial, args.output)
    print(f"[INFO] {2 * args.per_class} labelled pictures in {os.path.join(args.output, 'train')}, "
          f"{args.test_images} unlabelled in {os.path.join(args.output, 'test1')}")


def main(argv=None):
    run(generate, make_parser(), argv)


if __name__ == "__main__":
    main()
