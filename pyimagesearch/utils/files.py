"""Open every input through one rule (`open_input`), and write files so
that a final path only ever holds a complete file, and so that nothing
someone else planted beside it is followed or replaced.

A file is written first in a folder made for it (`new_partial`): hidden,
beside the final path, created exclusively with a name no one can guess,
readable only by its owner. Only a regular file is ever replaced at a
final path: a link, a device, a FIFO or a folder there is refused
(`check_replaceable`).
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import re
import shutil
import signal
import stat
import tempfile
import threading
from collections.abc import Iterable, Iterator
from typing import BinaryIO

from pyimagesearch.errors import (
    ArgumentError,
    InputError,
    NotRegularFileError,
    OutputExistsError,
)

PARTIAL_SUFFIX = ".partial"
NamedPath = tuple[str, "str | os.PathLike | None"]  # (argument name, path)
KINDS = {
    stat.S_IFLNK: "symbolic link",
    stat.S_IFDIR: "folder",
    stat.S_IFCHR: "character device",
    stat.S_IFBLK: "block device",
    stat.S_IFIFO: "FIFO",
    stat.S_IFSOCK: "socket",
}


def check_replaceable(path: str | os.PathLike) -> None:
    """Raise `NotRegularFileError` unless `path` is absent or a regular
    file (a symbolic link counts as a link, wherever it points)."""
    try:
        mode = os.lstat(path).st_mode
    except FileNotFoundError:
        return
    if not stat.S_ISREG(mode):
        raise NotRegularFileError(path, KINDS.get(stat.S_IFMT(mode), "special file"))


def new_partial(path: str | os.PathLike) -> str:
    """A fresh place to write `path` until it is complete: a file of the
    same name (extension kept: Keras and matplotlib go by it) in a new
    private folder `.NAME.XXXXXXXX.partial` beside `path`. Move it into
    place with `place`, or remove it with `discard_partial`."""
    folder, name = os.path.split(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    private = tempfile.mkdtemp(prefix=f".{name}.", suffix=PARTIAL_SUFFIX, dir=folder)
    return os.path.join(private, name)


def remove_regular_file(path: str | os.PathLike) -> None:
    """Remove `path` if it is a regular file; refuse anything else."""
    check_replaceable(path)
    if os.path.lexists(path):
        os.remove(path)


def discard_partial(partial: str | os.PathLike) -> None:
    """Remove a partial file and its private folder, whatever is left of them."""
    shutil.rmtree(os.path.dirname(partial), ignore_errors=True)


def place(partial: str | os.PathLike, path: str | os.PathLike) -> None:
    """Move the complete file `partial` to `path` (refusing to replace
    anything but a regular file) and remove its private folder."""
    check_replaceable(path)
    os.replace(partial, path)
    discard_partial(partial)


def remove_stale_partials(path: str | os.PathLike) -> None:
    """Remove the private folders a killed run left for `path`: only
    folders (never links), owned by this user, named as `new_partial`
    names them. A run writing `path` holds its output lock, so none of
    them belongs to a live run of this project's scripts."""
    folder, name = os.path.split(os.path.abspath(path))
    with contextlib.suppress(FileNotFoundError), os.scandir(folder) as entries:
        for entry in entries:
            if (
                entry.name.startswith(f".{name}.")
                and entry.name.endswith(PARTIAL_SUFFIX)
                and entry.is_dir(follow_symlinks=False)
                and entry.stat(follow_symlinks=False).st_uid == os.geteuid()
            ):
                shutil.rmtree(entry.path, ignore_errors=True)


def refuse_existing(paths: Iterable[str | os.PathLike | None], overwrite: bool = False) -> None:
    """Raise `NotRegularFileError` for the first of `paths` that holds
    anything but a regular file, and `OutputExistsError` for the first
    that exists, unless `overwrite`."""
    for path in paths:
        if path is None:
            continue
        check_replaceable(path)
        if not overwrite and os.path.lexists(path):
            raise OutputExistsError(path)


def same_file(a: str | os.PathLike, b: str | os.PathLike) -> bool:
    """Whether two paths name one file (links and `..` resolved; hard links
    of an existing file too)."""
    if os.path.realpath(a) == os.path.realpath(b):
        return True
    with contextlib.suppress(OSError):
        return os.path.samefile(a, b)
    return False


def check_distinct(outputs: Iterable[NamedPath], inputs: Iterable[NamedPath] = ()) -> None:
    """Raise `ArgumentError` naming the argument unless every output of a
    run is a file of its own: no two `outputs` and no output and one of
    `inputs` the same file. Both are (argument name, path) pairs; None
    paths are skipped."""
    outputs = [(name, path) for name, path in outputs if path is not None]
    inputs = [(name, path) for name, path in inputs if path is not None]
    for k, (name, path) in enumerate(outputs):
        if any(same_file(path, other) for _, other in outputs[:k]):
            raise ArgumentError(name, f"{path} is also another output of this run: name another")
        if any(same_file(path, other) for _, other in inputs):
            raise ArgumentError(name, f"{path} is also an input of this run: write elsewhere")


def check_writable(path: str | os.PathLike) -> None:
    """Raise OSError naming `path` unless it can be written: it is absent
    or a regular file, and a file can be created beside it (its folder is
    made if missing). Before hours of work, not after."""
    check_replaceable(path)
    try:
        folder = os.path.dirname(os.path.abspath(path))
        os.makedirs(folder, exist_ok=True)
        (handle, probe) = tempfile.mkstemp(prefix=".probe.", dir=folder)
        os.close(handle)
        os.remove(probe)
    except OSError as error:
        raise OSError(f"{path} cannot be written ({error.strerror})") from None


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[str]:
    """Yield a `new_partial` path to write `path` to; on success it is moved
    to `path`, on an exception it is deleted. An OSError (a full disk, a
    read-only folder) comes out as one naming `path`."""
    temporary = None
    try:
        check_replaceable(path)
        remove_stale_partials(path)
        temporary = new_partial(path)
        yield temporary
        place(temporary, path)
    except NotRegularFileError:
        raise
    except OSError as error:
        # a full disk or a read-only folder: say which output it was
        raise OSError(f"{path} cannot be written ({error.strerror or error})") from None
    finally:
        if temporary is not None:
            discard_partial(temporary)


@contextlib.contextmanager
def signals_deferred() -> Iterator[None]:
    """Hold SIGINT and SIGTERM back until the block ends, then deliver them
    to the handlers they had: for steps that must not be cut in two. Python
    runs signal handlers in the main thread only, so elsewhere this does
    nothing."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    received = []
    previous = {
        number: signal.signal(number, lambda number, frame: received.append(number))
        for number in (signal.SIGINT, signal.SIGTERM)
        if signal.getsignal(number) is not None  # a handler Python can put back
    }
    try:
        yield
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)
        for number in received:
            signal.raise_signal(number)


def write_json(path: str | os.PathLike, data: object) -> None:
    """Write `data` as indented, strict JSON (no NaN or Infinity, which
    JSON does not have), atomically."""
    try:
        text = json.dumps(data, indent=2, allow_nan=False)
    except ValueError:
        raise ValueError(f"{path} would hold NaN or infinite numbers: not written") from None
    with atomic_path(path) as temporary:
        with open(temporary, "w") as f:
            f.write(text + "\n")


def reject_constant(name):
    raise ValueError(f"{name} is not a number this project accepts")


# Characters that reorder the text around them ("cat.1\u202egpj.exe" shows
# as "cat.1exe.jpg"): shown as escapes in a name, never obeyed.
BIDI_CONTROLS = "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"


def escaped_character(character: str) -> str:
    """`character` as it is, unless it is no valid UTF-8 text or reorders
    the text around it: then an escape, "\\xe9" for a byte of a file name
    that was not UTF-8 (held by Python as a surrogate), "\\u202e" for a
    bidirectional control or another surrogate."""
    if "\udc80" <= character <= "\udcff":
        return f"\\x{ord(character) - 0xDC00:02x}"
    if character in BIDI_CONTROLS or "\ud800" <= character <= "\udfff":
        return f"\\u{ord(character):04x}"
    return character


def displayable(text: str) -> str:
    """`text` as valid UTF-8 that shows what it is (`escaped_character`),
    for people to read: "caf\\xe9.jpg", "cat.1\\u202egpj.exe"."""
    return "".join(map(escaped_character, text))


def printable(name: str) -> str:
    """`name` as the records store it: `displayable`, with the backslash
    itself escaped too, "\\\\", so that no two names are written alike (a
    name holding the four characters "\\xe9" and one holding the byte 0xe9
    would be): photos are matched by these names across the stages."""
    return "".join("\\\\" if c == "\\" else escaped_character(c) for c in name)


# The most bytes of a file read whole into memory, by kind: a larger one is
# refused before it is read. json.load holds about 12 bytes per byte of a
# file (16 MiB: about 200 MB); the build's record of Kaggle's 25,000 photos
# is under 1 MiB. A model or weights file is loaded whole by Keras.
MAX_JSON_BYTES = 16 * 2**20
MAX_MODEL_BYTES = 8 * 2**30


# the escapes `printable` writes, each undone by `unprintable`
ESCAPE = re.compile(r"\\(\\|x[0-9a-f]{2}|u[0-9a-f]{4})")


def unprintable(recorded: str) -> str:
    """The name `printable` wrote as `recorded`: its escapes undone, so that
    the file it names can be opened again."""

    def undone(found):
        escape = found.group(1)
        if escape == "\\":
            return "\\"
        if escape[0] == "x":  # a byte that was not UTF-8, held as a surrogate
            return chr(0xDC00 + int(escape[1:], 16))
        return chr(int(escape[1:], 16))

    return ESCAPE.sub(undone, recorded)


def kind_of(path: str | os.PathLike, followLinks: bool = True) -> str:
    """What `path` is, in words ("FIFO", "folder", ...), for a message."""
    try:
        mode = (os.stat if followLinks else os.lstat)(path).st_mode
    except OSError:
        return "file that cannot be examined"
    return "regular file" if stat.S_ISREG(mode) else KINDS.get(stat.S_IFMT(mode), "special file")


def open_input(
    path: str | os.PathLike, what: str, maxBytes: int | None = None, followLinks: bool = True
) -> BinaryIO:
    """`path` open for reading, in binary: the one way this project opens a
    file a user names or a record points to.

    It is opened non-blocking (a FIFO would otherwise wait for a writer
    forever) and refused unless it is a regular file -- not a folder, a
    FIFO or a device such as /dev/zero, which never ends -- of at most
    `maxBytes` (None: any size, for a file read in parts). Without
    `followLinks`, a symbolic link at `path` is refused (for files a run
    made itself, where a link is someone else's).

    Raises FileNotFoundError, or `InputError`, naming `path`, what it is
    and `what` was expected.
    """
    flags = os.O_RDONLY | os.O_NONBLOCK | (0 if followLinks else getattr(os, "O_NOFOLLOW", 0))
    try:
        fd = os.open(path, flags)
    except OSError as error:
        raise _refusal(path, what, error, followLinks) from None
    status = os.fstat(fd)
    if not stat.S_ISREG(status.st_mode):
        os.close(fd)
        kind = KINDS.get(stat.S_IFMT(status.st_mode), "special file")
        raise InputError(path, f"is a {kind}, not a regular file: expected {what}")
    if maxBytes is not None and status.st_size > maxBytes:
        os.close(fd)
        raise InputError(
            path, f"holds {status.st_size} bytes, more than the {maxBytes} allowed for {what}"
        )
    return open(fd, "rb")


def _refusal(path, what, error, followLinks) -> OSError | InputError:
    """The error that names why `os.open` refused `path`."""
    if os.path.islink(path):
        if error.errno == errno.ELOOP or not followLinks:
            return InputError(path, f"is a symbolic link: refusing to read it ({what})")
        if error.errno == errno.ENOENT:
            target = os.readlink(path)
            return InputError(path, f"is a symbolic link to {target}, which does not exist")
    if error.errno == errno.ENOENT:
        return FileNotFoundError(f"{path} does not exist: expected {what}")
    kind = kind_of(path, followLinks)
    if kind != "regular file":  # a socket cannot even be opened
        return InputError(path, f"is a {kind}, not a regular file: expected {what}")
    return OSError(f"{path} cannot be read ({error.strerror}): expected {what}")


def check_input(
    path: str | os.PathLike, what: str, maxBytes: int | None = None, followLinks: bool = True
) -> None:
    """Raise as `open_input` does unless `path` passes its rule: for a file
    that a library (h5py, Keras) then opens by its path."""
    open_input(path, what, maxBytes, followLinks).close()


def read_json(
    path: str | os.PathLike,
    what: str,
    followLinks: bool = True,
    maxBytes: int = MAX_JSON_BYTES,
) -> object:
    """The JSON in `path`, opened by `open_input` (at most `maxBytes`);
    FileNotFoundError, `InputError` or ValueError naming `path` and `what`
    it should be otherwise."""
    with open_input(path, what, maxBytes, followLinks) as f:
        data = f.read(maxBytes + 1)  # bounded even if the file grew since it was opened
    if len(data) > maxBytes:
        raise InputError(path, f"holds more than the {maxBytes} bytes allowed for {what}")
    try:
        # a JSON file may hold NaN and Infinity, which no caller accepts
        return json.loads(data.decode("utf-8"), parse_constant=reject_constant)
    except (UnicodeDecodeError, ValueError) as error:
        raise ValueError(f"{path} is not valid JSON ({error}): expected {what}") from None
    except RecursionError:
        raise ValueError(f"{path} nests too deeply to be read: expected {what}") from None


def commit_files(pairs: list[tuple[str, str]]) -> None:
    """Move each complete (partial, final) file into place, all or none.

    An existing final file is first moved aside; if any move fails, the
    new files already placed are removed and the old ones put back, so the
    finals are either all new or all as they were, whatever signal
    arrives meanwhile (SIGINT and SIGTERM wait for the end). A final that
    is not a regular file is refused before anything moves. The partial
    files are removed either way.
    """
    moves = []  # (partial, final, where the old final was put, or None)
    with signals_deferred():
        try:
            for _, final in pairs:
                check_replaceable(final)
            for partial, final in pairs:
                aside = new_partial(final) if os.path.lexists(final) else None
                moves.append((partial, final, aside))
                if aside is not None:
                    os.replace(final, aside)
                os.replace(partial, final)
        except BaseException:
            for partial, final, aside in reversed(moves):
                if aside is not None and os.path.lexists(aside):
                    os.replace(aside, final)
                elif not os.path.lexists(partial) and os.path.lexists(final):
                    os.remove(final)  # new, with nothing old to put back
            raise
        finally:
            for partial, _ in pairs:
                discard_partial(partial)
            for _, _, aside in moves:
                if aside is not None:
                    discard_partial(aside)
