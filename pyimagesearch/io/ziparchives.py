"""Read a .zip archive, or the archives inside one, without unpacking it:
Kaggle ships the competition as `dogs-vs-cats.zip` holding `train.zip` and
`test1.zip`, whose photos are named "<inner archive>/<member>"
("train.zip/train/cat.0.jpg").

Every archive is opened through the opening rule (`open_input`), and an
inner archive is checked before it is read: a damaged, encrypted or
oversized one is refused in one line naming the bundle and the member.
A stored inner archive is read in place (a `Window`); a deflated one is
inflated into an unnamed temporary file (in TMPDIR), never into memory.
These functions keep nothing between calls: `PhotoZip` and `KaggleBundle`
hold the open handles and the inflated copy.
"""

from __future__ import annotations

import contextlib
import io
import os
import shutil
import struct
import tempfile
import zipfile
import zlib
from collections.abc import Callable, Iterator

from pyimagesearch.io.filewindow import Window
from pyimagesearch.utils.files import open_input

# What an archive of photos is, for messages.
ARCHIVE = "a folder of photos or a .zip archive of them"

# An archive inside an archive that declares more bytes than this is
# refused before it is read (Kaggle's train.zip: 543 MB); a deflated one
# needs as many bytes free in TMPDIR.
MAX_INNER_ARCHIVE_BYTES = 8 * 2**30

# What reading a damaged archive can raise: a bad CRC, a corrupt deflate
# stream, a cut archive or header, an unsupported or encrypted member, a
# full disk.
ZIP_ERRORS = (zipfile.BadZipFile, zlib.error, EOFError, struct.error, NotImplementedError,
              RuntimeError, OSError)  # fmt: skip


def file_key(path: str) -> tuple | None:
    """What tells the file at `path` from one put there since (inode,
    device, size, time), or None when it cannot be examined (for
    `open_input` to name what is wrong when it is opened)."""
    try:
        status = os.stat(path)
    except OSError:
        return None
    return (status.st_ino, status.st_dev, status.st_size, status.st_mtime_ns)


@contextlib.contextmanager
def open_zip(path: str) -> Iterator[zipfile.ZipFile]:
    """The .zip archive at `path`, opened anew for this block through the
    opening rule."""
    with open_input(path, ARCHIVE) as f, read_zip(f, str(path)) as handle:
        yield handle


def read_zip(f, where: str) -> zipfile.ZipFile:
    """A ZipFile reading the open file `f`; ValueError naming `where` when
    it is not a readable zip (`f` is closed then)."""
    try:
        return zipfile.ZipFile(f)
    except ZIP_ERRORS as error:
        f.close()
        raise ValueError(f"{where} is not a readable .zip archive ({_reason(error)})") from None


def _reason(error):
    return " ".join(str(error).split()) or type(error).__name__


def split_inner(handle: zipfile.ZipFile, name: str) -> tuple[str | None, str]:
    """(inner archive, member) for a photo named "<inner>.zip/<member>" in
    the open zip `handle`, or (None, name) for a member of that zip itself."""
    # inner archives are listed whatever the case of ".zip" (TRAIN.ZIP)
    end = name.lower().find(".zip/")
    if end < 0 or name in handle.NameToInfo:
        return None, name
    return name[: end + 4], name[end + 5 :]


def inner_file(path: str, info: zipfile.ZipInfo, inflated: Callable) -> io.BufferedReader:
    """A seekable file of the archive member `info` of the zip at `path`:
    a window onto its bytes when it is stored (Kaggle's inner archives are:
    a zip of JPEGs does not compress), else onto `inflated(info)`, the
    temporary file its bytes were inflated into (see `inflate`)."""
    where = f"{path}: its {info.filename}"
    if info.flag_bits & 0x1:
        raise ValueError(f"{where} is encrypted: give Kaggle's bundle as downloaded")
    if info.file_size > MAX_INNER_ARCHIVE_BYTES:
        raise ValueError(
            f"{where} declares {info.file_size} bytes, more than the limit of "
            f"{MAX_INNER_ARCHIVE_BYTES} for an archive inside an archive: unpack it"
        )
    try:
        if info.compress_type == zipfile.ZIP_STORED:
            with open_input(path, ARCHIVE) as f:
                window = Window(f.fileno(), _stored_start(f, info, where), info.file_size)
        else:
            window = Window(inflated(info).fileno(), 0, info.file_size)
        return io.BufferedReader(window)
    except ZIP_ERRORS as error:
        raise ValueError(
            f"{where} cannot be read ({_reason(error)}): the bundle is damaged; download it again"
        ) from None


def _stored_start(f, info, where):
    """Where the bytes of the stored member `info` begin in the open zip
    `f`, after its local header; ValueError naming `where` when the header
    is missing or the bytes it declares run past the end of the file."""
    header = os.pread(f.fileno(), 30, info.header_offset)
    if len(header) < 30 or header[:4] != b"PK\x03\x04":
        raise ValueError(
            f"{where} has no local header at byte {info.header_offset}: the bundle is damaged; "
            "download it again"
        )
    (nameLength, extraLength) = struct.unpack("<HH", header[26:30])
    start = info.header_offset + 30 + nameLength + extraLength
    if start + info.file_size > os.fstat(f.fileno()).st_size:
        raise ValueError(
            f"{where} declares {info.file_size} bytes from byte {start}, past the end of the "
            "file: the bundle is cut short; download it again"
        )
    return start


def inflate(handle: zipfile.ZipFile, info: zipfile.ZipInfo, path: str):
    """The deflated member `info` of the open zip `handle` of `path`,
    inflated into an unnamed temporary file in TMPDIR (bounded by the size
    it declares, which is checked against the free space first)."""
    folder = tempfile.gettempdir()
    free = shutil.disk_usage(folder).free
    if info.file_size > free:
        raise ValueError(
            f"{path}: its {info.filename} inflates to {info.file_size} bytes but "
            f"{folder} has {free} free: set TMPDIR to a folder with room, or unpack it"
        )
    temporary = tempfile.TemporaryFile(dir=folder)
    try:
        with handle.open(info) as member:  # stops at the size declared
            shutil.copyfileobj(member, temporary, 2**20)
        temporary.flush()  # read through its descriptor: nothing may wait in the buffer
        if temporary.tell() != info.file_size:
            raise EOFError(f"{temporary.tell()} bytes, not the {info.file_size} declared")
    except BaseException:
        temporary.close()
        raise
    return temporary
