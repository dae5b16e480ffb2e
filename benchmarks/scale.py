"""Does the build's cost grow linearly with the photos? Listing and
building 1,000, 5,000 and 25,000 generated photos, from a folder and from
a .zip, in one run: the cost per photo at each size, and its ratio to the
1,000-photo cost (target: within 20%).

    python -m benchmarks.scale        (make bench runs it too)

The photos are copies, under Kaggle's names, of 300 generated pictures
(hard links in the folder, stored members in the zip), so that generating
them costs little; they are built at 64 x 64, so that what grows with the
count -- listing, naming, splitting, writing -- is not hidden behind
decoding and resizing.
"""

import argparse
import json
import os
import shutil
import tempfile
import time
import zipfile

SIZES = (1000, 5000, 25000)


def make_photos(workdir, count, pool):
    """(folder, zip) of `count` photos named cat.N.jpg / dog.N.jpg, copies
    of the files in `pool`."""
    sources = sorted(os.listdir(pool))
    folder = os.path.join(workdir, f"photos_{count}")
    os.makedirs(folder)
    archive = os.path.join(workdir, f"photos_{count}.zip")
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_STORED) as zipped:
        for i in range(count):
            source = os.path.join(pool, sources[i % len(sources)])
            name = f"{('cat', 'dog')[i % 2]}.{i}.jpg"
            os.link(source, os.path.join(folder, name))
            zipped.write(source, name)
    return folder, archive


def seconds(function):
    start = time.perf_counter()
    function()
    return time.perf_counter() - start


def measure(workdir, source, count):
    """(seconds to list `source`, seconds to build it) at 64 x 64."""
    from pyimagesearch.io.imagefiles import labelled_image_files
    from pyimagesearch.pipeline.build import build_dataset

    out = os.path.join(workdir, "out")
    shutil.rmtree(out, ignore_errors=True)
    listing = seconds(lambda: labelled_image_files(source))
    held = count // 10
    build = seconds(
        lambda: build_dataset(
            source,
            out,
            os.path.join(out, "mean.json"),
            {"val": held, "test": held},
            size=64,
            workers=2,
        )  # fmt: skip
    )
    return listing, build


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--output",
        default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "results", "scale.json"),
    )
    args = parser.parse_args()
    from pyimagesearch.datasets.synthetic import make_sample

    workdir = tempfile.mkdtemp(prefix="scale-")
    results = {}
    try:
        (pool, _) = make_sample(os.path.join(workdir, "pool"), per_class=150, test_images=1)
        for count in SIZES:
            (folder, archive) = make_photos(workdir, count, pool)
            for kind, source in (("folder", folder), ("zip", archive)):
                if count == SIZES[0]:
                    measure(workdir, source, count)  # warm-up: imports, file cache
                (listing, build) = measure(workdir, source, count)
                results.setdefault(kind, {})[count] = {"list_s": listing, "build_s": build}
            shutil.rmtree(folder)
            os.remove(archive)
        for kind, rows in results.items():
            base = rows[SIZES[0]]["build_s"] / SIZES[0]
            for count, row in rows.items():
                perPhoto = row["build_s"] / count
                row["build_ms_per_photo"] = 1000 * perPhoto
                row["ratio_to_1000"] = perPhoto / base
                print(
                    f"{kind:<6} {count:>6} photos: list {row['list_s']:7.2f} s, build "
                    f"{row['build_s']:7.2f} s = {1000 * perPhoto:.3f} ms/photo, "
                    f"x{perPhoto / base:.2f} the 1,000-photo cost (target <= x1.20)",
                    flush=True,
                )
        os.makedirs(os.path.dirname(args.output), exist_ok=True)
        with open(args.output, "w") as f:
            json.dump(results, f, indent=2)
        print(f"[INFO] written to {args.output}")
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
