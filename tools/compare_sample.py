"""Whether a change kept the chapter's behaviour: `make sample` at a git
revision and in this tree, their outputs compared file by file.

    make compare-sample BASE=main     (python tools/compare_sample.py main)

BASE is checked out in a temporary `git worktree`; each tree runs its own
dogs_vs_cats/run_sample.sh with this interpreter and PYTHONPATH set to that
tree. The run here replaces this tree's sample and its outputs, as `make
sample` does. Prints one line per file; exits 1 if any content differs.

Two runs of the same code on one machine write the same bytes except where a
file records a time, a machine's state or where it was run (measured: see
docs/library.md); those fields alone are set aside (VOLATILE, the .keras and
HDF5 readers below). It imports nothing from pyimagesearch, so that any two
versions can be compared.
"""

import argparse
import filecmp
import io
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

import h5py
import numpy as np

OUTPUTS = ("dogs_vs_cats/datasets/sample", "dogs_vs_cats/output/sample")
ROOT = "<tree>"  # each tree's absolute path, in every path a record names

# (the files, pattern, replacement): what differs between two runs of the
# same code, replaced in both files before they are compared.
STAGES, REPORT = ("stages.json",), ("report.html",)
VOLATILE = [
    # when each stage finished and how long it took
    (STAGES, r'"finished": "[^"]*"', '"finished": "<time>"'),
    (STAGES, r'"seconds": [-+.\deE]+', '"seconds": <seconds>'),
    # the fingerprint of a stage's input or output inside the tree: a file's
    # size and modification time (the size of a record naming paths changes
    # with the tree's path; each output is compared itself); a digest of a
    # folder's files' sizes and times. A file outside the tree (a weights
    # file) is the same file for both runs: its fingerprint is compared.
    (STAGES, r'("<tree>/[^"]*": )"\d+:\d+"', r'\1"<size>:<mtime>"'),
    (STAGES, r'("<tree>/[^"]*": )"folder:[0-9a-f]{64}"', r'\1"folder:<digest>"'),
    # the report's stages table: each stage's finish time, seconds and images
    # a second, and the total seconds
    (
        REPORT,
        r"finished [\dT:-]{19}</td><td>[\d.]*</td><td>(\d*)</td><td>[\d.]*</td>",
        r"finished <time></td><td><s></td><td>\1</td><td><rate></td>",
    ),
    (REPORT, r"total</td><td></td><td>[\d.]*</td>", "total</td><td></td><td><s></td>"),
    # the free memory when training chose its cache
    (STAGES + REPORT, r"fit in the [\d.]+ GB of RAM", "fit in the <free> GB of RAM"),
]
TEXT = {".json", ".html", ".csv", ".txt"}


def normalised_text(data: bytes, name: str, root: Path) -> str:
    text = data.decode("utf-8", "surrogateescape").replace(str(root), ROOT)
    for names, pattern, replacement in VOLATILE:
        if name in names:
            text = re.sub(pattern, replacement, text)
    return text


def text_difference(a: bytes, b: bytes, name: str, roots) -> str | None:
    """Where two texts first differ once normalised, with some context."""
    textA, textB = normalised_text(a, name, roots[0]), normalised_text(b, name, roots[1])
    if textA == textB:
        return None
    at = next(
        (i for i, (x, y) in enumerate(zip(textA, textB)) if x != y), min(len(textA), len(textB))
    )
    line = textA.count("\n", 0, at) + 1
    return f"line {line}: {textA[at - 40 : at + 40]!r} vs {textB[at - 40 : at + 40]!r}"


def hdf5_items(data, root: Path) -> dict:
    """Every group's and data set's attributes, and every data set's type,
    shape, chunks, compression and values: what a reader sees, without the
    file's layout (a longer path in an attribute moves what follows it)."""
    items = {}
    with h5py.File(data, "r") as db:

        def visit(name, obj):
            attrs = {key: str(value).replace(str(root), ROOT) for key, value in obj.attrs.items()}
            if isinstance(obj, h5py.Dataset):
                values = obj[()]
                if values.dtype.kind in "OS":  # strings: names, maybe paths
                    values = [str(v).replace(str(root), ROOT) for v in np.ravel(values)]
                items[name] = (attrs, obj.dtype, obj.shape, obj.chunks, obj.compression, values)
            else:
                items[name] = (attrs,)

        visit("/", db)
        db.visititems(visit)
    return items


def hdf5_difference(a, b, roots) -> str | None:
    itemsA, itemsB = hdf5_items(a, roots[0]), hdf5_items(b, roots[1])
    if itemsA.keys() != itemsB.keys():
        return f"objects {sorted(itemsA.keys() ^ itemsB.keys())} are in one file only"
    for name, itemA in itemsA.items():
        itemB = itemsB[name]
        if itemA[:5] != itemB[:5]:
            return f"{name}: attributes, type, shape or storage {itemA[:5]} vs {itemB[:5]}"
        if len(itemA) > 1 and not np.array_equal(itemA[5], itemB[5]):
            values = np.asarray(itemA[5]), np.asarray(itemB[5])
            if values[0].dtype.kind in "fiu":
                gap = np.abs(values[0].astype(float) - values[1].astype(float))
                return f"{name}: {np.count_nonzero(gap)} values differ, by up to {gap.max():.3g}"
            return f"{name}: its values differ"
    return None


def renumbered_shared_ids(config: bytes) -> str:
    """Keras writes a shared object's Python id() (a memory address): the
    ids in order of first use keep which objects are shared."""
    ids = {}
    return re.sub(
        rb'"shared_object_id": (\d+)',
        lambda m: b'"shared_object_id": %d' % ids.setdefault(m.group(1), len(ids)),
        config,
    ).decode()


def member_difference(name: str, a: bytes, b: bytes, roots) -> str | None:
    """A member of a .keras zip: metadata.json's date_saved and the shared
    ids of config.json only say when and where in memory it was saved."""
    if name == "metadata.json":
        saved = {"date_saved": "<time>"}
        same = {**json.loads(a), **saved} == {**json.loads(b), **saved}
        return None if same else "metadata.json differs"
    if name == "config.json":
        same = renumbered_shared_ids(a) == renumbered_shared_ids(b)
        return None if same else "config.json differs"
    if name.endswith(".h5"):
        return hdf5_difference(io.BytesIO(a), io.BytesIO(b), roots)
    return f"{name} differs"


def keras_difference(a: Path, b: Path, roots) -> str | None:
    """A .keras zip compared member by member (the members' dates are when
    it was saved)."""
    with zipfile.ZipFile(a) as zipA, zipfile.ZipFile(b) as zipB:
        if zipA.namelist() != zipB.namelist():
            return f"members {zipA.namelist()} vs {zipB.namelist()}"
        for name in zipA.namelist():
            memberA, memberB = zipA.read(name), zipB.read(name)
            how = None if memberA == memberB else member_difference(name, memberA, memberB, roots)
            if how is not None:
                return how
    return None


def file_difference(a: Path, b: Path, roots) -> str | None:
    """Of two files whose bytes differ: None if they hold the same content
    once what records a time or a place is set aside (above), else how they
    differ."""
    if a.suffix in (".hdf5", ".h5"):
        return hdf5_difference(a, b, roots)
    if a.suffix == ".keras":
        return keras_difference(a, b, roots)
    if a.suffix in TEXT:
        return text_difference(a.read_bytes(), b.read_bytes(), a.name, roots)
    return f"{a.stat().st_size} bytes vs {b.stat().st_size}"


def compare_outputs(base: Path, head: Path) -> list[tuple[str, str, str]]:
    """(path, verdict, how) for every file under OUTPUTS in either tree; the
    verdict is "identical" (the same bytes), "same content" (once times and
    paths are set aside) or "differs"."""
    names = set()
    for tree in (base, head):
        for folder in OUTPUTS:
            names.update(p.relative_to(tree) for p in (tree / folder).rglob("*") if p.is_file())
    verdicts = []
    for name in sorted(names):
        a, b = base / name, head / name
        if not (a.is_file() and b.is_file()):
            how = "only in " + ("this tree" if b.is_file() else "BASE")
        elif filecmp.cmp(a, b, shallow=False):
            verdicts.append((str(name), "identical", ""))
            continue
        else:
            how = file_difference(a, b, (base, head))
        verdicts.append((str(name), "same content" if how is None else "differs", how or ""))
    return verdicts


def run_sample(tree: Path, log: Path) -> None:
    """The tree's own `make sample` run, with this interpreter first on PATH
    (run_sample.sh calls `python`) and the tree's packages imported."""
    env = dict(os.environ, PYTHONPATH=str(tree))
    env["PATH"] = os.path.dirname(sys.executable) + os.pathsep + env["PATH"]
    print(f"[INFO] running the sample in {tree} (log: {log})", flush=True)
    with open(log, "w") as out:
        done = subprocess.run(["bash", "dogs_vs_cats/run_sample.sh"], cwd=tree, env=env,
                              stdout=out, stderr=subprocess.STDOUT)  # fmt: skip
    if done.returncode:
        sys.exit(f"the sample in {tree} failed (exit {done.returncode}): see {log}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("base", help="the git revision to compare with (a branch, tag or commit)")
    base = parser.parse_args().base
    head = Path(__file__).resolve().parent.parent
    work = Path(tempfile.mkdtemp(prefix="compare-sample-"))
    checkout = work.resolve() / "base"
    added = subprocess.run(["git", "-C", str(head), "worktree", "add", "--detach", "-q",
                            str(checkout), base], capture_output=True, text=True)  # fmt: skip
    if added.returncode:
        shutil.rmtree(work)
        print(f"BASE={base}: not a revision git can check out: {added.stderr.strip()}")
        sys.exit(2)
    try:
        run_sample(checkout, work / "base.log")
        run_sample(head, work / "head.log")
        verdicts = compare_outputs(checkout, head)
        differing = [name for name, verdict, _ in verdicts if verdict == "differs"]
        if differing:  # BASE's outputs, to look into
            for folder in OUTPUTS:
                (work / "base-outputs" / folder).parent.mkdir(parents=True, exist_ok=True)
                shutil.move(checkout / folder, work / "base-outputs" / folder)
    finally:
        subprocess.run(["git", "-C", str(head), "worktree", "remove", "--force", str(checkout)])
    for name, verdict, how in verdicts:
        print(f"{verdict:<12} {name}" + (f": {how}" if how else ""))
    kept = f"; BASE's outputs are in {work}/base-outputs" if differing else ""
    print(
        f"[INFO] {len(verdicts)} files compared with BASE={base}: {len(differing)} differ"
        f"{kept}; the runs' logs are in {work}"
    )
    sys.exit(1 if differing else 0)


if __name__ == "__main__":
    main()
