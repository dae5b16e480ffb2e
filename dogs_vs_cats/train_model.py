"""Fit a logistic regression on extracted CNN features, with a grid search
over C (the book's train_model.py, chapter 10)."""

import os
import sys

if __package__ in (None, ""):  # run as a file: make the project importable
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from dogs_vs_cats.config import dogs_vs_cats_config as config  # noqa: E402
from pyimagesearch.utils.cli import ArgumentParser, run  # noqa: E402


def make_parser():
    parser = ArgumentParser(prog=os.path.basename(__file__), description=__doc__)
    parser.add_argument("-d", "--db", default=config.FEATURES_HDF5, help="HDF5 file of features")
    parser.add_argument("-m", "--model", default=config.CLASSIFIER_PATH,
                        help="where the fitted model is saved (JSON, not pickle)")
    parser.add_argument("-j", "--jobs", type=int, default=-1,
                        help="parallel jobs of the grid search (-1: all cores)")
    parser.add_argument("--report", default=None,
                        help="also write the classification report and score to this JSON file")
    return parser


def fit(args):
    import numpy as np
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import accuracy_score, classification_report
    from sklearn.model_selection import GridSearchCV

    from pyimagesearch.io.hdf5datasetgenerator import open_hdf5, read_label_names
    from pyimagesearch.utils.files import write_json
    from pyimagesearch.utils.linearmodel import save_logistic_regression

    with open_hdf5(args.db) as db:
        for key in ("features", "labels"):
            if key not in db:
                raise ValueError(f"{args.db} has no '{key}' data set: write it with extract_features.py")
        features = db["features"][:]
        labels = db["labels"][:]
        labelNames = read_label_names(db)
    if features.ndim != 2 or len(features) != len(labels) or len(features) < 8:
        raise ValueError(f"{args.db}: expected (N, D) features with N >= 8 and N labels; "
                         f"found features {features.shape} and {len(labels)} labels")
    if not np.all(np.isfinite(features)):
        raise ValueError(f"{args.db} holds NaN or infinite features")
    classes = np.unique(labels)
    if labelNames is None or classes.min() < 0 or classes.max() >= len(labelNames):
        raise ValueError(f"{args.db}: labels {classes.tolist()} do not match its label_names")

    # the book's split: the first 75% of the (shuffled) rows train, the rest test
    i = int(len(labels) * 0.75)
    print("[INFO] tuning hyperparameters...")
    params = {"C": [0.0001, 0.001, 0.01, 0.1, 1.0]}
    # max_iter: lbfgs's default 100 stops before converging on 2048-d features
    model = GridSearchCV(LogisticRegression(max_iter=1000), params, cv=3, n_jobs=args.jobs)
    model.fit(features[:i], labels[:i])
    print(f"[INFO] best hyperparameters: {model.best_params_}")

    print("[INFO] evaluating...")
    preds = model.predict(features[i:])
    names = [labelNames[k] for k in range(len(labelNames))]
    print(classification_report(labels[i:], preds, labels=list(range(len(names))),
                                target_names=names, zero_division=0))
    acc = accuracy_score(labels[i:], preds)
    print(f"[INFO] score: {acc:.4f}")

    print(f"[INFO] saving model to {args.model}...")
    save_logistic_regression(model.best_estimator_, args.model, labelNames)
    if args.report:
        write_json(args.report, {
            "score": acc, "train_rows": i, "test_rows": len(labels) - i,
            "best_params": model.best_params_,
            "classification_report": classification_report(
                labels[i:], preds, labels=list(range(len(names))), target_names=names,
                zero_division=0, output_dict=True),
        })


def main(argv=None):
    run(fit, make_parser(), argv)


if __name__ == "__main__":
    main()
