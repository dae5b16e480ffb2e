"""Rank-1 accuracy of the trained AlexNet on the test set, without and with
10-crop oversampling (the book's crop_accuracy.py)."""

import os
import sys

if __package__ in (None, ""):  # run as a file: make the project importable
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from dogs_vs_cats.config import dogs_vs_cats_config as config  # noqa: E402
from pyimagesearch.utils.cli import ArgumentParser, positive_int, progress, run  # noqa: E402


def make_parser():
    parser = ArgumentParser(prog=os.path.basename(__file__), description=__doc__)
    parser.add_argument("--test", default=config.TEST_HDF5, help="test HDF5 file")
    parser.add_argument("--mean", default=config.DATASET_MEAN, help="mean JSON file")
    parser.add_argument("--model", default=config.MODEL_PATH, help="the trained .keras model")
    parser.add_argument("--batch-size", type=positive_int, default=64,
                        help="test images per step (10 crops each)")
    parser.add_argument("--json", default=None, help="also write both figures to this JSON file")
    return parser


def evaluate(args):
    from pyimagesearch.io import HDF5DatasetGenerator
    from pyimagesearch.nn.modelfiles import load_model
    from pyimagesearch.preprocessing import CropPreprocessor, MeanPreprocessor, SimplePreprocessor
    from pyimagesearch.utils.files import write_json
    from pyimagesearch.utils.ranked import rank5_accuracy
    from pyimagesearch.utils.tencrop import predict_ten_crops

    means = MeanPreprocessor.from_json(args.mean)
    model = load_model(args.model)
    size = int(model.input_shape[1])
    classes = int(model.output_shape[-1])

    print("[INFO] predicting on test data (no crops)...")
    testGen = HDF5DatasetGenerator(args.test, args.batch_size,
                                   [SimplePreprocessor(size, size), means], classes=classes)
    testGen.check_image_size(size)
    preds = model.predict(testGen, verbose=0)
    (rank1, _) = rank5_accuracy(preds, testGen.labels)
    print(f"[INFO] rank-1: {rank1 * 100:.2f}%")

    print("[INFO] predicting on test data (with crops)...")
    cropGen = HDF5DatasetGenerator(args.test, args.batch_size, [means], classes=classes)
    bar = progress(len(cropGen), "Evaluating")
    preds = predict_ten_crops(model, (cropGen[i][0] for i in range(len(cropGen))),
                              CropPreprocessor(size, size), bar)
    bar.finish()
    (rank1Crops, _) = rank5_accuracy(preds, cropGen.labels)
    print(f"[INFO] rank-1: {rank1Crops * 100:.2f}%")
    if args.json:
        write_json(args.json, {"images": testGen.numImages, "rank1": rank1,
                               "rank1_10_crops": rank1Crops, "model": args.model,
                               "test": args.test})


def main(argv=None):
    run(evaluate, make_parser(), argv)


if __name__ == "__main__":
    main()
