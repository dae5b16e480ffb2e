"""The whole chapter in one command, from Kaggle's train.zip (and test1.zip)
to a submission and report.html: build -> train AlexNet -> rank-1 with and
without 10 crops -> CNN features -> logistic regression -> fine-tuning ->
submission. A rerun skips every stage whose inputs and options are
unchanged, and resumes an interrupted training; --from STAGE reruns from
that stage on."""

import os
import sys

if __package__ in (None, ""):  # run as a file: make the project importable
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from dogs_vs_cats.cli import (  # noqa: E402
    BACKBONE,
    PHOTOS,
    WEIGHTS,
    ArgumentParser,
    add_decoding_options,
    add_distribute_option,
    import_backend_quietly,
    positive_float,
    positive_int,
    progress,
    random_seed,
    run,
)
from dogs_vs_cats.config import dogs_vs_cats_config as config  # noqa: E402
from pyimagesearch.pipeline.cache import CACHE_MODES  # noqa: E402
from pyimagesearch.pipeline.chapter import STAGES, ChapterSettings  # noqa: E402
from pyimagesearch.pipeline.chapterstages import FINE_TUNE_MODES  # noqa: E402


def make_parser():
    parser = ArgumentParser(description=__doc__)
    parser.add_argument(
        "--train", type=PHOTOS, required=True, help="Kaggle's train.zip, or its folder"
    )
    parser.add_argument(
        "--test", type=PHOTOS, help="Kaggle's test1.zip, or its folder: for the submission"
    )
    parser.add_argument(
        "--output-dir",
        default=os.path.join(config.OUTPUT_PATH, "chapter"),
        help="every output, the record of what ran and report.html",
    )
    parser.add_argument("--from", dest="from_stage", choices=STAGES, help="rerun from this stage")
    parser.add_argument("--size", type=positive_int, default=config.IMAGE_SIZE,
                        help="photos are stored size x size")  # fmt: skip
    parser.add_argument("--val-size", type=positive_int, default=config.NUM_VAL_IMAGES,
                        help="photos held out for validation")  # fmt: skip
    parser.add_argument("--test-size", type=positive_int, default=config.NUM_TEST_IMAGES,
                        help="photos held out for the rank-1 test")  # fmt: skip
    parser.add_argument("--epochs", type=positive_int, default=config.EPOCHS)
    parser.add_argument("--input-size", type=positive_int, default=config.INPUT_SIZE,
                        help="AlexNet's input is input-size x input-size")  # fmt: skip
    parser.add_argument("--batch-size", type=positive_int, default=config.BATCH_SIZE,
                        help="AlexNet's images per device per step")  # fmt: skip
    parser.add_argument("--lr", type=positive_float,
                        help="Adam's rate (default 1e-3 x sqrt(devices))")  # fmt: skip
    parser.add_argument("--cache", choices=CACHE_MODES, default="auto",
                        help="where training holds its split (see train_alexnet.py)")  # fmt: skip
    add_distribute_option(parser, "split each batch")
    parser.add_argument("--mixed-precision", action="store_true",
                        help="train in float16 on a GPU")  # fmt: skip
    parser.add_argument("--crops", choices=("auto", "graph", "cpu"), default="auto",
                        help="where the 10 crops are cut")  # fmt: skip
    parser.add_argument("--backbone", type=BACKBONE, default=config.BACKBONE,
                        help="the features' CNN: a keras.applications name, a .keras file, "
                        "or alexnet (the AlexNet trained here)")  # fmt: skip
    parser.add_argument("--weights", type=WEIGHTS, default="imagenet",
                        help="the backbone's weights: imagenet, a local file, or none")  # fmt: skip
    parser.add_argument("--layer", help="the backbone's layer to tap")
    parser.add_argument("--feature-size", type=positive_int,
                        help="for a keras.applications backbone: the photos' size for the "
                        "features (default: 9/7 of the network's own, 288 for 224)")  # fmt: skip
    parser.add_argument("--flip", action="store_true",
                        help="average each photo's features with its mirror's (twice the "
                        "work for a little less log loss; see docs/measured.md)")  # fmt: skip
    parser.add_argument("--submit-with", choices=("classifier", "alexnet"), default="classifier",
                        help="what predicts the submission")  # fmt: skip
    parser.add_argument("--fine-tune", choices=FINE_TUNE_MODES, default="auto",
                        help="fine-tune the backbone's top after the logistic regression (auto: "
                        "for mobilenetv2 and resnet50; the submission keeps the logistic "
                        "regression where validation says it is better)")  # fmt: skip
    parser.add_argument("--seed", type=random_seed, default=config.SEED)
    add_decoding_options(parser)
    return parser


def chapter(args):
    from pyimagesearch.pipeline.chapter import run_chapter

    settings = ChapterSettings(
        train=args.train,
        outputDir=args.output_dir,
        test=args.test,
        size=args.size,
        valSize=args.val_size,
        testSize=args.test_size,
        epochs=args.epochs,
        inputSize=args.input_size,
        batchSize=args.batch_size,
        learningRate=args.lr,
        cache=args.cache,
        distribute=args.distribute,
        mixedPrecision=args.mixed_precision,
        crops=args.crops,
        backbone=args.backbone,
        weights=args.weights,
        layer=args.layer,
        featureSize=args.feature_size,
        flip=args.flip,
        submitWith=args.submit_with,
        fineTune=args.fine_tune,
        seed=args.seed,
        workers=args.workers,
        maxPixels=args.max_pixels,
    )
    run_chapter(
        settings,
        fromStage=args.from_stage,
        progress=lambda stage: lambda total: progress(total, stage.capitalize()),
        # only when a stage runs: a rerun with nothing to do needs no backend
        beforeStage=None if args.debug else lambda stage: import_backend_quietly(),
    )


def main(argv=None):
    run(chapter, make_parser(), argv)


if __name__ == "__main__":
    main()
