from __future__ import annotations

import numpy as np


def rank5_accuracy(preds: np.ndarray, labels: np.ndarray) -> tuple[float, float]:
    """Rank-1 and rank-5 accuracy of class scores.

    Args:
        preds: (N, classes) scores or probabilities.
        labels: (N,) or (N, 1) integer labels (the shape Keras's data sets
            such as CIFAR-10 give), or (N, classes) one-hot labels.
    Returns:
        (rank1, rank5) as fractions of N. With fewer than five classes,
        rank-5 counts every class and is 1.0.

    Ties: classes with equal scores are ranked by class index, lower first
    (a stable sort of the negated scores).
    """
    preds = np.asarray(preds)
    labels = np.asarray(labels)
    if labels.ndim == 2 and labels.shape[1] == 1 and preds.ndim == 2 and preds.shape[1] > 1:
        labels = labels[:, 0]
    elif labels.ndim == 2:
        labels = labels.argmax(axis=1)
    if preds.ndim != 2 or labels.ndim != 1:
        raise ValueError(
            f"expected preds (N, classes) and labels (N,) or (N, classes); received "
            f"preds {preds.shape} and labels {labels.shape}"
        )
    if len(preds) != len(labels):
        raise ValueError(f"{len(preds)} predictions but {len(labels)} labels")
    if len(labels) == 0:
        raise ValueError("no predictions to score")
    if not np.all(np.isfinite(preds)):
        raise ValueError("the predictions contain NaN or infinite values")
    ranked = np.argsort(-preds, axis=1, kind="stable")
    rank1 = np.mean(ranked[:, 0] == labels)
    rank5 = np.mean(np.any(ranked[:, :5] == labels[:, None], axis=1))
    return float(rank1), float(rank5)
