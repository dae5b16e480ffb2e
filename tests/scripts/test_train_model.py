"""train_model.py's command line: its outputs (the classifier and its
--record) replace nothing unasked and are never one of its inputs or each
other, and a pickle path is refused for the JSON the classifier is saved
as. What it fits and the files it reads are tested in
tests/pipeline/test_classifier.py."""

import numpy as np

from conftest import call_main
from dogs_vs_cats import train_model
from helpers import one_line_error


def write_separable_features(path):
    from pyimagesearch.io import HDF5DatasetWriter

    labels = np.arange(40) % 2
    features = np.random.default_rng(0).normal(size=(40, 3)).astype("float32")
    features[:, 0] += 4 * labels
    with HDF5DatasetWriter((40, 3), str(path), dataKey="features") as writer:
        writer.add(features, labels)
        writer.storeClassLabels(["cat", "dog"])
        # a network none of these rows trained: the book's split of rows holds
        writer.db.attrs["backbone_kind"] = "keras.applications"


def test_the_classifier_and_its_report_replace_nothing_unasked(tmp_path, capsys):
    """train_model.py once replaced a .keras model given as --record, and
    an existing classifier, without --force."""
    features = tmp_path / "f.hdf5"
    write_separable_features(features)
    precious = tmp_path / "alexnet.keras"
    precious.write_bytes(b"a model")
    base = ["--db", features, "--jobs", 1]
    cases = [
        (["--classifier", tmp_path / "c.json", "--record", precious], precious, "already exists"),
        (["--classifier", tmp_path / "c.json", "--record", tmp_path / "c.json"],
         "--record", "another output of this run"),
        (["--classifier", tmp_path / "c.json", "--record", features], "--record",
         "an input of this run"),
    ]  # fmt: skip
    for extra, named, words in cases:
        (code, _, err) = call_main(train_model, base + extra, capsys)
        one_line_error(code, err, named, words)
    assert precious.read_bytes() == b"a model" and not (tmp_path / "c.json").exists()
    argv = base + ["--classifier", tmp_path / "c.json", "--record", tmp_path / "r.json"]
    assert call_main(train_model, argv, capsys)[0] == 0
    (code, _, err) = call_main(train_model, argv, capsys)
    one_line_error(code, err, tmp_path / "c.json", "already exists: pass --force")
    assert call_main(train_model, argv + ["--force"], capsys)[0] == 0


def test_train_model_refuses_a_pickle_path(tmp_path, capsys):
    from dogs_vs_cats import train_model

    code, _, err = call_main(
        train_model,
        ["--db", tmp_path / "f.hdf5", "--model", tmp_path / "dogs_vs_cats.pickle"],
        capsys,
    )
    assert code == 2 and "--model: " in err and "JSON, not pickle" in err  # the book's flag
    assert not (tmp_path / "dogs_vs_cats.pickle").exists()
