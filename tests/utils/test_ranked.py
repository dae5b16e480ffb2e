"""`utils.ranked`: rank-1 and rank-5 accuracy on known scores, N x 1 integer
labels, ties broken by class index, and mismatched lengths or NaN
refused."""

import numpy as np
import pytest

from pyimagesearch.utils import rank5_accuracy


def test_rank5_reads_n_by_1_integer_labels_as_labels():
    preds = np.array([[0.1, 0.7, 0.2], [0.6, 0.3, 0.1], [0.2, 0.2, 0.6], [0.5, 0.4, 0.1]])
    labels = np.array([[1], [0], [2], [1]])  # as keras.datasets.cifar10 gives them
    assert rank5_accuracy(preds, labels) == (0.75, 1.0)
    assert rank5_accuracy(preds, labels[:, 0]) == (0.75, 1.0)
    assert rank5_accuracy(preds, np.eye(3)[labels[:, 0]]) == (0.75, 1.0)


def test_rank5_ranks_ties_by_class_index():
    preds = np.zeros((2, 7))
    preds[1, 6] = 1.0
    # all equal: classes 0..4 are the top five
    assert rank5_accuracy(preds[:1], [0]) == (1.0, 1.0)
    assert rank5_accuracy(preds[:1], [4]) == (0.0, 1.0)
    assert rank5_accuracy(preds[:1], [5]) == (0.0, 0.0)
    # class 6 first, then 0..3
    assert rank5_accuracy(preds[1:], [3]) == (0.0, 1.0)
    assert rank5_accuracy(preds[1:], [4]) == (0.0, 0.0)


def test_rank5_accuracy_on_known_scores():
    preds = np.array(
        [
            [0.1, 0.2, 0.3, 0.4, 0.0, 0.0, 0.0],  # label 3: rank 1
            [0.7, 0.1, 0.05, 0.05, 0.04, 0.03, 0.03],  # label 4: rank 5
            [0.5, 0.2, 0.1, 0.1, 0.05, 0.04, 0.01],  # label 6: rank 7
            [0.0, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0],  # label 1: rank 1
        ]
    )
    labels = np.array([3, 4, 6, 1])
    assert rank5_accuracy(preds, labels) == (0.5, 0.75)
    assert rank5_accuracy(preds, np.eye(7)[labels]) == (0.5, 0.75)


def test_rank5_accuracy_refuses_mismatched_lengths_and_nan():
    with pytest.raises(ValueError, match="3 predictions but 2 labels"):
        rank5_accuracy(np.ones((3, 2)), [0, 1])
    with pytest.raises(ValueError, match="NaN"):
        rank5_accuracy(np.array([[np.nan, 1.0]]), [0])
