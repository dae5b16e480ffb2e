"""Kaggle's names for the photos of Dogs vs Cats: "<label>.<id>.<ext>" for a
training photo ("cat.12.jpg"), "<id>.<ext>" for a test photo ("12.jpg")."""

from __future__ import annotations

import os
import re

# Only ASCII digits: \d would take "٣.jpg" as id 3.
LABELLED_NAME = re.compile(r"^(?P<label>[A-Za-z_]+)\.(?P<id>[0-9]+)\.[A-Za-z]+$")
ID_NAME = re.compile(r"^(?P<id>[0-9]+)\.[A-Za-z]+$")


def label_of(name: str) -> str | None:
    """The class in the file name of the path `name` ("train/cat.12.jpg" ->
    "cat"), in lower case, or None."""
    match = LABELLED_NAME.match(os.path.basename(name))
    return match.group("label").lower() if match else None


def test_id_of(name: str) -> int | None:
    """The number in a test photo's file name ("test1/12.jpg" -> 12), or
    None (for "cat.12.jpg" too: a training photo is not a test photo)."""
    match = ID_NAME.match(os.path.basename(name))
    return int(match.group("id")) if match else None
