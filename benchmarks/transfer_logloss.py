"""What each lever of the chapter's transfer path buys, in Kaggle's metric:
MobileNetV2 (the local ImageNet weights) features + logistic regression,
scored by 5-fold cross-validated log loss on the same photos in one run,
today's path beside each lever and the chapter's default.

    .venv/bin/python -m benchmarks.transfer_logloss [PHOTOS] [--weights FILE]

Each row's out-of-fold probabilities come from a classifier whose C was
chosen inside its training folds only (nested cross-validation), so no
figure is measured on photos that chose it. Writes docs/transfer_benchmark.md
(with the machine and the date) and prints the table."""

import argparse
import datetime
import os
import platform
import time
import warnings

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SHARED = os.path.join(ROOT, "..", "shared", "data")
PHOTOS = os.path.join(SHARED, "kaggle_sample", "train")
WEIGHTS = os.path.join(SHARED, "weights", "mobilenet_v2_1.0_224_imagenet_no_top.weights.h5")
PAGE = os.path.join(ROOT, "docs", "transfer_benchmark.md")


def features(photos, weights, size):
    """(plain, mirrored) MobileNetV2 features of every labelled photo at
    `size` pixels, their labels, and the seconds each pass took."""
    from pyimagesearch.io.imagedecoder import usable_batches
    from pyimagesearch.io.imagefiles import labelled_image_files
    from pyimagesearch.nn.backbones import application_extractor

    extractor = application_extractor("mobilenet_v2", weights, featureSize=size)
    (_, labelled, _) = labelled_image_files(photos)
    plain, mirrored, labels = [], [], []
    began = time.perf_counter()
    for usable, _ in usable_batches(labelled, extractor.resizer, 32, os.cpu_count(), []):
        images = np.stack([image for _, image in usable])
        plain.append(extractor.extract(images))
        # what flip=True averages (FeatureExtractor's preprocessing is per pixel)
        mirrored.append(extractor.extract(np.ascontiguousarray(images[:, :, ::-1])))
        labels += [f.label == "dog" for f, _ in usable]
    seconds = time.perf_counter() - began
    return np.concatenate(plain), np.concatenate(mirrored), np.array(labels, int), seconds


def nested_log_loss(X, y, scoring, Cs):
    """(log loss, accuracy, the Cs chosen) of out-of-fold probabilities: 5
    stratified folds, C chosen in each by the chapter's own 3-fold search."""
    from sklearn.model_selection import StratifiedKFold

    from pyimagesearch.pipeline.evaluation import held_out_log_loss
    from pyimagesearch.pipeline.logisticsearch import LogisticRegressionSearch

    probabilities = np.zeros((len(y), 2))
    chosen = []
    for train, test in StratifiedKFold(5, shuffle=True, random_state=0).split(X, y):
        search = LogisticRegressionSearch(Cs, scoring=scoring, cv=3, n_jobs=-1)
        search.fit(X[train], y[train])
        probabilities[test] = search.predict_proba(X[test])
        chosen.append(search.best_params_["C"])
    accuracy = float(np.mean(probabilities.argmax(axis=1) == y))
    return held_out_log_loss(y, probabilities), accuracy, chosen


def main():
    from pyimagesearch.pipeline.classifier import C_VALUES, FINE_C_VALUES

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("photos", nargs="?", default=PHOTOS)
    parser.add_argument("--weights", default=WEIGHTS)
    args = parser.parse_args()
    warnings.filterwarnings("ignore", module="sklearn")
    passes = {size: features(args.photos, args.weights, size) for size in (224, 288)}
    rows = []
    for (name, size, flip, scoring, Cs) in (
        ("today: 224 px, C by accuracy on the book's grid", 224, False, "accuracy", C_VALUES),
        ("224 px, C by log loss on half-decades", 224, False, "neg_log_loss", FINE_C_VALUES),
        ("224 px + mirror, C by log loss", 224, True, "neg_log_loss", FINE_C_VALUES),
        ("288 px, C by accuracy on the book's grid", 288, False, "accuracy", C_VALUES),
        ("the chapter's default: 288 px, C by log loss", 288, False, "neg_log_loss",
         FINE_C_VALUES),
        ("288 px + mirror (--flip), C by log loss", 288, True, "neg_log_loss", FINE_C_VALUES),
    ):  # fmt: skip
        (plain, mirrored, labels, seconds) = passes[size]
        X = (plain + mirrored) / 2 if flip else plain
        (loss, accuracy, chosen) = nested_log_loss(X, labels, scoring, Cs)
        cost = seconds * (1 if flip else 0.5) / len(labels) * 1000
        rows.append((name, loss, accuracy, sorted(set(chosen)), cost))
        print(f"{name:58s} log loss {loss:.4f}  accuracy {accuracy:.2%}  C {chosen}", flush=True)
    from pyimagesearch.nn.parallel.devices import describe

    baseline = rows[0][1]
    where = os.path.relpath(args.photos, ROOT)
    lines = [
        "# The transfer path's levers, in Kaggle's metric",
        "",
        f"Measured by `python -m benchmarks.transfer_logloss` on {datetime.date.today()}, "
        f"{platform.machine()}, {os.cpu_count()} cores, {describe()}: MobileNetV2 with the "
        f"local ImageNet weights, {len(passes[224][2]):,} photos of `{where}`. "
        "Log loss and accuracy of out-of-fold probabilities (5 stratified folds; C chosen "
        "inside each fold's training photos by the chapter's 3-fold `LogisticRegressionSearch`): "
        "no photo scored chose "
        "anything. Lower log loss is better; Kaggle's gold line is 0.0388.",
        "",
        "| path | log loss | vs today | accuracy | C chosen | features ms/photo |",
        "|---|---:|---:|---:|---|---:|",
        *(f"| {name} | {loss:.4f} | {loss / baseline:.2f}x | {accuracy:.2%} | "
          f"{', '.join(map(str, Cs))} | {cost:.1f} |" for name, loss, accuracy, Cs, cost in rows),
    ]  # fmt: skip
    with open(PAGE, "w") as f:
        f.write("\n".join(lines) + "\n")
    print(f"-> {PAGE}")


if __name__ == "__main__":
    main()
