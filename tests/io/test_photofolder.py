"""`io.photofolder`: a folder of photos whose entries are hostile -- a FIFO
named like a photo, a name that is not UTF-8 -- is listed without hanging or
failing."""

import json
import os
import subprocess
import sys

from conftest import SCRIPTS, build_args, call_main
from dogs_vs_cats import build_dogs_vs_cats


def test_a_fifo_named_like_a_photo_is_skipped_not_read(sample, tmp_path, capsys):
    photos = tmp_path / "photos"
    photos.mkdir()
    for name in os.listdir(sample["train"]):
        os.link(os.path.join(sample["train"], name), photos / name)
    os.mkfifo(photos / "cat.999.jpg")  # reading it would wait forever
    code, _, err = call_main(build_dogs_vs_cats, build_args(photos, tmp_path), capsys)
    assert code == 0, err
    report = json.loads((tmp_path / "hdf5" / "build_record.json").read_text())
    assert {"file": "cat.999.jpg", "reason": "not a regular file"} in report["skipped"]


def test_a_photo_name_that_is_not_utf8_is_listed_not_fatal(sample, tmp_path):
    """A photo named with byte 0xFF, stdout in UTF-8: every output was
    written, then the listing of skipped files died of a codec error
    (exit 2)."""
    import shutil

    photos = tmp_path / "photos"
    shutil.copytree(sample["train"], photos)
    (photos / os.fsdecode(b"cat.\xff.jpg")).write_bytes(b"")
    args = [str(a) for a in build_args(photos, tmp_path)]
    result = subprocess.run(
        [sys.executable, "build_dogs_vs_cats.py", *args], cwd=SCRIPTS, capture_output=True,
        env=dict(os.environ, PYTHONIOENCODING="utf-8"), text=True, encoding="utf-8",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "cat.\\xff.jpg: " in result.stdout
    assert (tmp_path / "hdf5" / "train.hdf5").exists()
