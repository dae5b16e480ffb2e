"""Kaggle's download as it comes: `dogs-vs-cats.zip` holding `train.zip`,
`test1.zip` and sampleSubmission.csv, whose photos are read from the
archives inside it without unpacking either, named "<inner archive>/<member>"
("train.zip/train/cat.0.jpg")."""

from __future__ import annotations

import threading
import zipfile

from pyimagesearch.io.photobytes import MAX_FILE_BYTES
from pyimagesearch.io.photozip import PhotoZip
from pyimagesearch.io.ziparchives import inflate, inner_file, read_zip, split_inner


class KaggleBundle(PhotoZip):
    """A .zip archive of .zip archives of photos (see `ziparchives` for how
    an inner archive is checked and read). A deflated inner archive is
    inflated once into a temporary file that this bundle's threads share,
    one inner archive at a time (Kaggle's train.zip is 543 MB); Kaggle's
    own are stored, and read in place."""

    def __init__(self, path: str):
        super().__init__(path)
        self._inflated = {}  # (file_key, inner name) -> its inflated temporary file
        self._inflating = threading.Lock()

    def inner_archives(self) -> list[str]:
        """The .zip members of the bundle (train.zip, test1.zip), in name
        order; ValueError naming one that is there twice (only the last
        copy could be read by name)."""
        names = [n for n in self.archive().namelist() if n.lower().endswith(".zip")]
        for name in names:
            if names.count(name) > 1:
                raise ValueError(
                    f"{self.path} holds {names.count(name)} archives named {name}: only the "
                    "last could be read; remove the others"
                )
        return sorted(names)

    def inner_archive(self, inner: str) -> zipfile.ZipFile:
        """This thread's handle on the archive `inner` inside the bundle;
        ValueError naming bundle and member when it is damaged, encrypted,
        oversized or no zip."""
        return self.thread_handle(inner, lambda key: self._open_inner(inner, key))

    def _open_inner(self, inner, key):
        info = self.archive().getinfo(inner)
        f = inner_file(self.path, info, lambda info: self._inflate(info, key))
        return f, read_zip(f, f"{self.path}: its {inner}")

    def _inflate(self, info, key):
        """The bundle's deflated member `info` inflated (see `inflate`),
        once for every thread reading the bundle at `key`."""
        with self._inflating:
            if (key, info.filename) not in self._inflated:
                self.forget(*self._inflated.values())  # one archive at a time
                self._inflated.clear()
                temporary = inflate(self.archive(), info, self.path)
                self._opened.append(temporary)
                self._inflated[(key, info.filename)] = temporary
            return self._inflated[(key, info.filename)]

    def member_names(self) -> list[str]:
        """The files beside the inner archives, then every file inside each
        inner archive as "<inner archive>/<member>"."""
        outer = [n for n in super().member_names() if not n.lower().endswith(".zip")]
        return outer + [
            f"{inner}/{info.filename}"
            for inner in self.inner_archives()
            for info in self.inner_archive(inner).infolist()
            if not info.is_dir()
        ]

    def read(self, name: str, maxBytes: int = MAX_FILE_BYTES) -> bytes:
        """The bytes of the photo `name`, in an inner archive or beside
        them (see `PhotoZip.read`)."""
        (inner, member) = split_inner(self.archive(), name)
        handle = self.archive() if inner is None else self.inner_archive(inner)
        return self.read_member(handle, member, maxBytes)
