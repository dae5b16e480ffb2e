"""LogisticRegressionSearch chooses the C that the book's grid search
chooses when every fit reaches its optimum, and fits the same model."""

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV

from pyimagesearch.pipeline.classifier import FINE_C_VALUES
from pyimagesearch.pipeline.logisticsearch import LogisticRegressionSearch


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


@pytest.mark.parametrize(
    "rows, dim, classes, scoring",
    [
        (300, 40, 2, "neg_log_loss"),
        (120, 200, 2, "accuracy"),  # fewer rows than features: the covariance's basis
        (60, 200, 2, "neg_log_loss"),  # under half: the rows' span
        (240, 30, 3, "neg_log_loss"),
    ],
)
def test_same_choice_and_model_as_the_converged_grid_search(rows, dim, classes, scoring):
    X, y = cnn_like_features(rows, dim, classes)
    grid = GridSearchCV(
        LogisticRegression(solver="newton-cholesky", tol=1e-10, max_iter=200),
        {"C": FINE_C_VALUES}, scoring=scoring, cv=3,
    ).fit(X, y)  # fmt: skip
    search = LogisticRegressionSearch(FINE_C_VALUES, scoring=scoring, cv=3).fit(X, y)
    assert search.best_params_ == grid.best_params_
    np.testing.assert_allclose(
        search.cv_results_["mean_test_score"], grid.cv_results_["mean_test_score"], atol=1e-5
    )
    Xnew, _ = cnn_like_features(50, dim, classes, seed=1)
    np.testing.assert_allclose(search.predict_proba(Xnew), grid.predict_proba(Xnew), atol=1e-4)
    assert isinstance(search.best_estimator_, LogisticRegression)
    np.testing.assert_array_equal(search.best_estimator_.classes_, np.arange(classes))


def test_cs_out_of_order_and_non_positive():
    X, y = cnn_like_features(90, 10, 2)
    Cs = [1.0, 0.01, 0.1]
    search = LogisticRegressionSearch(Cs, scoring="neg_log_loss").fit(X, y)
    assert [p["C"] for p in search.cv_results_["params"]] == Cs
    grid = GridSearchCV(LogisticRegression(solver="newton-cholesky", tol=1e-10), {"C": Cs},
                        scoring="neg_log_loss", cv=3).fit(X, y)  # fmt: skip
    np.testing.assert_allclose(
        search.cv_results_["mean_test_score"], grid.cv_results_["mean_test_score"], atol=1e-5
    )
    with pytest.raises(ValueError, match="Cs must be positive"):
        LogisticRegressionSearch([0.0, 1.0]).fit(X, y)
