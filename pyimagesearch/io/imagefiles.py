"""Find the photos of a data set: a folder (searched recursively), a .zip
archive such as Kaggle's `train.zip`, read without unpacking it, or Kaggle's
bundle, an archive of such archives (`dogs-vs-cats.zip` holding `train.zip`
and `test1.zip`), whose photos are named "<inner archive>/<member>"
("train.zip/train/cat.0.jpg").

Each kind is a source object that lists its files and reads one, through
the opening rule (`open_input`): `PhotoFolder`, `PhotoZip`, `KaggleBundle`,
each in its own module. `photo_source` picks the one a path holds,
`list_image_files` lists its photos as `ImageFile`s. Kaggle's naming rules
are in `kagglenames`, the decoder in `imagedecoder`.
"""

from __future__ import annotations

import os

from pyimagesearch.io.imagefile import ImageFile
from pyimagesearch.io.kagglebundle import KaggleBundle
from pyimagesearch.io.photofolder import PhotoFolder
from pyimagesearch.io.photozip import PhotoZip

__all__ = [
    "IMAGE_EXTENSIONS",
    "is_archive",
    "labelled_image_files",
    "list_image_files",
    "photo_source",
]

IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff", ".webp", ".gif")


def is_archive(source) -> bool:
    """Whether the photos of `source` are in a .zip (anything but a folder:
    what else it might be, `open_input` refuses when it is opened)."""
    return not os.path.isdir(source)


def is_image_name(name: str) -> bool:
    return name.lower().endswith(IMAGE_EXTENSIONS)


def photo_source(source: str) -> PhotoFolder | PhotoZip | KaggleBundle:
    """The photos of `source`: a folder, a .zip holding image files, or
    else a zip of zips (Kaggle's bundle). FileNotFoundError or ValueError
    naming `source` when it is missing or neither a folder nor a zip."""
    if not is_archive(source):
        return PhotoFolder(source)
    photos = PhotoZip(source)
    return photos if any(map(is_image_name, photos.member_names())) else KaggleBundle(source)


def list_image_files(source):
    """Every file under a folder or in a .zip archive, sorted by name, as
    (images, skipped): the image files to read, and {"file", "reason"} for
    the others -- no image extension, not a regular file (a FIFO or device
    would hang or never end), or a repeated name in an archive (only its
    last copy can be read by name; the earlier ones are skipped).

    Raises FileNotFoundError or ValueError, naming `source`, when it is
    missing, neither a folder nor a zip (a FIFO, a device: see
    `open_input`), holds two archives of one name, or holds no images.
    """
    photos = photo_source(source)
    (names, skipped) = photos.names()
    files = [ImageFile(source, name, photos.in_zip, photos) for name in sorted(names)]
    images = [f for f in files if is_image_name(f.name)]
    skipped += [f.skipped(NESTED if is_nested(f.name) else "not an image file")
                for f in files if not is_image_name(f.name)]  # fmt: skip
    if not images:
        raise ValueError(_no_images(source, [f.name for f in files]))
    return images, skipped


NESTED = "an archive inside an archive: photos are read no deeper (unpack it)"


def is_nested(name: str) -> bool:
    """Whether `name`, listed in a source, is a zip inside one of its zips."""
    return name.lower().endswith(".zip") and "/" in name


def _no_images(source, names):
    """Why `source`, holding the files `names`, has no photo to read."""
    nested = [n for n in names if is_nested(n)]
    if nested:
        return (
            f"{source} holds archives inside its archives ({', '.join(nested[:3])}): photos "
            "are read from a zip, or from the zips inside one (Kaggle's bundle), no deeper; "
            "unpack one level"
        )
    found = ", ".join(names[:5]) + (", ..." if len(names) > 5 else "")
    return (
        f"{source} holds no image files ({', '.join(IMAGE_EXTENSIONS)}) and no archives "
        f"of them; found {len(names)} other file(s){': ' + found if names else ''}"
    )


def labelled_image_files(source):
    """(files, labelled, skipped) for a folder or .zip of photos named
    "<label>.<id>.<ext>": every image file, those whose name carries a
    label, and {"file", "reason"} for every file that is not an image or
    has no label."""
    files, skipped = list_image_files(source)
    skipped += [f.skipped("no class label in the name") for f in files if f.label is None]
    return files, [f for f in files if f.label is not None], skipped
