"""The classifier stage's search over C beside the book's grid search, on
the same features in the same run: seconds, the C chosen, the held-out
accuracy and log loss, and Newton's method run to 1e-10 as the reference
of where each fit should end.

    .venv/bin/python -m benchmarks.classifier_search FEATURES.hdf5 [...] [--rows 1000 5000 25000]

FEATURES: files written by the chapter's features stage (or
extract_features.py). Each is cut to its first ROWS rows (sizes over a
file's rows are skipped and said so) and split as train_model.py splits
it: the first 75% fit, the rest score. Writes docs/classifier_benchmark.md
(the machine and the date with it) and prints the table."""

import argparse
import datetime
import os
import platform
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


def main():
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import GridSearchCV

    from pyimagesearch.pipeline.classifier import C_VALUES, read_feature_source, read_features
    from pyimagesearch.pipeline.logisticsearch import LogisticRegressionSearch

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("features", nargs="+")
    parser.add_argument("--rows", type=int, nargs="+", default=[1000, 5000, 25000])
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
        f"Measured by `python -m benchmarks.classifier_search` on {datetime.date.today()}, "
        f"{platform.machine()}, {os.cpu_count()} cores: the book's grid (C in {C_VALUES}, "
        "3-fold accuracy) on each features file's first rows, 75% fitted, 25% scored.",
        "",
        "| features | rows x dim | search | seconds | vs the book | C | accuracy | log loss |",
        "|---|---|---|---:|---:|---:|---:|---:|",
    ]
    for path in args.features:
        (X, y, _) = read_features(path)
        # float64 for all three: Newton's method would keep float32 (too coarse for
        # features whose singular values span eight decades); lbfgs converts anyway
        X = X.astype(np.float64)
        backbone = os.path.basename(read_feature_source(path).backbone)
        for rows in args.rows:
            if rows > len(y):
                print(f"{path}: {rows:,} rows asked, it holds {len(y):,}: skipped")
                continue
            book = None
            for name, make in searches.items():
                (seconds, C, accuracy, loss) = measure(make, X[:rows], y[:rows], int(rows * 0.75))
                book = book or seconds
                shape = f"{rows:,} x {X.shape[1]:,}"
                figures = f"{C} | {accuracy:.2%} | {loss:.4f}"
                lines.append(f"| {backbone} | {shape} | {name} | {seconds:.1f} | "
                             f"{book / seconds:.1f}x | {figures} |")  # fmt: skip
                print(lines[-1], flush=True)
    with open(PAGE, "w") as f:
        f.write("\n".join(lines) + "\n")
    print(f"-> {PAGE}")


if __name__ == "__main__":
    main()
