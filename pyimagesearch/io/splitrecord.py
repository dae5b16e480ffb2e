"""The build's record (build_record.json, beside the split files): what
was used and skipped and, under "image_names", which photo is in which
split, {split: [photo names]}. Read back through `read_build_record` alone
(`read_split_record` for its splits), which checks its types and invariants.

Every figure called "held out" rests on this record: the classifier fits on
the photos of every split but "test" and is scored on those of "test",
matched by name. So a name must stand for one photo only, in one split, and
the record must say what the split files themselves store.
"""

from __future__ import annotations

import os

from pyimagesearch.io.hdf5files import open_hdf5, read_image_names, read_label_names
from pyimagesearch.utils.files import read_json

RECORD_FILE = "build_record.json"
# how a figure scored on the build's test split, and held out from every
# stage that trained on the build, says so
HELD_OUT_BY_BUILD = "the build's test split"
REBUILD = "build the splits anew with build_dogs_vs_cats.py"


def split_file(folder: str | os.PathLike, split: str) -> str:
    """The HDF5 file of `split` in a build's `folder`."""
    return os.path.join(folder, f"{split}.hdf5")


def check_split_record(splits, where: str | os.PathLike) -> dict[str, list[str]]:
    """`splits` if it is a build's {split: [photo names]} with a "test"
    split, naming every photo once: in one split only, and once in it.
    ValueError naming `where` otherwise."""
    if (
        not isinstance(splits, dict)
        or "test" not in splits
        or not all(
            isinstance(split, str)
            and isinstance(names, list)
            and all(isinstance(name, str) for name in names)
            for split, names in splits.items()
        )
    ):
        raise ValueError(
            f"{where} holds no split record ({{split: [photo names]}} with a 'test' split): "
            f"give the {RECORD_FILE} of build_dogs_vs_cats.py"
        )
    seen: dict[str, str] = {}
    for split, names in splits.items():
        for name in names:
            if name in seen:
                place = "twice in" if seen[name] == split else f"in {seen[name]!r} and in"
                raise ValueError(
                    f"{where} names the photo {name!r} {place} {split!r}: a held-out split "
                    f"would be scored on photos that were trained on; {REBUILD}"
                )
            seen[name] = split
    return splits


def is_count(value) -> bool:
    return type(value) is int and value >= 0


def check_build_record(record, where: str | os.PathLike) -> dict:
    """`record` if it is a build's record: "image_names" a split record
    (`check_split_record`), "used" {split: count} counting those names,
    "label_names" two or more class names, "photos_found" and
    "skipped_count" counts, "skipped" [{"file", "reason"}]. ValueError
    naming `where` otherwise."""
    what = f"give the {RECORD_FILE} of build_dogs_vs_cats.py, or {REBUILD}"
    if not isinstance(record, dict):
        raise ValueError(f"{where} is not a build's record: {what}")
    splits = check_split_record(record.get("image_names"), where)
    if "train" not in splits:
        raise ValueError(f"{where} records no 'train' split: {what}")
    used = record.get("used")
    labelNames = record.get("label_names")
    skipped = record.get("skipped")
    problems = {
        "used": not isinstance(used, dict)
        or {split: len(names) for split, names in splits.items()} != used,
        "label_names": not isinstance(labelNames, list)
        or len(labelNames) < 2
        or not all(isinstance(name, str) and name for name in labelNames),
        "images": not isinstance(record.get("images"), str),
        # every photo used was found; every skipped file is listed
        "photos_found": not is_count(record.get("photos_found"))
        or record["photos_found"] < sum(map(len, splits.values())),
        "skipped_count": not is_count(record.get("skipped_count"))
        or (isinstance(skipped, list) and record["skipped_count"] != len(skipped)),
        "skipped": not isinstance(skipped, list)
        or not all(
            isinstance(item, dict) and all(isinstance(item.get(k), str) for k in ("file", "reason"))
            for item in skipped
        ),
    }
    wrong = [key for key, bad in problems.items() if bad]
    if wrong:
        raise ValueError(
            f"{where}: {', '.join(wrong)} {'is' if len(wrong) == 1 else 'are'} not what a build "
            f"records ('used' counts the photos 'image_names' lists); {what}"
        )
    return record


def read_build_record(path: str | os.PathLike) -> dict:
    """A build's record, checked (`check_build_record`), its splits compared
    with the "image_names" of the split files beside it (SPLIT.hdf5), which
    must hold the same photos in the same order: a record edited, or left
    from another build, is refused."""
    record = check_build_record(
        read_json(path, f"the {RECORD_FILE} of build_dogs_vs_cats.py"), path
    )
    splits = record["image_names"]
    folder = os.path.dirname(os.path.abspath(path))
    for split, names in splits.items():
        hdf5 = split_file(folder, split)
        if not os.path.lexists(hdf5):
            raise ValueError(
                f"{path}: its split {split!r} has no {os.path.basename(hdf5)} beside it, to check "
                f"the record against; keep the record with its split files, or {REBUILD}"
            )
        with open_hdf5(hdf5) as db:
            (stored, classes) = (read_image_names(db), read_label_names(db))
        if stored != names or classes != record["label_names"]:
            what = "photos" if stored != names else "classes"
            raise ValueError(
                f"{path} does not list the {what} {hdf5} stores: the record and the split files "
                f"are from different builds, or one was edited; {REBUILD}"
            )
    return record


def read_split_record(path: str | os.PathLike) -> dict[str, list[str]]:
    """The {split: [photo names]} of a build's record (`read_build_record`)."""
    return read_build_record(path)["image_names"]
