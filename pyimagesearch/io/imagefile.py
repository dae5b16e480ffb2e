"""One photo of a data set, by its name in its source (a folder, a .zip or
Kaggle's bundle)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

from pyimagesearch.io.kagglebundle import KaggleBundle
from pyimagesearch.io.kagglenames import label_of, test_id_of
from pyimagesearch.io.photobytes import MAX_FILE_BYTES
from pyimagesearch.io.photofolder import PhotoFolder


@dataclass(frozen=True)
class ImageFile:
    """One photo: `name` is its path inside `source`, a folder or, when
    `in_zip`, a .zip archive. `photos` is the source object that listed it
    (`PhotoFolder`, `PhotoZip` or `KaggleBundle`), whose open archives its
    reads share; an ImageFile made by hand opens `source` anew for each
    read (as a `KaggleBundle` when `in_zip`: it reads the members of any
    zip, and those of the archives inside one)."""

    source: str
    name: str
    in_zip: bool = False
    photos: Any = field(default=None, compare=False, repr=False)

    @property
    def basename(self):
        return os.path.basename(self.name)

    @property
    def label(self):
        """The class in a Kaggle-style name ("cat.12.jpg" -> "cat"), or None."""
        return label_of(self.name)

    @property
    def test_id(self):
        """The number of a Kaggle test photo's name ("12.jpg" -> 12), or None."""
        return test_id_of(self.name)

    def read_bytes(self, maxBytes=MAX_FILE_BYTES):
        """The file's bytes; `Unusable` when it declares more than `maxBytes`
        (a zip member's declared size is checked before it is inflated) or
        its first bytes are no image's."""
        photos = self.photos
        if photos is None:
            photos = (KaggleBundle if self.in_zip else PhotoFolder)(self.source)
        return photos.read(self.name, maxBytes)

    def skipped(self, reason: str) -> dict:
        """The record of this photo skipped for `reason`."""
        return {"file": self.name, "reason": reason}
