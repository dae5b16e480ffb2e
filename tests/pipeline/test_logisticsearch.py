"""LogisticRegressionSearch and NewtonSearch (scikit-learn's
LogisticRegressionCV) choose the C that the book's grid search chooses when
every fit reaches its optimum, and fit the same model; the classifier
stage's figures are those scikit-learn's own search gives."""

import functools
import json

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV

from pyimagesearch.io import HDF5DatasetWriter
from pyimagesearch.pipeline import classifier
from pyimagesearch.pipeline.classifier import FINE_C_VALUES
from pyimagesearch.pipeline.logisticsearch import LogisticRegressionSearch, NewtonSearch

SEARCHES = [LogisticRegressionSearch, NewtonSearch]


def cnn_like_features(rows, dim, classes, seed=0):
    """Features as badly conditioned as a CNN's: non-negative, far from
    zero mean, column scales over four decades, some dead columns."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, classes, rows)
    centres = rng.normal(0, 1, (classes, dim))
    X = centres[labels] + rng.normal(0, 1.5, (rows, dim))
    X = np.maximum(X, 0) * np.logspace(-2, 2, dim) + 5
    X[:, : dim // 10] = 5.0
    return X, labels


@functools.cache
def converged_grid_search(rows, dim, classes, scoring):
    """The book's grid search, every fit run to its optimum, on
    cnn_like_features(rows, dim, classes): the reference both searches are
    held to, fitted once for the two (no test changes it)."""
    X, y = cnn_like_features(rows, dim, classes)
    return GridSearchCV(
        LogisticRegression(solver="newton-cholesky", tol=1e-10, max_iter=200),
        {"C": FINE_C_VALUES}, scoring=scoring, cv=3,
    ).fit(X, y)  # fmt: skip


@pytest.mark.parametrize(
    "rows, dim, classes, scoring",
    [
        (300, 40, 2, "neg_log_loss"),
        (120, 200, 2, "accuracy"),  # fewer rows than features: the covariance's basis
        (60, 200, 2, "neg_log_loss"),  # under half: the rows' span
        (240, 30, 3, "neg_log_loss"),
    ],
)
@pytest.mark.parametrize("Search", SEARCHES)
def test_same_choice_and_model_as_the_converged_grid_search(Search, rows, dim, classes, scoring):
    X, y = cnn_like_features(rows, dim, classes)
    grid = converged_grid_search(rows, dim, classes, scoring)
    search = Search(FINE_C_VALUES, scoring=scoring, cv=3).fit(X, y)
    assert search.best_params_ == grid.best_params_
    np.testing.assert_allclose(
        search.cv_results_["mean_test_score"], grid.cv_results_["mean_test_score"], atol=1e-5
    )
    Xnew, _ = cnn_like_features(50, dim, classes, seed=1)
    np.testing.assert_allclose(search.predict_proba(Xnew), grid.predict_proba(Xnew), atol=1e-4)
    assert isinstance(search.best_estimator_, LogisticRegression)
    np.testing.assert_array_equal(search.best_estimator_.classes_, np.arange(classes))


@pytest.mark.parametrize("Search", SEARCHES)
def test_cs_out_of_order_and_non_positive(Search):
    X, y = cnn_like_features(90, 10, 2)
    Cs = [1.0, 0.01, 0.1]
    search = Search(Cs, scoring="neg_log_loss").fit(X, y)
    assert [p["C"] for p in search.cv_results_["params"]] == Cs
    grid = GridSearchCV(LogisticRegression(solver="newton-cholesky", tol=1e-10), {"C": Cs},
                        scoring="neg_log_loss", cv=3).fit(X, y)  # fmt: skip
    np.testing.assert_allclose(
        search.cv_results_["mean_test_score"], grid.cv_results_["mean_test_score"], atol=1e-5
    )
    with pytest.raises(ValueError, match="Cs must be positive"):
        Search([0.0, 1.0]).fit(X, y)


@pytest.mark.parametrize("classes", [2, 3])
def test_the_classifier_stage_chooses_and_scores_as_scikit_learns_own_search(classes, tmp_path):
    from pyimagesearch.pipeline.evaluation import held_out_log_loss

    X, y = cnn_like_features(240, 30, classes)
    path = str(tmp_path / "features.hdf5")
    with HDF5DatasetWriter(X.shape, path, dataKey="features") as writer:
        writer.storeClassLabels(["cat", "dog", "fox"][:classes])
        writer.add(X, y)
        # a network none of these photos trained: the book's split of rows holds
        writer.db.attrs["backbone_kind"] = "keras.applications"
    (model, names, report) = classifier.fit_classifier(
        path, 1, scoring="neg_log_loss", Cs=FINE_C_VALUES
    )
    (fitted, scored) = (np.arange(180), np.arange(180, 240))  # the book's 75% / 25%
    assert report["predictions"]["rows"] == scored.tolist()
    newton = NewtonSearch(FINE_C_VALUES, scoring="neg_log_loss", cv=3).fit(X[fitted], y[fitted])
    probabilities = newton.predict_proba(X[scored])
    assert report["best_params"] == newton.best_params_
    assert report["score"] == np.mean(probabilities.argmax(axis=1) == y[scored])
    assert report["log_loss"] == pytest.approx(
        held_out_log_loss(y[scored], probabilities), abs=1e-5
    )
    np.testing.assert_allclose(report["predictions"]["probabilities"], probabilities, atol=1e-4)
    # the saved classifier holds the plain LogisticRegression either search makes
    classifier.save_logistic_regression(model, tmp_path / "a.json", names, report["features"])
    classifier.save_logistic_regression(
        newton.best_estimator_, tmp_path / "b.json", names, report["features"]
    )
    (a, b) = (json.loads((tmp_path / f).read_text()) for f in ("a.json", "b.json"))
    assert a.keys() == b.keys() and a["params"] == b["params"]
