"""`io.filewindow.Window`, how a stored archive inside a .zip is read in
place: a part of an open file as a file of its own, bounded by its length,
seekable from its own start and end, and still readable once the file it
was cut from is closed (a stored train.zip is read after the bundle's
handle is gone)."""

import io
import os

from pyimagesearch.io.filewindow import Window


def test_a_window_reads_only_its_part_and_outlives_the_file_it_was_cut_from(tmp_path):
    path = tmp_path / "bundle"
    path.write_bytes(bytes(range(100)))
    fd = os.open(path, os.O_RDONLY)
    window = Window(fd, 10, 20)
    os.close(fd)
    assert window.read(5) == bytes(range(10, 15)) and window.tell() == 5
    assert window.read() == bytes(range(15, 30)) and window.read() == b""
    assert window.seek(-3, io.SEEK_END) == 17 and window.read() == bytes(range(27, 30))
    window.seek(-4, io.SEEK_CUR)
    assert window.read(2) == bytes(range(26, 28))
    window.close()
    assert window.closed
