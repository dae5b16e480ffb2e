"""`datasets.synthetic`: generating the sample is all or nothing -- an
interrupted or failed generation leaves no half-made sample behind."""

import os

from conftest import call_main
from helpers import one_line_error


def test_sample_generation_is_all_or_nothing(tmp_path, capsys):
    from dogs_vs_cats import make_sample

    (tmp_path / "s.partial" / "train").mkdir(parents=True)  # left by a killed run
    (tmp_path / "s.partial" / "train" / "cat.0.jpg").write_bytes(b"")
    code, _, _ = call_main(
        make_sample, ["--output-dir", tmp_path / "s", "--per-class", 2, "--test-images", 1], capsys
    )
    assert code == 0 and sorted(os.listdir(tmp_path)) == ["s"]
    assert (tmp_path / "s" / "train" / "cat.0.jpg").stat().st_size > 0
    code, _, err = call_main(make_sample, ["--output-dir", tmp_path / "s"], capsys)
    one_line_error(code, err, "already exists", "--force")
