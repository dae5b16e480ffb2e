"""Write a Kaggle submission: for each test photo N.jpg, the probability
that it shows a dog, as a CSV with the header id,label. Predictions come
from a deployable model.keras (the chapter's, or fuse_model.py's), from the
trained AlexNet with 10-crop oversampling or, with --classifier, from CNN
features and the logistic regression of train_model.py."""

import os
import sys

if __package__ in (None, ""):  # run as a file: make the project importable
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from dogs_vs_cats.cli import (  # noqa: E402
    MEAN_JSON,
    MODEL,
    PHOTOS,
    ArgumentParser,
    add_alexnet_options,
    add_classifier_options,
    add_decoding_options,
    positive_int,
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
        default=config.TEST_IMAGES_PATH,
        help="a folder of N.jpg test photos, or Kaggle's test1.zip",
    )
    parser.add_argument(
        "--model",
        type=MODEL,
        default=config.MODEL_PATH,
        help="the trained AlexNet .keras, or a deployable model.keras (the chapter's, or "
        "fuse_model.py's), which resizes and preprocesses the photos itself: then --mean, "
        "--size and --crop-path are not used",
    )
    parser.add_argument(
        "--mean", type=MEAN_JSON, default=config.DATASET_MEAN, help="mean JSON file"
    )
    parser.add_argument("--output", default=config.SUBMISSION_PATH, help="the CSV to write")
    add_classifier_options(
        parser,
        "use this logistic regression (from train_model.py) on features from --backbone "
        "instead of the AlexNet's 10 crops",
    )
    add_alexnet_options(parser, ("size", "cropPath"))
    parser.add_argument(
        "--batch-size", type=positive_int, default=64, help="photos per forward pass"
    )
    parser.add_argument(
        "--clip",
        type=float,
        default=None,
        help="write each probability p as min(max(p, clip), 1 - clip); train_model.py's and "
        "crop_accuracy.py's JSON name the clip their held-out photos favour (default: none)",
    )
    add_decoding_options(parser)
    parser.add_argument("--force", action="store_true", help="replace an existing --output")
    return parser


def predict(args):
    from pyimagesearch.pipeline import deploy, submission
    from pyimagesearch.utils.checks import check_image_size

    check_image_size("size", args.size)  # before any file is read
    submission.submission_rows(args.images)  # its photos and template, before any model
    if args.classifier:
        from pyimagesearch.nn.backbones import feature_extractor

        (size, flip) = features_as_fitted(args)
        extractor = feature_extractor(
            args.backbone, args.weights, args.layer, args.mean, size, flip
        )
        predictor = submission.classifier_predictor(args.classifier, extractor)
    elif deploy.is_deployable(args.model):
        predictor = deploy.model_predictor(args.model)
    else:
        predictor = submission.alexnet_predictor(
            args.model, args.mean, args.size, cropPath=args.cropPath
        )
    print(f"[INFO] predicting the photos of {args.images}...")
    summary = submission.write_submission(
        args.images,
        args.output,
        predictor,
        batchSize=args.batch_size,
        workers=args.workers,
        overwrite=args.force,
        maxPixels=args.maxPixels,
        progress=lambda total: progress(total, "Predicting"),
        clip=args.clip,
    )
    print(f"[INFO] {summary['rows']} rows -> {args.output}")
    print_skipped(summary["unusable"], f"wrote {submission.UNKNOWN} for the unreadable")
    missing = [{"file": f"id {i}", "reason": "no photo with this id"} for i in summary["missing"]]
    print_skipped(
        missing, f"wrote {submission.UNKNOWN} for", what=f"id(s) of {submission.TEMPLATE}"
    )
    print_skipped(summary["left_out"], "left out", what="test photo(s)")
    print_skipped(summary["skipped"], "left out")


def features_as_fitted(args):
    """(input size, flip) for the features: the classifier's record, which
    a flag may repeat but not contradict (nor --backbone the network it
    names, for a keras.applications one)."""
    from pyimagesearch.errors import ArgumentError
    from pyimagesearch.pipeline.classifier import load_feature_record

    record = load_feature_record(args.classifier)
    if record["backbone_kind"] == "keras.applications":
        from pyimagesearch.nn.backbones import network_key

        # another network of as many features would be accepted, and wrong
        if network_key(args.backbone) != network_key(record["backbone"]):
            raise ArgumentError(
                "backbone", f"{args.backbone} is not the network {args.classifier} was fitted "
                f"on ({record['backbone']}): give --backbone {record['backbone']}"
            )  # fmt: skip
    chosen = []
    for flag, given, recorded in (("featureSize", args.featureSize, record["input_size"]),
                                  ("flip", args.flip, record["flip"])):  # fmt: skip
        if given is not None and recorded is not None and given != recorded:
            raise ArgumentError(
                flag, f"{given} contradicts {args.classifier}, fitted on features with "
                f"{recorded}: leave it out"
            )  # fmt: skip
        chosen.append(given if given is not None else recorded)
    return chosen[0], bool(chosen[1])


def main(argv=None):
    run(predict, make_parser(), argv, backend=True)


if __name__ == "__main__":
    main()
