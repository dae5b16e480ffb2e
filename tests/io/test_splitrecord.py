"""The build's split record: one name a photo, one split a photo, and the
same photos the split files store, checked wherever it is read."""

import json
import os
import shutil

import h5py
import numpy as np
import pytest

from conftest import assert_held_out_by_name, build_args, call_main
from pyimagesearch.errors import ArgumentError
from pyimagesearch.io import HDF5DatasetWriter
from pyimagesearch.io.splitrecord import check_split_record, read_split_record
from pyimagesearch.pipeline.classifier import fit_classifier
from pyimagesearch.utils.files import printable, unprintable


def test_printable_writes_no_two_names_alike():
    names = ["caf\udce9.jpg", "caf\\xe9.jpg", "caf\\\\xe9.jpg", "cat.1\u202egpj", "cat.1\\u202egpj",
             "a\\b", "a\\\\b", "plain.jpg", "chat é.jpg", "\ud800x", "\\ud800x"]  # fmt: skip
    written = [printable(name) for name in names]
    assert len(set(written)) == len(names)
    assert written[:2] == ["caf\\xe9.jpg", "caf\\\\xe9.jpg"]
    assert printable("plain.jpg") == "plain.jpg" and printable("chat é.jpg") == "chat é.jpg"
    for text in written:
        text.encode("utf-8")  # valid UTF-8: h5py and JSON store it
    # and undone: the report opens a recorded photo by its real name
    assert [unprintable(text) for text in written] == names


def features_for(record, path, dim=6):
    """A features file naming every photo of a build's `record`, its rows
    shuffled, whose features separate the classes."""
    names = [name for split in ("train", "val", "test") for name in record[split]]
    rng = np.random.default_rng(0)
    rng.shuffle(names)
    labels = np.array([0 if "cat." in name else 1 for name in names])
    features = rng.normal(size=(len(names), dim)) + labels[:, None]
    with HDF5DatasetWriter((len(names), dim), str(path), dataKey="features") as writer:
        writer.storeClassLabels(["cat", "dog"])
        writer.add(features, labels)
        # the names as recorded (storeStrings would escape their escapes again)
        writer.db.create_dataset("image_names", data=names, dtype=h5py.string_dtype("utf-8"))
    return path


def test_two_folders_whose_names_once_read_alike_keep_their_photos_apart(sample, tmp_path, capsys):
    """A folder named with the byte 0xe9 and one named with the four
    characters "\\xe9" were recorded under one name: rows scored as held out
    were also fitted on."""
    from dogs_vs_cats import build_dogs_vs_cats

    photos = tmp_path / "photos"
    photos.mkdir()
    for folder in (os.fsdecode(os.path.join(os.fsencode(photos), b"caf\xe9")), "caf\\xe9"):
        shutil.copytree(sample["train"], photos / folder)
    out = tmp_path / "out"
    (code, _, err) = call_main(build_dogs_vs_cats, build_args(photos, out), capsys)
    assert code == 0, err
    record = out / "hdf5" / "build_record.json"
    splits = read_split_record(record)
    every = [name for names in splits.values() for name in names]
    assert len(every) == len(set(every)) == 120
    assert {name.split("/")[0] for name in every} == {"caf\\xe9", "caf\\\\xe9"}
    features = features_for(splits, tmp_path / "features.hdf5")
    (_, _, report) = fit_classifier(str(features), 1, splits=splits)
    assert report["test_rows"] == 10 and report["train_rows"] == 110
    assert_held_out_by_name(features, report, report["predictions"], record)


def copy_build(built, tmp_path):
    folder = tmp_path / "hdf5"
    shutil.copytree(built["dir"], folder)
    return folder / "build_record.json"


def edit_record(path, change):
    report = json.loads(path.read_text())
    change(report["image_names"])
    stat = os.stat(path)
    path.write_text(json.dumps(report))
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))  # an edit that keeps the mtime


def as_val(splits):
    splits["test"] = list(splits["val"])


def swapped(splits):
    (splits["test"][0], splits["train"][0]) = (splits["train"][0], splits["test"][0])


def reordered(splits):
    splits["test"].reverse()


def doubled(splits):
    splits["test"][1] = splits["test"][0]


def renamed(splits):
    splits["val"][0] = "cat.999999.jpg"


@pytest.mark.parametrize(
    "change, message",
    [
        (as_val, "names the photo .* in 'test' and in 'val'"),
        (doubled, "names the photo .* twice in 'test'"),
        (swapped, "does not list the photos .*train.hdf5 stores"),
        (reordered, "does not list the photos .*test.hdf5 stores"),
        (renamed, "does not list the photos .*val.hdf5 stores"),
    ],
)
def test_an_edited_record_is_refused_wherever_it_is_read(built, tmp_path, capsys, change, message):
    """A record whose test photos are its validation photos was accepted:
    the classifier fitted on its test photos and called them held out."""
    from dogs_vs_cats import train_model

    record = copy_build(built, tmp_path)
    edit_record(record, change)
    with pytest.raises(ValueError, match=message):
        read_split_record(record)
    features = features_for(json.loads((built["dir"] / "build_record.json").read_text())
                            ["image_names"], tmp_path / "features.hdf5")  # fmt: skip
    classifier = tmp_path / "classifier.json"
    argv = ["--db", features, "--model", classifier, "--jobs", 1, "--splits", record]
    (code, _, err) = call_main(train_model, argv, capsys)
    assert code == 2 and err.count("\n") == 1 and str(record) in err and "anew" in err
    assert not classifier.exists()


def test_a_record_apart_from_its_split_files_is_refused(built, tmp_path):
    record = copy_build(built, tmp_path)
    os.remove(record.parent / "val.hdf5")
    with pytest.raises(ValueError, match="split 'val' has no val.hdf5 beside it"):
        read_split_record(record)


@pytest.mark.parametrize(
    "splits",
    [None, [], {"train": ["a"]}, {"test": "a"}, {"test": [1]}, {"test": ["a"], 3: ["b"]}],
)
def test_a_record_of_the_wrong_shape_is_refused(splits):
    with pytest.raises(ValueError, match="holds no split record"):
        check_split_record(splits, "where.json")


def test_features_naming_one_photo_on_two_rows_are_refused(built, tmp_path):
    record = json.loads((built["dir"] / "build_record.json").read_text())["image_names"]
    path = features_for(record, tmp_path / "features.hdf5")
    with h5py.File(path, "r+") as db:
        names = list(db["image_names"].asstr()[()])
        names[1] = names[0]
        del db["image_names"]
        db.create_dataset("image_names", data=names, dtype=h5py.string_dtype("utf-8"))
    with pytest.raises(ValueError, match="names a photo on more than one row"):
        fit_classifier(str(path), 1, splits=record)


def good_record():
    names = {"train": ["cat.1.jpg", "dog.1.jpg"], "test": ["cat.2.jpg"]}
    return {"images": "train", "photos_found": 5, "used": {"train": 2, "test": 1},
            "label_names": ["cat", "dog"], "mean": {"R": 1.0, "G": 2.0, "B": 3.0},
            "skipped_count": 1, "skipped": [{"file": "x.jpg", "reason": "unreadable"}],
            "image_names": names}  # fmt: skip


@pytest.mark.parametrize(
    "key, value",
    [("used", {"train": 2, "test": 2}), ("used", None), ("label_names", ["cat"]),
     ("label_names", ["cat", 3]), ("photos_found", "5"), ("photos_found", -1),
     ("skipped_count", True), ("skipped", [{"file": 1, "reason": "x"}]), ("skipped", {}),
     ("images", None), ("photos_found", 2), ("skipped_count", 2)],
)  # fmt: skip
def test_every_field_of_the_build_record_is_checked_where_it_is_read(key, value):
    from pyimagesearch.io.splitrecord import check_build_record

    assert check_build_record(good_record(), "r.json")["used"] == {"train": 2, "test": 1}
    with pytest.raises(ValueError, match=f"r.json: {key} is not what a build records"):
        check_build_record({**good_record(), key: value}, "r.json")


def test_features_of_a_model_from_elsewhere_are_not_called_held_out_from_it(built, tmp_path):
    """A backbone .keras file another run trained may have trained on this
    build's test photos: the score is held out from this build's stages
    only, and says so; the chapter's own AlexNet trained on this build's
    training split."""
    from pyimagesearch.pipeline.classifier import FeatureSource, held_out_rows

    record = json.loads((built["dir"] / "build_record.json").read_text())["image_names"]
    names = [name for split in ("train", "val", "test") for name in record[split]]
    source = FeatureSource(names, "elsewhere.keras", "model file", 64, False)
    (_, _, how) = held_out_rows("f.hdf5", source, len(names), 0.75, record)
    assert how.startswith("the build's test split; the features' model elsewhere.keras is a")
    (_, _, how) = held_out_rows("f.hdf5", source, len(names), 0.75, record, ownModel=True)
    assert how == "the build's test split"
    # and without a record, a model file's or an unknown kind's are refused
    for kind in ("model file", "unknown"):
        with pytest.raises(ArgumentError, match=f"elsewhere.keras \\({kind}\\), a model that"):
            held_out_rows("f.hdf5", source._replace(kind=kind), len(names), 0.75, None)


def test_a_record_without_training_photos_or_with_other_classes_is_refused(built, tmp_path):
    """The classes of an edited record (swapped, size and time kept) once
    captioned cats as dogs; a record without its train split passed."""
    from pyimagesearch.io.splitrecord import check_build_record

    record = copy_build(built, tmp_path)
    report = json.loads(record.read_text())
    report["label_names"] = report["label_names"][::-1]
    record.write_text(json.dumps(report))
    with pytest.raises(ValueError, match="does not list the classes .*train.hdf5 stores"):
        read_split_record(record)
    without = good_record()
    del without["image_names"]["train"], without["used"]["train"]
    with pytest.raises(ValueError, match="r.json records no 'train' split"):
        check_build_record(without, "r.json")
