"""The classifier stage's search over C, each route on the same features in
the same run: the chapter's hand-written `LogisticRegressionSearch`,
scikit-learn's `LogisticRegressionCV` (Newton-Cholesky; L-BFGS on
standardised features), the book's grid, and the grid with Newton's method
run to 1e-10 as the reference of where each fit should end. All search the
chapter's way: C in FINE_C_VALUES by 3-fold cross-validated log loss.

    .venv/bin/python -m benchmarks.classifier_search [FEATURES.hdf5 ...] [--rows 2000]
        [--views MODEL.keras SPLIT.hdf5 MEAN.json] [--mobilenet-views WEIGHTS PHOTOS]
        [--view-rows 5000 25000] [--cache DIR] [--budget 150] [--reference-rows 2000]

FEATURES: files written by the chapter's features stage (or
extract_features.py). Each is cut to its first ROWS rows (sizes over a
file's rows are skipped and said so) and split as train_model.py splits
it: the first 75% fit, the rest score.

--views and --mobilenet-views make VIEW_ROWS rows where the sample's photos
are too few: random crops (half of them mirrored) of the photos through a
network, `--views` through the chapter's trained AlexNet (its 4096-d
features, as the features stage taps them) from the build's SPLIT.hdf5,
`--mobilenet-views` through MobileNetV2 (1280-d; 192-px crops of the
photos at 224 px, cheaper than the chapter's 288) from a folder of
labelled photos. Views of one photo are alike, so their scores say little
about photos unseen; the rows have the shape, scale and conditioning of a
Kaggle-sized features file, which is what the searches' cost depends on.
--cache DIR keeps the views between runs.

Every route runs in one process and one thread (n_jobs=1, one BLAS
thread), the same for each. A route other than the hand-written search is stopped at --budget
seconds, and skipped where its time at fewer rows of the same dimension,
scaled by the rows, exceeds them; the Newton reference runs on sizes up
to --reference-rows only.

Writes docs/classifier_benchmark.md (the machine and the date with it)
and prints the table."""

import argparse
import datetime
import os
import platform
import signal
import sys
import time
import warnings

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PAGE = os.path.join(ROOT, "docs", "classifier_benchmark.md")
HAND = "LogisticRegressionSearch (hand-written)"
REFERENCE = "reference: the grid with Newton's method to 1e-10"
# a route agrees with the hand-written search where it chooses the same C
# and its held-out log loss is within this (the probabilities'
# tolerance in tests/pipeline/test_logisticsearch.py)
AGREE = 1e-4


class StandardisedSearch:
    """`LogisticRegressionCV` with L-BFGS on features scaled to unit
    variance: another objective (C penalises the scaled weights), so its
    C and scores may differ from the others'."""

    def __init__(self, Cs, scoring):
        (self.Cs, self.scoring) = (Cs, scoring)

    def fit(self, X, y):
        from sklearn.linear_model import LogisticRegressionCV
        from sklearn.pipeline import make_pipeline
        from sklearn.preprocessing import StandardScaler

        search = LogisticRegressionCV(
            Cs=self.Cs, l1_ratios=(0,), cv=3, scoring=self.scoring, solver="lbfgs", tol=1e-6,
            max_iter=1000, n_jobs=1, use_legacy_attributes=False,
        )  # fmt: skip
        self.pipeline = make_pipeline(StandardScaler(), search).fit(X, y)
        self.best_params_ = {"C": search.C_}
        return self

    def predict_proba(self, X):
        return self.pipeline.predict_proba(X)


class Overdue(BaseException):
    """A search ran past its time limit (not an Exception: GridSearchCV
    records an Exception in one fit as a failed fit and goes on)."""


def overdue(signum, frame):
    raise Overdue


def measure(make, X, y, cut, limit=None):
    """(seconds, C, accuracy, log loss, converged) of the search `make()`
    fitted on the first `cut` rows and scored on the others, or None where
    it ran past `limit` seconds; converged is False where scikit-learn
    warned that a fit stopped short."""
    from sklearn.exceptions import ConvergenceWarning
    from threadpoolctl import threadpool_limits

    from pyimagesearch.pipeline.evaluation import held_out_log_loss

    signal.signal(signal.SIGALRM, overdue)
    # one BLAS thread: threads that wait for each other on cores shared with
    # other work made a search 4-7x slower than in worker processes
    with warnings.catch_warnings(record=True) as caught, threadpool_limits(1):
        warnings.simplefilter("always", ConvergenceWarning)
        began = time.perf_counter()
        signal.alarm(int(limit or 0))
        try:
            search = make().fit(X[:cut], y[:cut])
        except Overdue:
            return None
        finally:
            signal.alarm(0)
        seconds = time.perf_counter() - began
    converged = not any(issubclass(w.category, ConvergenceWarning) for w in caught)
    probabilities = search.predict_proba(X[cut:])
    accuracy = float(np.mean(probabilities.argmax(axis=1) == y[cut:]))
    loss = held_out_log_loss(y[cut:], probabilities)
    return seconds, search.best_params_["C"], accuracy, loss, converged


def view_features(extractor, images, labels, rows, seed=0):
    """(features (rows, D), labels (rows,)): `rows` random views of
    `images` (a crop of the extractor's input size at a random place,
    mirrored half the time) through `extractor`."""
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


def alexnet_views(model, split, meanPath, rows):
    """Views of the build's `split` photos through the trained AlexNet."""
    import h5py

    from pyimagesearch.nn.backbones import saved_model_extractor
    from pyimagesearch.preprocessing import MeanPreprocessor

    extractor = saved_model_extractor(model, MeanPreprocessor.from_json(meanPath))
    with h5py.File(split, "r") as db:
        return view_features(extractor, db["images"][:], db["labels"][:], rows)


def mobilenet_views(weights, photos, rows, size=192, stored=224):
    """Views of a folder of labelled photos, each resized to `stored`
    pixels, through MobileNetV2 at `size`."""
    from pyimagesearch.io.imagedecoder import usable_batches
    from pyimagesearch.io.imagefiles import labelled_image_files
    from pyimagesearch.nn.backbones import application_extractor
    from pyimagesearch.preprocessing import SimplePreprocessor

    extractor = application_extractor("mobilenet_v2", weights, featureSize=size)
    (_, labelled, _) = labelled_image_files(photos)
    resizer = SimplePreprocessor(stored, stored)
    batches = usable_batches(labelled, resizer, 64, os.cpu_count(), [])
    pairs = [pair for batch, _ in batches for pair in batch]
    images = np.stack([image for _, image in pairs])
    labels = np.array([f.label == "dog" for f, _ in pairs], dtype=int)
    return view_features(extractor, images, labels, rows)


def cached(cache, name, make):
    """`make()`'s (features, labels), kept in `cache`/`name`.npz."""
    path = os.path.join(cache, name + ".npz") if cache else None
    if path and os.path.exists(path):
        with np.load(path) as saved:
            return saved["X"], saved["y"]
    (X, y) = make()
    if path:
        os.makedirs(cache, exist_ok=True)
        np.savez(path, X=X, y=y)
    return X, y


def routes(Cs, scoring):
    """{name: () -> an unfitted search}, the hand-written search first."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import GridSearchCV

    from pyimagesearch.pipeline.logisticsearch import LogisticRegressionSearch, NewtonSearch

    return {
        HAND: lambda: LogisticRegressionSearch(Cs, scoring=scoring, cv=3, n_jobs=1),
        "LogisticRegressionCV, newton-cholesky (NewtonSearch)": lambda: NewtonSearch(
            Cs, scoring=scoring, cv=3, n_jobs=1
        ),
        "LogisticRegressionCV, lbfgs on standardised features": lambda: StandardisedSearch(
            Cs, scoring
        ),
        "the book's grid (GridSearchCV, lbfgs, max_iter=1000)": lambda: GridSearchCV(
            LogisticRegression(max_iter=1000), {"C": Cs}, scoring=scoring, cv=3, n_jobs=1
        ),
        REFERENCE: lambda: GridSearchCV(
            LogisticRegression(solver="newton-cholesky", tol=1e-10, max_iter=200),
            {"C": Cs}, scoring=scoring, cv=3, n_jobs=1,
        ),
    }  # fmt: skip


def verdict(measured, projected):
    """One summary cell: the fastest scikit-learn route that agrees with the
    hand-written search, its time over the hand-written's and which the
    rule takes (the hand-written search only where it is at least 2x
    faster), from `measured` {route: (seconds, agrees)} and `projected`
    {route: seconds} of the routes skipped."""
    hand = measured.pop(HAND)[0]
    agreeing = {name: seconds for name, (seconds, agrees) in measured.items() if agrees}
    if agreeing:
        name = min(agreeing, key=agreeing.get)
        ratio = agreeing[name] / hand
        return f"{name} | {agreeing[name]:.1f} | {hand:.1f} | {ratio:.1f}x", ratio
    if projected:
        name = min(projected, key=projected.get)
        ratio = projected[name] / hand
        return (
            f"{name}, skipped | over {projected[name]:.0f} | {hand:.1f} | over {ratio:.1f}x",
            ratio,
        )
    return f"none agrees | - | {hand:.1f} | -", float("inf")


def main():
    from pyimagesearch.pipeline.classifier import FINE_C_VALUES, read_feature_source, read_features

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("features", nargs="*")
    parser.add_argument("--rows", type=int, nargs="+", default=[2000])
    parser.add_argument("--views", nargs=3, metavar=("MODEL", "SPLIT", "MEAN"))
    parser.add_argument("--mobilenet-views", nargs=2, metavar=("WEIGHTS", "PHOTOS"))
    parser.add_argument("--view-rows", type=int, nargs="+", default=[5000, 25000])
    parser.add_argument("--cache")
    parser.add_argument("--budget", type=float, default=150)
    parser.add_argument("--reference-rows", type=int, default=2000)
    args = parser.parse_args()
    (Cs, scoring) = (FINE_C_VALUES, "neg_log_loss")
    loadBefore = os.getloadavg()[0]
    searches = routes(Cs, scoring)
    lines = [
        "# The classifier stage's search over C",
        "",
        f"Measured by `python -m benchmarks.classifier_search {' '.join(sys.argv[1:])}` on "
        f"{datetime.date.today()}, {platform.machine()}, {os.cpu_count()} cores: each route "
        f"searches C in {Cs} by 3-fold cross-validated log loss (the chapter's classifier "
        "stage) on each features file's first rows, 75% fitted, 25% scored. `/ hand-written`: "
        "the route's seconds over the hand-written search's; `agrees`: the same C and a "
        f"held-out log loss within {AGREE:g} of the hand-written search's.",
        "",
        "| features | rows x dim | search | seconds | / hand-written | C | accuracy | log loss "
        "| agrees |",
        "|---|---|---|---:|---:|---:|---:|---:|---|",
    ]
    # (name in the table, () -> (features, labels), sizes)
    sources = [
        (os.path.basename(read_feature_source(path).backbone),
         lambda path=path: read_features(path)[:2], args.rows)
        for path in args.features
    ]  # fmt: skip
    if args.views:
        sources.append((f"views of {os.path.basename(args.views[0])}", lambda: cached(
            args.cache, f"alexnet-{max(args.view_rows)}",
            lambda: alexnet_views(*args.views, max(args.view_rows))), args.view_rows))  # fmt: skip
    if args.mobilenet_views:
        sources.append(("views of MobileNetV2", lambda: cached(
            args.cache, f"mobilenet_v2-{max(args.view_rows)}",
            lambda: mobilenet_views(*args.mobilenet_views, max(args.view_rows))),
            args.view_rows))  # fmt: skip
    (summary, spent) = ([], {})  # spent: {(route, dim): (rows, seconds)}
    for backbone, load, sizes in sources:
        began = time.perf_counter()
        (X, y) = load()
        print(f"{backbone}: {len(y):,} rows in {time.perf_counter() - began:.0f} s", flush=True)
        # float64 for all: Newton's method would keep float32 (too coarse for
        # features whose singular values span eight decades); lbfgs converts anyway
        X = X.astype(np.float64)
        for rows in sizes:
            if rows > len(y):
                print(f"{backbone}: {rows:,} rows asked, it holds {len(y):,}: skipped")
                continue
            shape = f"{rows:,} x {X.shape[1]:,}"
            (measured, projected, hand) = ({}, {}, None)
            for name, make in searches.items():
                if name == REFERENCE and rows > args.reference_rows:
                    continue
                (before, took) = spent.get((name, X.shape[1]), (rows, 0))
                if name != HAND and took * rows / before > args.budget:
                    projected[name] = took * rows / before
                    lines.append(f"| {backbone} | {shape} | {name} | skipped: "
                                 f"{took:.0f} s at {before:,} rows | | | | | |")  # fmt: skip
                    print(lines[-1], flush=True)
                    continue
                limit = None if name == HAND else args.budget
                result = measure(make, X[:rows], y[:rows], int(rows * 0.75), limit)
                if result is None:
                    (projected[name], spent[(name, X.shape[1])]) = (limit, (rows, limit))
                    lines.append(f"| {backbone} | {shape} | {name} | stopped at {limit:.0f} s "
                                 "| | | | | |")  # fmt: skip
                    print(lines[-1], flush=True)
                    continue
                (seconds, C, accuracy, loss, converged) = result
                spent[(name, X.shape[1])] = (rows, seconds)
                hand = hand or (seconds, C, loss)
                agrees = C == hand[1] and abs(loss - hand[2]) <= AGREE
                measured[name] = (seconds, agrees)
                note = "yes" if agrees else "no"
                note += "" if converged else " (a fit stopped short)"
                lines.append(f"| {backbone} | {shape} | {name} | {seconds:.1f} | "
                             f"{seconds / hand[0]:.1f}x | {C} | {accuracy:.2%} | {loss:.4f} | "
                             f"{note} |")  # fmt: skip
                print(lines[-1], flush=True)
            (cells, ratio) = verdict(measured, projected)
            rule = "hand-written" if ratio >= 2 else "scikit-learn"
            summary.append(f"| {backbone} | {shape} | {cells} | {rule} |")
    lines += [
        "",
        "## Which search the classifier stage should use",
        "",
        "The fastest scikit-learn route that agrees with the hand-written search (the same C "
        "and held-out figures), its time over the hand-written search's; the hand-written "
        "search is kept only where that is 2x or more. A route stopped or skipped for "
        "--budget counts as over it (`over`).",
        "",
        "| features | rows x dim | fastest agreeing scikit-learn route | its seconds | "
        "hand-written seconds | ratio | the rule takes |",
        "|---|---|---|---:|---:|---:|---|",
        *summary,
        "",
        "Every route runs in one process and one BLAS thread. Routes other than the hand-written "
        f"search are stopped at {args.budget:g} s, and skipped where their time at fewer rows "
        "of the same dimension, scaled by the rows, exceeds it; the Newton reference runs on "
        "sizes up to "
        f"{args.reference_rows:,} rows. The machine's load average (1 minute) was "
        f"{loadBefore:.1f} at the start and {os.getloadavg()[0]:.1f} at the end: on a machine "
        "shared with other work, seconds are comparable within a run, not across runs.",
    ]
    if args.views or args.mobilenet_views:
        lines += [
            "",
            "`views of ...`: rows made by `--views` (random crops of the build's photos, half "
            "of them mirrored, through the trained AlexNet) and `--mobilenet-views` (the same "
            "of the sample's photos through MobileNetV2 at 192 px): many rows are views of one "
            "photo, so their scores are not held-out figures; they show what the searches "
            "cost, and whether they agree, at the size of Kaggle's features.",
        ]
    with open(PAGE, "w") as f:
        f.write("\n".join(lines) + "\n")
    print(f"-> {PAGE}")


if __name__ == "__main__":
    main()
