"""`io.kagglenames`: Kaggle's file names give a photo's label (train) or its
test id (test1)."""

import pytest

from pyimagesearch.io import kagglenames

NAMES = [  # (name, its label, its test id)
    ("cat.12.jpg", "cat", None), ("train/DOG.7.JPG", "dog", None), ("12.jpg", None, 12),
    ("test1/3.png", None, 3), ("\u0663.jpg", None, None), ("cat.\u0663.jpg", None, None),
    ("cat.12", None, None), ("cat.jpg", None, None), ("bird_cage.4.jpeg", "bird_cage", None),
]  # fmt: skip


@pytest.mark.parametrize("name, label, test_id", NAMES)
def test_kaggle_names_give_a_label_or_a_test_id(name, label, test_id):
    assert (kagglenames.label_of(name), kagglenames.test_id_of(name)) == (label, test_id)
