"""The classifier stage's search over C beside the book's grid search, on
the same features in the same run: seconds, the C chosen, the held-out
accuracy and log loss, and Newton's method run to 1e-10 as the reference
of where each fit should end.

    .venv/bin/python -m benchmarks.classifier_search [FEATURES.hdf5 ...] [--rows 1000 5000 25000]
        [--views MODEL.keras SPLIT.hdf5 MEAN.json] [--reference-rows 2500]

FEATURES: files written by the chapter's features stage (or
extract_features.py). Each is cut to its first ROWS rows (sizes over a
file's rows are skipped and said so) and split as train_model.py splits
it: the first 75% fit, the rest score. The Newton reference runs on sizes
up to --reference-rows only (it forms a D x D Hessian per step: minutes
per size beyond that).

--views makes as many rows as the largest ROWS asks from a split the
sample can fill: random crops (with a random mirror) of the build's
SPLIT.hdf5 photos through the chapter's trained AlexNet (its 4096-d
features, as the features stage taps them). Views of one photo are alike,
so their scores say little about photos unseen; the rows have the shape,
scale and conditioning of a Kaggle-sized features file, which is what the
searches' cost depends on.

Writes docs/classifier_benchmark.md (the machine and the date with it)
and prints the table."""

import argparse
import datetime
import os
import platform
import sys
import time
import warnings

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PAGE = os.path.join(ROOT, "docs", "classifier_benchmark.md")


def measure(make, X, y, cut):
    """(seconds, C, accuracy, log loss) of the search `make()` fitted on
    the first `cut` rows and scored on the others."""
    from pyimagesearch.pipeline.evaluation import held_out_log_loss

    began = time.perf_counter()
    search = make().fit(X[:cut], y[:cut])
    seconds = time.perf_counter() - began
    probabilities = search.predict_proba(X[cut:])
    accuracy = float(np.mean(probabilities.argmax(axis=1) == y[cut:]))
    return seconds, search.best_params_["C"], accuracy, held_out_log_loss(y[cut:], probabilities)


def view_features(model, split, meanPath, rows, seed=0):
    """(features (rows, 4096), labels (rows,)): `rows` random views of
    `split`'s photos (a crop of the model's input size at a random
    place, mirrored half the time) through `model`'s feature layer."""
    import h5py

    from pyimagesearch.nn.backbones import saved_model_extractor
    from pyimagesearch.preprocessing import MeanPreprocessor

    extractor = saved_model_extractor(model, MeanPreprocessor.from_json(meanPath))
    with h5py.File(split, "r") as db:
        (images, labels) = (db["images"][:], db["labels"][:])
    rng = np.random.default_rng(seed)
    (size, (height, width)) = (extractor.inputSize, images.shape[1:3])
    (features, chosen) = ([], rng.integers(0, len(images), rows))
    for first in range(0, rows, 256):
        batch = []
        for row in chosen[first : first + 256]:
            (top, left) = (rng.integers(0, height - size + 1), rng.integers(0, width - size + 1))
            view = images[row, top : top + size, left : left + size]
            batch.append(view[:, ::-1] if rng.random() < 0.5 else view)
        features.append(extractor.extract(np.stack(batch)))
    return np.concatenate(features), labels[chosen]


def main():
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import GridSearchCV

    from pyimagesearch.pipeline.classifier import C_VALUES, read_feature_source, read_features
    from pyimagesearch.pipeline.logisticsearch import LogisticRegressionSearch

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("features", nargs="*")
    parser.add_argument("--rows", type=int, nargs="+", default=[1000, 5000, 25000])
    parser.add_argument("--views", nargs=3, metavar=("MODEL", "SPLIT", "MEAN"))
    parser.add_argument("--reference-rows", type=int, default=2500)
    args = parser.parse_args()
    warnings.filterwarnings("ignore", module="sklearn")
    searches = {
        "the book's grid (lbfgs, max_iter=1000)": lambda: GridSearchCV(
            LogisticRegression(max_iter=1000), {"C": C_VALUES}, cv=3, n_jobs=-1
        ),
        "LogisticRegressionSearch (the chapter's)": lambda: LogisticRegressionSearch(
            C_VALUES, cv=3, n_jobs=-1
        ),
        "reference: the grid with Newton's method to 1e-10": lambda: GridSearchCV(
            LogisticRegression(solver="newton-cholesky", tol=1e-10, max_iter=200),
            {"C": C_VALUES}, cv=3, n_jobs=-1,
        ),
    }  # fmt: skip
    lines = [
        "# The classifier stage's search over C",
        "",
        f"Measured by `python -m benchmarks.classifier_search {' '.join(sys.argv[1:])}` on "
        f"{datetime.date.today()}, "
        f"{platform.machine()}, {os.cpu_count()} cores: the book's grid (C in {C_VALUES}, "
        "3-fold accuracy) on each features file's first rows, 75% fitted, 25% scored.",
        "",
        "| features | rows x dim | search | seconds | vs the book | C | accuracy | log loss |",
        "|---|---|---|---:|---:|---:|---:|---:|",
    ]
    # (where, name in the table, () -> (features, labels))
    sources = [
        (path, os.path.basename(read_feature_source(path).backbone),
         lambda path=path: read_features(path)[:2])
        for path in args.features
    ]  # fmt: skip
    if args.views:
        sources.append((" ".join(args.views), "views of " + os.path.basename(args.views[0]),
                        lambda: view_features(*args.views, max(args.rows))))  # fmt: skip
    for path, backbone, load in sources:
        began = time.perf_counter()
        (X, y) = load()
        print(f"{path}: {len(y):,} rows in {time.perf_counter() - began:.0f} s", flush=True)
        # float64 for all three: Newton's method would keep float32 (too coarse for
        # features whose singular values span eight decades); lbfgs converts anyway
        X = X.astype(np.float64)
        for rows in args.rows:
            if rows > len(y):
                print(f"{path}: {rows:,} rows asked, it holds {len(y):,}: skipped")
                continue
            book = None
            for name, make in searches.items():
                if name.startswith("reference") and rows > args.reference_rows:
                    continue
                (seconds, C, accuracy, loss) = measure(make, X[:rows], y[:rows], int(rows * 0.75))
                book = book or seconds
                shape = f"{rows:,} x {X.shape[1]:,}"
                figures = f"{C} | {accuracy:.2%} | {loss:.4f}"
                lines.append(f"| {backbone} | {shape} | {name} | {seconds:.1f} | "
                             f"{book / seconds:.1f}x | {figures} |")  # fmt: skip
                print(lines[-1], flush=True)
    lines += ["", f"The Newton reference runs on sizes up to {args.reference_rows:,} rows."]
    if args.views:
        lines += [
            "",
            f"`views of {os.path.basename(args.views[0])}`: rows made by `--views` from "
            f"`{os.path.basename(args.views[1])}` (random crops, half of them mirrored, of its "
            "photos through the trained network): many rows are views of one photo, so their "
            "scores are not held-out figures; they show what the searches cost, and whether "
            "they agree, at the size of Kaggle's features.",
        ]
    with open(PAGE, "w") as f:
        f.write("\n".join(lines) + "\n")
    print(f"-> {PAGE}")


if __name__ == "__main__":
    main()
