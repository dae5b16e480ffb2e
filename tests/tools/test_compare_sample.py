"""tools/compare_sample.py's comparison: what only records a time or a place
is set aside, any other difference is reported (no sample is run here)."""

import json
import zipfile

import h5py
import numpy as np
import pytest

from tools.compare_sample import compare_outputs

OUT = "dogs_vs_cats/output/sample"


def stages(tree, finished="2026-12-07T18:59:30", seconds=0.7, size=17027,
           mtime=1796669970000814697, digest="c2" * 32, free="24.1", images=800):  # fmt: skip
    return json.dumps({"build": {
        "signature": {"inputs": {f"{tree}/dogs_vs_cats/datasets/sample/train": f"folder:{digest}"}},
        "finished": finished,
        "outputs": {f"{tree}/{OUT}/hdf5/build_record.json": f"{size}:{mtime}"},
        "seconds": seconds,
        "images": images,
        "details": {"cache": f"memory -- they fit in the {free} GB of RAM available"},
    }}, indent=2)  # fmt: skip


def report(finished="2026-12-07T18:59:30", seconds="0.7", rate="1086.0", total="115.9", images=800):
    return (
        f'<tr><td class="name">build</td><td>finished {finished}</td><td>{seconds}</td>'
        f"<td>{images}</td><td>{rate}</td></tr>"
        f'<tr><td class="name">total</td><td></td><td>{total}</td><td></td><td></td></tr>'
    )


def write_hdf5(path, tree, values=(1.0, 2.0)):
    with h5py.File(path, "w") as db:
        db.attrs["backbone"] = f"{tree}/{OUT}/alexnet/alexnet.keras"
        db.create_dataset("features", data=np.array(values, dtype="float32"))


def config(*ids):
    return json.dumps([{"dtype": {"name": "float32", "shared_object_id": i}} for i in ids])


def write_keras(path, saved="2026-12-07@19:00:34", ids=(140, 140)):
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("metadata.json", json.dumps({"keras_version": "3", "date_saved": saved}))
        archive.writestr("config.json", config(*ids))


def write(tree, name, content):
    path = tree / OUT / name
    path.parent.mkdir(parents=True, exist_ok=True)
    if name.endswith(".hdf5"):
        write_hdf5(path, tree, **content)
    elif name.endswith(".keras"):
        write_keras(path, **content)
    else:
        path.write_text(content(tree) if callable(content) else content)


# (file, its content in BASE, its content here, the verdict)
CASES = [
    (
        "stages.json",
        lambda t: stages(t),
        lambda t: stages(
            t,
            finished="2026-12-07T19:01:38",
            seconds=0.6,
            size=17012,
            mtime=1796670098120810636,
            digest="43" * 32,
            free="21.6",
        ),
        "same content",
    ),
    ("stages.json", lambda t: stages(t), lambda t: stages(t, images=799), "differs"),
    # a file outside the trees (a weights file) is the same for both runs
    (
        "stages.json",
        lambda t: stages(t).replace(f"{t}/{OUT}/hdf5", "/weights"),
        lambda t: stages(t, size=17012).replace(f"{t}/{OUT}/hdf5", "/weights"),
        "differs",
    ),
    (
        "report.html",
        report(),
        report("2026-12-07T19:01:38", "0.6", "1238.8", "98.7"),
        "same content",
    ),
    ("report.html", report(), report(images=799), "differs"),
    (
        "crop_accuracy.json",
        lambda t: f'{{"model": "{t}/m"}}',
        lambda t: f'{{"model": "{t}/m"}}',
        "same content",
    ),
    ("crop_accuracy.json", '{"rank1": 0.98}', '{"rank1": 0.97}', "differs"),
    ("features.hdf5", {}, {}, "same content"),  # only the path in an attribute differs
    ("features.hdf5", {}, {"values": (1.0, 2.5)}, "differs"),
    ("model.keras", {}, {"saved": "2026-12-07@19:02:42", "ids": (977, 977)}, "same content"),
    ("model.keras", {}, {"ids": (977, 978)}, "differs"),  # no longer one shared object
    ("submission.csv", "id,label\n1,0.5\n", "id,label\n1,0.5\n", "identical"),
    ("submission.csv", "id,label\n1,0.5\n", "id,label\n1,0.6\n", "differs"),
]


@pytest.mark.parametrize("name, base, head, verdict", CASES)
def test_only_times_dates_and_places_are_set_aside(tmp_path, name, base, head, verdict):
    baseTree, headTree = tmp_path / "base", tmp_path / "a-longer-path-here"
    write(baseTree, name, base)
    write(headTree, name, head)
    ((path, found, how),) = compare_outputs(baseTree, headTree)
    assert (path, found) == (f"{OUT}/{name}", verdict), how
    assert bool(how) == (verdict == "differs")


def test_a_file_in_one_tree_only_differs(tmp_path):
    write(tmp_path / "base", "submission.csv", "id,label\n")
    write(tmp_path / "head", "extra.json", "{}")
    assert compare_outputs(tmp_path / "base", tmp_path / "head") == [
        (f"{OUT}/extra.json", "differs", "only in this tree"),
        (f"{OUT}/submission.csv", "differs", "only in BASE"),
    ]
