"""One run at a time per output: an advisory lock beside each output path.

The lock is `flock` on a hidden `.NAME.lock` file next to the output,
opened without following links or waiting on FIFOs planted there. The
kernel releases it when the process ends, however it ends, so a killed run
never leaves a stale lock. On a network file system the lock is as good as
the server's lock support (NFSv4 and SMB honour it between machines; an
NFSv3 mount without lockd may not).
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import stat
from collections.abc import Iterator

from pyimagesearch.errors import OutputLockedError


def lock_path(path: str | os.PathLike) -> str:
    """The lock file of output `path` (a file or a folder)."""
    folder, name = os.path.split(os.path.abspath(path))
    return os.path.join(folder, f".{name}.lock")


@contextlib.contextmanager
def output_lock(*paths: str | os.PathLike | None) -> Iterator[None]:
    """Hold the lock of every path in `paths` (None entries are skipped), or
    raise `OutputLockedError` at once, touching nothing, if another run
    holds one of them."""
    handles = []
    try:
        for path in paths:
            if path is None:
                continue
            handle = open_lock_file(lock_path(path), path)
            handles.append(handle)
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise OutputLockedError(path) from None
        yield
    finally:
        for handle in handles:
            os.close(handle)  # closing releases the lock


def open_lock_file(lock: str, output: str | os.PathLike) -> int:
    """A descriptor of the lock file `lock` of `output`, created if missing,
    without following a link planted there or waiting on a FIFO. OSError
    naming `lock` when something other than a regular file is there, or
    naming `output` when its folder cannot be written."""
    flags = os.O_RDONLY | os.O_CREAT | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC
    try:
        os.makedirs(os.path.dirname(lock), exist_ok=True)
        handle = os.open(lock, flags, 0o600)
    except OSError as error:
        if error.errno == errno.ELOOP:
            raise OSError(f"{lock} is a link and cannot be a lock file: remove it") from None
        raise OSError(f"{output} cannot be written ({error.strerror})") from None
    if not stat.S_ISREG(os.fstat(handle).st_mode):
        os.close(handle)
        raise OSError(f"{lock} is not a regular file and cannot be a lock file: remove it")
    return handle
