"""Write files so that a final path only ever holds a complete file."""

import contextlib
import json
import os

from pyimagesearch.errors import OutputExistsError


def partial_path(path):
    """Where `path` is written until it is complete: beside it, hidden, with
    the extension kept (Keras only saves to '.keras' paths, matplotlib picks
    the format from it)."""
    folder, name = os.path.split(os.path.abspath(path))
    stem, ext = os.path.splitext(name)
    return os.path.join(folder, f".{stem}.partial{ext}")


def refuse_existing(paths, overwrite=False):
    """Raise `OutputExistsError` for the first of `paths` that exists,
    unless `overwrite`."""
    for path in paths:
        if not overwrite and path is not None and os.path.exists(path):
            raise OutputExistsError(path)


@contextlib.contextmanager
def atomic_path(path):
    """Yield `partial_path(path)` to write to; on success it is renamed to
    `path`, on an exception it is deleted."""
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    temporary = partial_path(path)
    try:
        yield temporary
        os.replace(temporary, path)
    finally:
        if os.path.exists(temporary):
            os.remove(temporary)


def write_json(path, data):
    """Write `data` as indented JSON, atomically."""
    with atomic_path(path) as temporary:
        with open(temporary, "w") as f:
            json.dump(data, f, indent=2)
            f.write("\n")


def read_json(path, what):
    """The JSON in `path`; FileNotFoundError or ValueError naming `path` and
    `what` it should be otherwise."""
    try:
        with open(path) as f:
            return json.load(f)
    except FileNotFoundError:
        raise FileNotFoundError(f"{path} does not exist: expected {what}") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ValueError(f"{path} is not valid JSON ({error}): expected {what}") from None
