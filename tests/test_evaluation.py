"""The evaluation's figures, against counts made independently."""

from collections import Counter

import numpy as np
import pytest

from pyimagesearch.pipeline.evaluation import confusion_matrix


def test_the_confusion_matrix_counts_each_row_once_by_class_and_highest_probability():
    rng = np.random.default_rng(3)
    (rows, classes) = (200, 4)
    labels = rng.integers(0, classes - 1, rows)  # the last class is never a label
    probabilities = rng.random((rows, classes))
    pairs = Counter(
        (int(label), max(range(classes), key=lambda k: row[k]))
        for label, row in zip(labels, probabilities)
    )
    expected = [[pairs[(i, j)] for j in range(classes)] for i in range(classes)]
    counts = confusion_matrix(labels, probabilities)
    assert counts == expected and counts[classes - 1] == [0] * classes
    assert all(type(n) is int for row in counts for n in row)  # written to JSON


def test_no_rows_count_zeros_and_a_label_that_is_no_class_is_refused():
    assert confusion_matrix(np.array([], int), np.zeros((0, 2))) == [[0, 0], [0, 0]]
    for label in (-1, 2):
        with pytest.raises(ValueError, match=r"2 classes are numbered 0 to 1"):
            confusion_matrix(np.array([0, label, 1]), np.eye(2)[[0, 1, 1]])
