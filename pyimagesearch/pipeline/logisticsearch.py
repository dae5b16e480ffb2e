"""The book's grid search over C for a logistic regression, by a faster
route to the same models.

`GridSearchCV(LogisticRegression(), {"C": Cs}, cv=3)` fits every C of
every fold from zeros with L-BFGS on the raw features. CNN features are
badly conditioned (AlexNet's: singular values from 1e4 down to 1e-4, and
a mean far from zero that couples every weight to the intercept), so
those fits stop at their iteration limit short of the optimum, and the
grid chooses C among unfinished models. `LogisticRegressionSearch` solves
the same problems -- the same folds, the same objective, each C to its
optimum -- in better coordinates:

- centred features (exact: scikit-learn does not penalise the intercept,
  so x.w + b = (x - mean).w + (b + mean.w));
- weights written w = V (p * v), V the eigenvectors of the features'
  covariance and p_j = 1 / sqrt(the objective's curvature along V_j at
  the fit's starting point, estimated on up to 2,048 rows): L-BFGS then
  sees a problem close to a sphere. Any invertible V and p give the same
  optimum; they change how fast it is reached, never where it is. (At a
  warm start the curvature is the loss's own, not its bound of 1/4: once
  most rows are confident, the bound overstated it, and the fits at
  C = 1 took two to three times the iterations);
- with at most half as many rows as features, V spans the rows only (the
  optimum lies in their span: w = -C sum_i g_i (x_i - mean)), a smaller
  problem (with more, the SVD of the rows costs more than the covariance's
  eigenvectors: 15 s against 4 s for 3,750 rows of 4,096);
- each fold's Cs are solved in ascending order, each from the last one's
  optimum, and the refit on every row starts from the folds' mean.

The objective is scikit-learn's for `LogisticRegression(penalty="l2")`:
the mean log loss plus |w|^2 / (2 C n), the intercept unpenalised; two
classes take one row of weights (a sigmoid), more take one row each (a
softmax). The fitted model is a plain `LogisticRegression`.

`NewtonSearch` runs the same search through scikit-learn's own
`LogisticRegressionCV` with Newton's method, which needs no such care but
forms and solves a D x D system per step: at the same C and score, 2.0x
to 3.6x slower than `LogisticRegressionSearch` on MobileNetV2's 1,280-d
features (25,000 to 2,000 rows) and 17x on AlexNet's 4,096-d
(docs/classifier_benchmark.md), so the classifier stage keeps the
hand-written search; `NewtonSearch` is what the benchmark and the tests
hold it to.
"""

from __future__ import annotations

import numpy as np
import scipy.linalg
import scipy.optimize
from joblib import Parallel, delayed
from scipy.special import logsumexp, softmax
from sklearn.linear_model import LogisticRegression, LogisticRegressionCV
from sklearn.metrics import check_scoring
from sklearn.model_selection import check_cv

# A fit stops when no preconditioned gradient component exceeds GTOL; at
# 1e-7 its held-out log loss agreed with Newton's method run to 1e-10
# within 1e-6 on the sample's AlexNet and MobileNetV2 features (measured
# for C = 0.01, 0.1, 1); tests/pipeline/test_logisticsearch.py holds it to 1e-5
# in fold scores on CNN-like features
GTOL = 1e-7
MAX_ITER = 15000
NEWTON_TOL = 1e-8


class Basis:
    """Where a search's fits take their coordinates: the training rows'
    `mean_` (D,), an orthonormal `vectors_` (D, R) spanning the centred
    rows (R = D, or the rank of the centred rows when there are at most
    half as many rows as features), and `probe_` (M, D) and
    `probeCoordinates_` (M, R): up to `probeRows` of the rows, raw and in
    those coordinates, from which a fit estimates its curvature."""

    def __init__(self, X: np.ndarray, sampleRows: int = 8192, probeRows: int = 2048):
        self.mean_ = X.mean(axis=0)
        (n, d) = X.shape
        # any rows estimate the curvature: it sets the speed, not the optimum
        every = max(1, n // probeRows)
        if 2 * n <= d:
            (u, singular, vt) = np.linalg.svd(X - self.mean_, full_matrices=False)
            rank = int(np.sum(singular > singular[0] * max(n, d) * np.finfo(float).eps))
            self.vectors_ = vt[:rank].T
            self.probeCoordinates_ = (u[:, :rank] * singular[:rank])[::every]
        else:
            sample = X[:: max(1, n // sampleRows)] - self.mean_
            gram = (sample.T @ sample).astype(np.float32)
            (_, vectors) = scipy.linalg.eigh(gram, driver="evd")
            self.vectors_ = vectors.astype(np.float64)
            self.probeCoordinates_ = (X[::every] - self.mean_) @ self.vectors_
        self.probe_ = X[::every]


class LogisticProblem:
    """One fold's penalised log loss, in `basis`'s coordinates, for rows
    `X` (n, D) and class columns `y` (n,) among `classes` classes."""

    def __init__(self, X: np.ndarray, y: np.ndarray, classes: int, basis: Basis):
        self.X = X
        self.y = y
        self.basis = basis
        self.outputs = 1 if classes == 2 else classes
        self.onehot = np.eye(classes)[y]

    def all_logits(self, logits: np.ndarray) -> np.ndarray:
        """(n, classes) logits from the model's (n, K): two classes' single
        column is the second class's, beside a zero for the first."""
        return np.hstack([np.zeros((len(logits), 1)), logits]) if self.outputs == 1 else logits

    def scales(self, C: float, start=None) -> np.ndarray:
        """p (K, R): 1 / sqrt(the objective's curvature along each basis
        vector for each class column), at `start` (W, intercept), or where
        a logistic loss curves most (1/4) when there is no start."""
        if start is None:
            slopes = np.full((len(self.basis.probe_), self.outputs), 0.25)
        else:
            (W, b) = start
            logits = self.all_logits(self.basis.probe_ @ W.T + b)
            probabilities = softmax(logits, axis=1)[:, -self.outputs :]
            slopes = probabilities * (1 - probabilities)
        loss = slopes.T @ self.basis.probeCoordinates_**2 / len(slopes)
        return 1 / np.sqrt(loss + 1 / (C * len(self.y)))

    def solve(self, C: float, start: tuple[np.ndarray, np.ndarray] | None = None):
        """(W (K, D), intercept (K,), iterations): the optimum for `C`,
        from `start` (W, intercept) or from zeros."""
        (V, mean) = (self.basis.vectors_, self.basis.mean_)
        p = self.scales(C, start)
        (k, r, n) = (self.outputs, p.shape[1], len(self.y))
        if start is None:
            theta = np.zeros(k * r + k)
        else:
            (W, b) = start
            theta = np.concatenate([((W @ V) / p).ravel(), b + W @ mean])

        def weights(theta):
            """(W, the intercept of the centred features) from theta."""
            return (theta[: k * r].reshape(k, r) * p) @ V.T, theta[k * r :]

        def objective(theta):
            (W, b) = weights(theta)
            logits = self.all_logits(self.X @ W.T - W @ mean + b)
            normaliser = logsumexp(logits, axis=1, keepdims=True)
            loss = np.mean(normaliser[:, 0] - logits[np.arange(n), self.y])
            residual = (np.exp(logits - normaliser) - self.onehot)[:, -k:]
            gradW = (residual.T @ self.X - np.outer(residual.sum(axis=0), mean)) / n
            gradW += W / (C * n)
            penalty = np.sum(W * W) / (2 * C * n)
            return loss + penalty, np.concatenate([((gradW @ V) * p).ravel(), residual.mean(0)])

        # L-BFGS-B's tolerances are absolute below an objective of 1: on rows
        # nearly separated (a loss of 1e-4 at large C) they stopped fits whose
        # held-out log loss was still 2e-5 off; measured from the start's
        # objective, they are relative
        scale = 1 / objective(theta)[0]

        def scaled(theta):
            (value, gradient) = objective(theta)
            return value * scale, gradient * scale

        result = scipy.optimize.minimize(
            scaled, theta, jac=True, method="L-BFGS-B",
            options={"maxiter": MAX_ITER, "gtol": GTOL, "ftol": 64 * np.finfo(float).eps},
        )  # fmt: skip
        (W, b) = weights(result.x)
        return W, b - W @ mean, int(result.nit)


def as_model(W, intercept, classes, C) -> LogisticRegression:
    """A `LogisticRegression(C=C)` with these weights, as if fitted."""
    model = LogisticRegression(C=C)
    model.classes_ = np.asarray(classes)
    model.coef_ = W
    model.intercept_ = intercept
    model.n_features_in_ = W.shape[1]
    return model


def fold_path(X, columns, train, test, classes, basis, Cs, scorer):
    """Each C's score on `test`, and its (W, intercept), fitted on `train`
    from the previous C's optimum (Cs ascending)."""
    problem = LogisticProblem(X[train], columns[train], len(classes), basis)
    (scores, optima, start) = ([], [], None)
    for C in Cs:
        (W, b, _) = problem.solve(C, start)
        scores.append(scorer(as_model(W, b, classes, C), X[test], classes[columns[test]]))
        optima.append((W, b))
        start = (W, b)
    return scores, optima


class SearchOverC:
    """What the searches share: their arguments, as GridSearchCV's, and
    the best model's probabilities once fitted."""

    def __init__(self, Cs, scoring="accuracy", cv=3, n_jobs=None):
        self.Cs = Cs
        self.scoring = scoring
        self.cv = cv
        self.n_jobs = n_jobs

    def predict_proba(self, X):
        return self.best_estimator_.predict_proba(X)


class LogisticRegressionSearch(SearchOverC):
    """Choose C for `LogisticRegression` by cross-validated `scoring`, as
    `GridSearchCV(LogisticRegression(), {"C": Cs}, scoring=scoring, cv=cv)`
    does (the same folds, the first best C on ties), each fit solved to its
    optimum; then fit every row with the best C.

    After `fit(X, y)`: `best_params_` {"C": C}, `best_score_`,
    `best_estimator_` (a `LogisticRegression`), `cv_results_`
    {"params", "mean_test_score"} in the order of `Cs`.
    """

    def fit(self, X, y):
        X = np.asarray(X, dtype=np.float64)
        (classes, columns) = np.unique(y, return_inverse=True)
        Cs = sorted(float(C) for C in self.Cs)
        if not Cs or Cs[0] <= 0:
            raise ValueError(f"Cs must be positive numbers; received {self.Cs!r}")
        folds = list(check_cv(self.cv, y, classifier=True).split(X, y))
        scorer = check_scoring(LogisticRegression(), scoring=self.scoring)
        basis = Basis(X)
        paths = Parallel(n_jobs=self.n_jobs)(
            delayed(fold_path)(X, columns, train, test, classes, basis, Cs, scorer)
            for train, test in folds
        )
        means = np.mean([scores for scores, _ in paths], axis=0)
        byC = dict(zip(Cs, means))
        self.cv_results_ = {
            "params": [{"C": C} for C in self.Cs],
            "mean_test_score": np.array([byC[float(C)] for C in self.Cs]),
        }
        best = int(np.argmax(self.cv_results_["mean_test_score"]))
        self.best_params_ = {"C": self.Cs[best]}
        self.best_score_ = float(self.cv_results_["mean_test_score"][best])
        at = Cs.index(float(self.Cs[best]))
        start = tuple(np.mean([optima[at][i] for _, optima in paths], axis=0) for i in (0, 1))
        problem = LogisticProblem(X, columns, len(classes), basis)
        (W, b, self.n_iter_) = problem.solve(float(self.Cs[best]), start)
        self.best_estimator_ = as_model(W, b, classes, self.Cs[best])
        return self


class NewtonSearch(SearchOverC):
    """`LogisticRegressionSearch`'s search by scikit-learn's
    `LogisticRegressionCV(solver="newton-cholesky")`: the same folds
    (`check_cv(cv)`: StratifiedKFold for an integer), the same objective
    and scorer, the first best C in the order of `Cs` (it sums the folds'
    scores where GridSearchCV averages them: the same order), each fold's
    Cs solved in that order from the last one's optimum and the refit on
    every row started from the folds' mean at the best C.

    The same attributes after `fit(X, y)`, `best_estimator_` a plain
    `LogisticRegression(C=C)` as `LogisticRegressionSearch` makes it.
    """

    def fit(self, X, y):
        X = np.asarray(X, dtype=np.float64)
        Cs = [float(C) for C in self.Cs]
        if not Cs or min(Cs) <= 0:
            raise ValueError(f"Cs must be positive numbers; received {self.Cs!r}")
        search = LogisticRegressionCV(
            Cs=Cs, l1_ratios=(0,), cv=self.cv, scoring=self.scoring, solver="newton-cholesky",
            tol=NEWTON_TOL, max_iter=100, n_jobs=self.n_jobs, use_legacy_attributes=False,
        ).fit(X, y)  # fmt: skip
        means = search.scores_[:, 0, :].mean(axis=0)
        self.cv_results_ = {"params": [{"C": C} for C in self.Cs], "mean_test_score": means}
        best = Cs.index(search.C_)
        self.best_params_ = {"C": self.Cs[best]}
        self.best_score_ = float(means[best])
        self.best_estimator_ = as_model(
            search.coef_, search.intercept_, search.classes_, self.Cs[best]
        )
        return self
