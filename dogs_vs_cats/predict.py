"""Write a Kaggle submission: for each test photo N.jpg, the probability
that it shows a dog, as a CSV with the header id,label. Predictions come
from the trained AlexNet with 10-crop oversampling or, with --classifier,
from CNN features and the logistic regression of train_model.py."""

import os
import sys

if __package__ in (None, ""):  # run as a file: make the project importable
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from dogs_vs_cats.config import dogs_vs_cats_config as config  # noqa: E402
from pyimagesearch.utils.cli import ArgumentParser, positive_int, progress, run  # noqa: E402

# Unusable photos still get a row, so the submission stays complete: 0.5
# says "no idea" and costs the least log loss.
UNKNOWN = 0.5


def make_parser():
    parser = ArgumentParser(prog=os.path.basename(__file__), description=__doc__)
    parser.add_argument("--images", default=config.TEST_IMAGES_PATH,
                        help="a folder of N.jpg test photos, or Kaggle's test1.zip")
    parser.add_argument("--model", default=config.MODEL_PATH, help="the trained AlexNet .keras")
    parser.add_argument("--mean", default=config.DATASET_MEAN, help="mean JSON file")
    parser.add_argument("--output", default=config.SUBMISSION_PATH, help="the CSV to write")
    parser.add_argument("--size", type=positive_int, default=config.IMAGE_SIZE,
                        help="photos are first resized to size x size, as by the build")
    parser.add_argument("--classifier", default=None,
                        help="use this logistic regression (from train_model.py) on features "
                             "from --backbone instead of the AlexNet's 10 crops")
    parser.add_argument("--backbone", default=config.BACKBONE,
                        help="with --classifier: the network the features came from")
    parser.add_argument("--weights", default="imagenet", help="with --classifier: its weights")
    parser.add_argument("--layer", default=None, help="with --classifier: the layer tapped")
    parser.add_argument("--batch-size", type=positive_int, default=64)
    parser.add_argument("--workers", type=positive_int, default=os.cpu_count(),
                        help="decoding threads")
    parser.add_argument("--force", action="store_true", help="replace an existing --output")
    return parser


def alexnet_predictor(args):
    """(preprocessor for each photo, batch -> P(dog)) from the AlexNet."""
    from pyimagesearch.nn.modelfiles import load_model
    from pyimagesearch.preprocessing import (
        AspectAwarePreprocessor, CropPreprocessor, MeanPreprocessor,
    )
    from pyimagesearch.utils.tencrop import predict_ten_crops

    means = MeanPreprocessor.from_json(args.mean)
    model = load_model(args.model)
    cropper = CropPreprocessor(int(model.input_shape[1]), int(model.input_shape[2]))
    if args.size < cropper.width:
        raise ValueError(f"--size {args.size} is smaller than the model's input {cropper.width}")

    def predict(images):
        # build_dogs_vs_cats.py stores the class names sorted: cat 0, dog 1
        return predict_ten_crops(model, [means.preprocess_batch(images)], cropper)[:, 1]

    return AspectAwarePreprocessor(args.size, args.size), predict


def classifier_predictor(args):
    """(preprocessor for each photo, batch -> P(dog)) from features and the
    logistic regression."""
    from pyimagesearch.nn.backbones import feature_extractor
    from pyimagesearch.utils.linearmodel import load_logistic_regression

    classifier, labelNames = load_logistic_regression(args.classifier)
    extractor = feature_extractor(args.backbone, args.weights, args.layer, args.mean)
    if extractor.dim != classifier.n_features_in_:
        raise ValueError(f"--classifier {args.classifier} takes {classifier.n_features_in_} "
                         f"features but --backbone {args.backbone} gives {extractor.dim}")
    dog = list(labelNames or []).index("dog") if "dog" in (labelNames or []) else 1
    column = list(classifier.classes_).index(dog)

    def predict(images):
        return classifier.predict_proba(extractor.extract(images))[:, column]

    return extractor.resizer, predict


def predict(args):
    import numpy as np

    from pyimagesearch.io.imagefiles import list_image_files, usable_batches
    from pyimagesearch.utils.files import atomic_path

    if os.path.exists(args.output) and not args.force:
        raise FileExistsError(f"{args.output} already exists: pass --force to replace it")
    files, others = list_image_files(args.images)
    skipped = [{"file": f.name, "reason": "not an image file"} for f in others]
    skipped += [{"file": f.name, "reason": "no id in the name (expected N.jpg)"}
                for f in files if f.id is None]
    files = sorted((f for f in files if f.id is not None), key=lambda f: f.id)
    ids = [f.id for f in files]
    if len(set(ids)) != len(ids):
        raise ValueError(f"{args.images} holds several photos with the same id")

    (preprocessor, predict_batch) = (classifier_predictor if args.classifier
                                     else alexnet_predictor)(args)
    print(f"[INFO] predicting {len(files)} photos from {args.images}...")
    probabilities = {}
    unusable = []
    bar = progress(len(files), "Predicting")
    for usable, done in usable_batches(files, preprocessor, args.batch_size, args.workers,
                                       unusable):
        if usable:
            dog = predict_batch(np.stack([image for _, image in usable]))
            probabilities.update({f.id: float(p) for (f, _), p in zip(usable, dog)})
        bar.update(done)
    bar.finish()

    with atomic_path(args.output) as temporary:
        with open(temporary, "w") as f:
            f.write("id,label\n")
            for image_id in ids:
                f.write(f"{image_id},{probabilities.get(image_id, UNKNOWN):.6f}\n")
    print(f"[INFO] {len(ids)} rows -> {args.output}")
    for item in unusable:
        print(f"[WARNING] {item['file']}: {item['reason']}; written as {UNKNOWN}")
    for item in skipped:
        print(f"[WARNING] skipped {item['file']}: {item['reason']}")


def main(argv=None):
    run(predict, make_parser(), argv)


if __name__ == "__main__":
    main()
