"""`utils.locks`: a second run into the same outputs is refused at once, and
a read-only output folder is named, not its lock."""

import subprocess

from conftest import build_args, call_main
from dogs_vs_cats import build_dogs_vs_cats, extract_features, predict
from helpers import one_line_error, predict_args, small_disk, snapshot

# ---- two runs at once --------------------------------------------------------


def test_a_second_run_into_the_same_outputs_refuses_at_once(built, sample, tmp_path, capsys):
    from conftest import train_args
    from dogs_vs_cats import train_alexnet
    from helpers import flat_model
    from pyimagesearch.utils.locks import output_lock

    flat_model(tmp_path / "flat.keras")
    first = tmp_path / "first"
    code, _, err = call_main(build_dogs_vs_cats, build_args(sample["train"], first), capsys)
    assert code == 0, err
    before = snapshot(first)
    cases = [
        (build_dogs_vs_cats, build_args(sample["train"], first, "--force"), first / "hdf5"),
        (
            extract_features,
            [
                "--dataset",
                sample["train"],
                "--output",
                first / "f.hdf5",
                "--backbone",
                "mobilenet_v2",
                "--weights",
                "none",
            ],
            first / "f.hdf5",
        ),
        (train_alexnet, train_args(built, first / "run"), first / "run"),
        (
            predict,
            predict_args(sample["test"], tmp_path / "flat.keras", built["mean"], first / "s.csv"),
            first / "s.csv",
        ),
    ]
    for module, argv, held in cases:
        with output_lock(held):  # the first run, still going
            code, out, err = call_main(module, argv, capsys)
        one_line_error(code, err, held, "being written by another run")
        assert snapshot(first) == before  # nothing of the first run touched
    assert (
        call_main(build_dogs_vs_cats, build_args(sample["train"], first, "--force"), capsys)[0] == 0
    )


def test_a_read_only_output_folder_names_the_output_not_its_lock(sample, tmp_path, capsys):
    """It said "[Errno 30] .../.hdf5.lock"."""
    with small_disk(tmp_path / "disk", "1m") as disk:
        subprocess.run(["mount", "-o", "remount,ro", str(disk)], check=True)
        try:
            argv = build_args(sample["train"], disk / "out")
            (code, _, err) = call_main(build_dogs_vs_cats, argv, capsys)
        finally:
            subprocess.run(["mount", "-o", "remount,rw", str(disk)], check=True)
    line = one_line_error(code, err, "cannot be written (Read-only file system)")
    assert ".lock" not in line
