"""`utils.files`: outputs committed all together or not at all (a signal
waits until every file is in place), a full disk in one line, and nothing
that is not a regular file -- nor a link planted at a temporary or lock
name -- ever replaced or followed."""

import os
import signal
import stat

import pytest

from conftest import call_main
from dogs_vs_cats import extract_features, predict
from helpers import fill, leftovers, one_line_error, predict_args, small_disk


def test_a_full_disk_for_features_json_and_csv_is_one_line_each(built, sample, tmp_path, capsys):
    from helpers import flat_model

    flat_model(tmp_path / "flat.keras")
    with small_disk(tmp_path / "disk", "2m") as disk:
        fill(disk, 0)
        cases = [
            (
                extract_features,
                [
                    "--dataset",
                    sample["train"],
                    "--output",
                    disk / "f.hdf5",
                    "--backbone",
                    tmp_path / "flat.keras",
                    "--layer",
                    "colour",
                    "--mean",
                    built["mean"],
                ],
                disk / "f.hdf5",
            ),
            (
                predict,
                predict_args(
                    sample["test"], tmp_path / "flat.keras", built["mean"], disk / "s.csv"
                ),
                disk / "s.csv",
            ),
        ]
        for module, argv, output in cases:
            code, _, err = call_main(module, argv, capsys)
            one_line_error(code, err, output, "cannot be written")
            assert not output.exists() and not leftovers(disk)


# ---- the build's outputs are one set ----------------------------------------


def test_commit_files_puts_all_in_place_or_none(tmp_path, monkeypatch):
    from pyimagesearch.utils import files

    finals = [tmp_path / f"{k}.out" for k in "abc"]
    for final in finals:
        final.write_text("old")
    partials = []
    for final in finals:
        partial = files.new_partial(str(final))
        open(partial, "w").write("new")
        partials.append(partial)
    real_replace, calls = os.replace, []

    def failing_replace(source, target):
        calls.append(target)
        if len(calls) == 5:  # after two of the three new files are in place
            raise OSError(28, "No space left on device")
        real_replace(source, target)

    monkeypatch.setattr(files.os, "replace", failing_replace)
    with pytest.raises(OSError):
        files.commit_files(list(zip(partials, map(str, finals))))
    monkeypatch.setattr(files.os, "replace", real_replace)
    assert [f.read_text() for f in finals] == ["old"] * 3
    assert sorted(os.listdir(tmp_path)) == ["a.out", "b.out", "c.out"]
    partials = [files.new_partial(str(final)) for final in finals]  # the others are gone
    for partial in partials:
        open(partial, "w").write("new")
    files.commit_files(list(zip(partials, map(str, finals))))
    assert [f.read_text() for f in finals] == ["new"] * 3
    assert sorted(os.listdir(tmp_path)) == ["a.out", "b.out", "c.out"]


# ---- planted files at output, temporary and lock paths --------------------------


def plant(path, kind, victim):
    """Put a `kind` ("link" to `victim`, "fifo", "device": a character
    device like /dev/null, root only) at `path`."""
    if kind == "link":
        os.symlink(victim, path)
    elif kind == "fifo":
        os.mkfifo(path)
    elif os.geteuid() == 0:
        os.mknod(path, 0o666 | stat.S_IFCHR, os.makedev(1, 3))
    else:
        pytest.skip("making a device node needs root")


@pytest.mark.parametrize("kind", ["link", "fifo", "device"])
def test_an_output_that_is_not_a_regular_file_is_never_replaced(sample, tmp_path, capsys, kind):
    """crop_accuracy.py once turned a character device at --output into a
    regular file, and predict.py --force replaced a link: refused now,
    --force or not, and the thing planted is left as it was."""
    from helpers import flat_model
    from pyimagesearch.utils.files import write_json

    flat_model(tmp_path / "flat.keras")
    victim = tmp_path / "victim"
    victim.write_text("precious")
    mean = tmp_path / "mean.json"
    write_json(mean, {"R": 1.0, "G": 2.0, "B": 3.0})
    for number, extra in enumerate(([], ["--force"])):
        output = tmp_path / f"out{number}.csv"
        plant(output, kind, victim)
        before = os.lstat(output)
        argv = predict_args(sample["test"], tmp_path / "flat.keras", mean, output) + extra
        (code, _, err) = call_main(predict, argv, capsys)
        one_line_error(code, err, output, "not a regular file: refusing to replace it")
        after = os.lstat(output)
        assert (after.st_mode, after.st_ino) == (before.st_mode, before.st_ino)
    with pytest.raises(FileExistsError, match="not a regular file"):
        write_json(output, {})
    assert victim.read_text() == "precious" and not leftovers(tmp_path)


def test_links_planted_at_temporary_and_lock_names_are_never_followed(sample, tmp_path, capsys):
    """The temporary names were predictable (.s.partial.csv, .NAME.probe):
    a root run wrote through links planted there. Temporaries now live in
    folders made for them; a link or FIFO at a lock name is refused at
    once, with one line, instead of being followed or waited on."""
    from helpers import flat_model
    from pyimagesearch.utils.files import check_writable

    flat_model(tmp_path / "flat.keras")
    victim = tmp_path / "victim"
    victim.write_text("precious")
    mean = tmp_path / "mean.json"
    mean.write_text('{"R": 1.0, "G": 2.0, "B": 3.0}')
    out = tmp_path / "out"
    out.mkdir()
    for name in (".s.partial.csv", ".s.csv.partial", ".a.partial.keras.probe"):
        os.symlink(victim, out / name)
    check_writable(str(out / "a.keras"))
    argv = predict_args(sample["test"], tmp_path / "flat.keras", mean, out / "s.csv")
    (code, _, err) = call_main(predict, argv, capsys)
    assert code == 0, err
    assert victim.read_text() == "precious" and (out / "s.csv").read_text().startswith("id,")
    for kind in ("link", "fifo"):
        lock = out / f".t{kind}.csv.lock"
        plant(lock, kind, victim)
        argv = predict_args(sample["test"], tmp_path / "flat.keras", mean, out / f"t{kind}.csv")
        (code, _, err) = call_main(predict, argv, capsys)  # a FIFO once hung here
        one_line_error(code, err, lock, "lock file")
        assert not (out / f"t{kind}.csv").exists()
    assert victim.read_text() == "precious"


def test_a_signal_during_the_commit_waits_until_every_file_is_in_place(tmp_path, monkeypatch):
    """A SIGTERM right after the first rename once left train.hdf5 missing
    and its old copy hidden: now it arrives after the commit, which is
    whole."""
    from pyimagesearch.utils import files

    finals = [tmp_path / f"{k}.out" for k in "abc"]
    pairs = []
    for final in finals:
        final.write_text("old")
        partial = files.new_partial(str(final))
        open(partial, "w").write("new")
        pairs.append((partial, str(final)))
    real_replace = os.replace

    def replace_then_signal(source, target):
        real_replace(source, target)
        os.kill(os.getpid(), signal.SIGTERM)

    def interrupt(signum, frame):
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, interrupt)
    monkeypatch.setattr(files.os, "replace", replace_then_signal)
    try:
        with pytest.raises(KeyboardInterrupt):
            files.commit_files(pairs)
    finally:
        signal.signal(signal.SIGTERM, previous)
        monkeypatch.setattr(files.os, "replace", real_replace)
    assert [f.read_text() for f in finals] == ["new"] * 3
    assert sorted(os.listdir(tmp_path)) == ["a.out", "b.out", "c.out"]
