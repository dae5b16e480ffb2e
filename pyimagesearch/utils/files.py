"""Write files so that a final path only ever holds a complete file."""

import contextlib
import json
import os


@contextlib.contextmanager
def atomic_path(path):
    """Yield a temporary path beside `path` to write to; on success it is
    renamed to `path`, on an exception it is deleted.

    The temporary name keeps the extension (Keras only saves to '.keras'
    paths, matplotlib picks the format from it) and starts with a dot.
    """
    folder, name = os.path.split(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    stem, ext = os.path.splitext(name)
    temporary = os.path.join(folder, f".{stem}.partial{ext}")
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
