"""One run at a time per output: an advisory lock beside each output path.

The lock is `flock` on a hidden `.NAME.lock` file next to the output. The
kernel releases it when the process ends, however it ends, so a killed run
never leaves a stale lock. On a network file system the lock is as good as
the server's lock support (NFSv4 and SMB honour it between machines; an
NFSv3 mount without lockd may not).
"""

from __future__ import annotations

import contextlib
import fcntl
import os
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
            lock = lock_path(path)
            os.makedirs(os.path.dirname(lock), exist_ok=True)
            handle = open(lock, "a")
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                handle.close()
                raise OutputLockedError(path) from None
            handles.append(handle)
        yield
    finally:
        for handle in handles:
            handle.close()  # closing releases the lock
