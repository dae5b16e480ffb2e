"""Write files so that a final path only ever holds a complete file."""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterable, Iterator

from pyimagesearch.errors import OutputExistsError


def partial_path(path: str | os.PathLike) -> str:
    """Where `path` is written until it is complete: beside it, hidden, with
    the extension kept (Keras only saves to '.keras' paths, matplotlib picks
    the format from it)."""
    folder, name = os.path.split(os.path.abspath(path))
    stem, ext = os.path.splitext(name)
    return os.path.join(folder, f".{stem}.partial{ext}")


def refuse_existing(paths: Iterable[str | os.PathLike | None], overwrite: bool = False) -> None:
    """Raise `OutputExistsError` for the first of `paths` that exists,
    unless `overwrite`."""
    for path in paths:
        if not overwrite and path is not None and os.path.exists(path):
            raise OutputExistsError(path)


def check_writable(path: str | os.PathLike) -> None:
    """Raise OSError naming `path` unless a file can be created beside it
    (its folder is made if missing): before hours of work, not after."""
    probe = partial_path(path) + ".probe"
    try:
        os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
        with open(probe, "w"):
            pass
        os.remove(probe)
    except OSError as error:
        raise OSError(f"{path} cannot be written ({error.strerror})") from None


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[str]:
    """Yield `partial_path(path)` to write to; on success it is renamed to
    `path`, on an exception it is deleted. An OSError (a full disk, a
    read-only folder) comes out as one naming `path`."""
    temporary = partial_path(path)
    try:
        os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
        yield temporary
        os.replace(temporary, path)
    except OSError as error:
        # a full disk or a read-only folder: say which output it was
        raise OSError(f"{path} cannot be written ({error.strerror or error})") from None
    finally:
        if os.path.exists(temporary):
            os.remove(temporary)


def write_json(path: str | os.PathLike, data: object) -> None:
    """Write `data` as indented JSON, atomically."""
    with atomic_path(path) as temporary:
        with open(temporary, "w") as f:
            json.dump(data, f, indent=2)
            f.write("\n")


def reject_constant(name):
    raise ValueError(f"{name} is not a number this project accepts")


def read_json(path: str | os.PathLike, what: str) -> object:
    """The JSON in `path`; FileNotFoundError or ValueError naming `path` and
    `what` it should be otherwise."""
    try:
        with open(path) as f:
            # a JSON file may hold NaN and Infinity, which no caller accepts
            return json.load(f, parse_constant=reject_constant)
    except FileNotFoundError:
        raise FileNotFoundError(f"{path} does not exist: expected {what}") from None
    except (UnicodeDecodeError, ValueError) as error:
        raise ValueError(f"{path} is not valid JSON ({error}): expected {what}") from None
    except RecursionError:
        raise ValueError(f"{path} nests too deeply to be read: expected {what}") from None


def commit_files(pairs: list[tuple[str, str]]) -> None:
    """Move each complete (partial, final) file into place, all or none.

    An existing final file is first moved aside; if any move fails, the
    new files already placed are removed and the old ones put back, so the
    finals are either all new or all as they were. The partial files are
    removed either way.
    """
    placed = []  # (final, its previous version or None)
    try:
        for partial, final in pairs:
            previous = None
            if os.path.exists(final):
                previous = partial_path(final) + ".previous"
                os.replace(final, previous)
            placed.append((final, previous))
            os.replace(partial, final)
    except BaseException:
        for final, previous in reversed(placed):
            if previous is not None:
                os.replace(previous, final)
            elif os.path.exists(final):
                os.remove(final)
        raise
    finally:
        for partial, _ in pairs:
            if os.path.exists(partial):
                os.remove(partial)
    for _, previous in placed:
        if previous is not None:
            os.remove(previous)
