"""Argument checks shared by the library's constructors."""

import numpy as np

from pyimagesearch.errors import ArgumentError

# The largest image side, in pixels, that any size from outside may ask
# for: a flag (--size, --feature-size) or a record (a classifier's
# features.input_size, a features file's input_size attribute). The build
# buffers 64 rows of LARGEST_SIZE x LARGEST_SIZE x 3 bytes a split (768 MiB).
LARGEST_SIZE = 2048
# The most of each other count from outside, by what it counts: threads
# (--workers: more than the largest machines' cores), and the pixels a photo
# may declare and still be decoded (--max-pixels: OpenCV's own limit on a
# decoded image, CV_IO_MAX_IMAGE_PIXELS).
MOST = {"threads": 1024, "pixels": 2**30}


def check_positive_int(name, value):
    """Return `value` if it is an integer >= 1, else raise a ValueError that
    names the argument and what was received."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"`{name}` must be a positive integer; received {value!r}")
    return int(value)


def check_image_batch(images):
    """Return `images` as an array of shape (N, H, W, C), else raise."""
    images = np.asarray(images)
    if images.ndim != 4:
        raise ValueError(
            "expected a batch of images of shape (N, H, W, C); "
            f"received an array of shape {images.shape}"
        )
    return images


def image_size_problem(value) -> str | None:
    """Why `value` is not an image side (an integer from 1 to
    LARGEST_SIZE pixels), or None: the one bound for every size from
    outside, whichever flag or record it comes from."""
    if not isinstance(value, (int, np.integer)) or isinstance(value, (bool, np.bool_)):
        return f"{repr(value)[:40]} is not an integer number of pixels"
    if not 1 <= value <= LARGEST_SIZE:
        return f"{value} is not from 1 to {LARGEST_SIZE} pixels"
    return None


def count_problem(value, unit: str) -> str | None:
    """Why `value` is not a whole number of `unit` (a key of MOST) from 1 to
    its most, or None."""
    if not isinstance(value, (int, np.integer)) or isinstance(value, (bool, np.bool_)):
        return f"{repr(value)[:40]} is not a whole number of {unit}"
    if not 1 <= value <= MOST[unit]:
        return f"{value} is not from 1 to {MOST[unit]:,} {unit}"
    return None


def check_image_size(name, value) -> int:
    """`value` if it is an image side (`image_size_problem`), else an
    `ArgumentError` naming the argument `name`."""
    problem = image_size_problem(value)
    if problem:
        raise ArgumentError(name, problem)
    return int(value)
