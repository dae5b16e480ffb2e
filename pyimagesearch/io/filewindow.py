"""A part of an open file as a file of its own: how a stored archive inside
a .zip archive (Kaggle's train.zip inside dogs-vs-cats.zip) is read in
place, without copying it out."""

from __future__ import annotations

import io
import os


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
