"""Read a .zip archive of photos, or the archives inside one, without
unpacking it: Kaggle ships the competition as `dogs-vs-cats.zip` holding
`train.zip` and `test1.zip`, whose photos are named "<inner archive>/<member>"
("train.zip/cat.0.jpg").

Every archive is opened through the opening rule (`open_input`), and an
inner archive is checked before it is read: a damaged, encrypted or
oversized one is refused in one line naming the bundle and the member.
A deflated inner archive is inflated into an unnamed temporary file (in
TMPDIR), never into memory.
"""

from __future__ import annotations

import contextlib
import io
import os
import shutil
import struct
import tempfile
import threading
import zipfile
import zlib
from collections.abc import Iterator

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

_open_archives = threading.local()


def archive(path: str, inner: str | None = None) -> zipfile.ZipFile:
    """This thread's open handle on the .zip archive at `path` (or on the
    archive `inner` inside it): its directory is read once, not once per
    photo, and no handle is shared between threads. A file replaced at
    `path` (another inode, size or time) is opened anew.

    Raises FileNotFoundError or ValueError naming `path` (and `inner`)
    when it is missing, not a regular file, or not a readable zip."""
    archives = _open_archives.__dict__
    try:
        status = os.stat(path)
        key = (status.st_ino, status.st_dev, status.st_size, status.st_mtime_ns)
    except OSError:
        key = None  # for open_input to name what is wrong
    (opened, handle, f) = archives.get((path, inner), (None, None, None))
    if handle is None or opened != key:
        if handle is not None:
            handle.close()
            f.close()
        if inner is None:
            f = open_input(path, ARCHIVE)
            handle = _zip(f, str(path))
        else:
            f = _inner_file(path, archive(path).getinfo(inner), key)
            handle = _zip(f, f"{path}: its {inner}")
        archives[(path, inner)] = (key, handle, f)
    return handle


@contextlib.contextmanager
def open_zip(path: str) -> Iterator[zipfile.ZipFile]:
    """The .zip archive at `path`, opened anew for this block (through the
    opening rule, as `archive` opens it)."""
    with open_input(path, ARCHIVE) as f, _zip(f, str(path)) as handle:
        yield handle


def _zip(f, where):
    """A ZipFile reading the open file `f`; ValueError naming `where` when
    it is not a readable zip (`f` is closed then)."""
    try:
        return zipfile.ZipFile(f)
    except ZIP_ERRORS as error:
        f.close()
        raise ValueError(f"{where} is not a readable .zip archive ({_reason(error)})") from None


def _reason(error):
    return " ".join(str(error).split()) or type(error).__name__


def _inner_file(path, info, key):
    """A seekable file of the archive member `info` of the zip at `path`:
    a window onto its bytes when it is stored (Kaggle's inner archives are:
    a zip of JPEGs does not compress), else its bytes inflated once per
    process into a temporary file shared by the threads."""
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
            window = Window(_inflated(path, info, key).fileno(), 0, info.file_size)
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


_inflated_files = {}  # (path, key, inner name) -> its inflated temporary file
_inflated_lock = threading.Lock()


def _inflated(path, info, key):
    """The deflated member `info` of the zip at `path`, inflated once per
    process into an unnamed temporary file in TMPDIR (bounded by the size
    it declares, which is checked against the free space first)."""
    with _inflated_lock:
        cacheKey = (path, key, info.filename)
        if cacheKey not in _inflated_files:
            for old in _inflated_files.values():  # one archive at a time
                old.close()
            _inflated_files.clear()
            folder = tempfile.gettempdir()
            free = shutil.disk_usage(folder).free
            if info.file_size > free:
                raise ValueError(
                    f"{path}: its {info.filename} inflates to {info.file_size} bytes but "
                    f"{folder} has {free} free: set TMPDIR to a folder with room, or unpack it"
                )
            temporary = tempfile.TemporaryFile(dir=folder)
            try:
                with archive(path).open(info) as member:  # stops at the size declared
                    shutil.copyfileobj(member, temporary, 2**20)
                if temporary.tell() != info.file_size:
                    raise EOFError(f"{temporary.tell()} bytes, not the {info.file_size} declared")
            except BaseException:
                temporary.close()
                raise
            _inflated_files[cacheKey] = temporary
        return _inflated_files[cacheKey]


class Window(io.RawIOBase):
    """`length` bytes of the open file `fd` from `start`, as a read-only,
    seekable file of their own (a duplicate of `fd`, read with pread: no
    shared position)."""

    def __init__(self, fd, start, length):
        super().__init__()
        self.fd = os.dup(fd)
        (self.start, self.length, self.position) = (start, length, 0)

    def readable(self):
        return True

    def seekable(self):
        return True

    def readinto(self, buffer):
        count = max(0, min(len(buffer), self.length - self.position))
        data = os.pread(self.fd, count, self.start + self.position)
        buffer[: len(data)] = data
        self.position += len(data)
        return len(data)

    def seek(self, offset, whence=io.SEEK_SET):
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self.position, io.SEEK_END: self.length}[whence]
        self.position = max(0, base + offset)
        return self.position

    def tell(self):
        return self.position

    def close(self):
        if not self.closed:
            os.close(self.fd)
        super().close()


def inner_archives(path) -> list[str]:
    """The .zip members of the zip at `path` (Kaggle's bundle: train.zip,
    test1.zip), in name order; ValueError naming one that is there twice
    (only the last copy could be read by name)."""
    names = [n for n in archive(path).namelist() if n.lower().endswith(".zip")]
    for name in names:
        if names.count(name) > 1:
            raise ValueError(
                f"{path} holds {names.count(name)} archives named {name}: only the last "
                "could be read; remove the others"
            )
    return sorted(names)


def member_names(path, inner=None) -> list[str]:
    """The file names in the zip at `path` (or in its archive `inner`)."""
    return [info.filename for info in archive(path, inner).infolist() if not info.is_dir()]


def split_inner(path, name):
    """(inner archive, member) for a photo named "<inner>.zip/<member>" in
    the zip at `path`, or (None, name) for a member of that zip itself."""
    (head, separator, member) = name.partition(".zip/")
    if not separator or name in archive(path).NameToInfo:
        return None, name
    return head + ".zip", member
