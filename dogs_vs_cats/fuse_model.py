"""Fuse what predict.py needs into one deployable .keras model: photos in,
the probability of each class out (see pyimagesearch/pipeline/deploy.py).
With --classifier, the backbone of extract_features.py and the logistic
regression of train_model.py, the feature size and mirrors as the
classifier's file records them; without, the AlexNet of train_alexnet.py
with its mean and 10 crops. predict.py --model then takes the file alone."""

import os
import sys

if __package__ in (None, ""):  # run as a file: make the project importable
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from dogs_vs_cats.cli import (  # noqa: E402
    MEAN_JSON,
    MODEL,
    ArgumentParser,
    add_alexnet_options,
    add_classifier_options,
    run,
)
from dogs_vs_cats.config import dogs_vs_cats_config as config  # noqa: E402


def make_parser():
    parser = ArgumentParser(description=__doc__)
    parser.add_argument("--output", required=True, help="the .keras model to write")
    add_classifier_options(
        parser,
        "the logistic regression (from train_model.py) on features from --backbone",
    )
    parser.add_argument(
        "--model",
        type=MODEL,
        default=config.MODEL_PATH,
        help="without --classifier: the trained AlexNet .keras",
    )
    parser.add_argument(
        "--mean",
        type=MEAN_JSON,
        default=config.DATASET_MEAN,
        help="the mean JSON the AlexNet was trained with (also for a .keras --backbone)",
    )
    add_alexnet_options(parser, ("size",))
    parser.add_argument(
        "--clip",
        type=float,
        default=None,
        help="write each probability p as min(max(p, clip), 1 - clip), as predict.py's --clip "
        "(default: none)",
    )
    parser.add_argument("--force", action="store_true", help="replace an existing --output")
    return parser


def fuse(args):
    from pyimagesearch.pipeline import deploy

    if args.classifier:
        from dogs_vs_cats.predict import features_as_fitted

        (size, flip) = features_as_fitted(args)
        inputs = [("classifier", args.classifier), ("backbone", args.backbone)]
        build = lambda: deploy.classifier_model(  # noqa: E731
            args.backbone, args.classifier, args.weights, args.layer, args.mean, size, flip,
            args.clip,
        )  # fmt: skip
    else:
        inputs = [("model", args.model), ("mean", args.mean)]
        build = lambda: deploy.alexnet_model(args.model, args.mean, args.size, args.clip)  # noqa: E731
    deploy.write_deployable(args.output, build, inputs, overwrite=args.force)
    print(f"[INFO] deployable model -> {args.output}")


def main(argv=None):
    run(fuse, make_parser(), argv, backend=True)


if __name__ == "__main__":
    main()
