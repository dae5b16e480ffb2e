"""Hand-written code against the dependency that could do its job: the
pixel size a photo declares (`io/imageheaders.image_size` against Pillow's
`Image.open(...).size`; Pillow comes with matplotlib), whether a JPEG runs
to its end (`io/imagedecoder.jpeg_is_complete` against Pillow's only way to
tell, decoding it: `Image.open(...).load()` raises on a truncated file),
with OpenCV's decode, which the build does anyway, for scale; and the
confusion matrix (`pipeline/evaluation.confusion_matrix`, now
scikit-learn's, against the `np.add.at` count it replaced). Each is checked
for agreement before it is timed.

    python -m benchmarks.handwritten [--photos FOLDER]

FOLDER: real photos (default ../shared/data/kaggle_sample/train beside the
project); generated ones when it is missing. Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import io
import os
import struct
import warnings

import cv2
import numpy as np
from PIL import Image

from benchmarks.interleave import Ratio, interleaved, rate
from pyimagesearch.io.imagedecoder import jpeg_is_complete
from pyimagesearch.io.imageheaders import image_size
from pyimagesearch.pipeline.evaluation import confusion_matrix

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PHOTOS = os.path.join(ROOT, "..", "shared", "data", "kaggle_sample", "train")


def read_photos(folder):
    """{name: bytes} of the JPEGs of `folder`, or of 500 generated ones."""
    if os.path.isdir(folder):
        names = sorted(n for n in os.listdir(folder) if n.lower().endswith(".jpg"))
        return {n: open(os.path.join(folder, n), "rb").read() for n in names}, folder
    rng = np.random.default_rng(0)
    photos = {}
    for k in range(500):
        (height, width) = rng.integers(200, 500, 2)
        image = rng.integers(0, 256, (height, width, 3), np.uint8)
        photos[f"{k}.jpg"] = cv2.imencode(".jpg", image)[1].tobytes()
    return photos, "500 generated JPEGs"


def other_formats():
    """{format: bytes} of a 300 x 200 picture in each other format
    `image_size` reads (GIF made by Pillow: OpenCV writes none)."""
    image = np.random.default_rng(1).integers(0, 256, (200, 300, 3), np.uint8)
    found = {ext: cv2.imencode(f".{ext}", image)[1].tobytes() for ext in ("png", "bmp", "tif")}
    found["webp"] = cv2.imencode(".webp", image, [cv2.IMWRITE_WEBP_QUALITY, 101])[1].tobytes()
    gif = io.BytesIO()
    Image.fromarray(image).save(gif, "GIF")
    found["gif"] = gif.getvalue()
    return found


def lying_headers(jpeg):
    """{case: bytes}: files whose headers declare a size too large to
    decode: what the size check is for."""
    cases = {}
    patched = bytearray(jpeg)
    sof = next(patched.index(bytes([0xFF, m])) for m in (0xC0, 0xC2) if bytes([0xFF, m]) in patched)
    patched[sof + 5 : sof + 9] = struct.pack(">HH", 60000, 60000)
    cases["JPEG declaring 60,000 x 60,000"] = bytes(patched)
    bmp = struct.pack("<IHHI", 126, 0, 0, 54) + struct.pack("<IiiHH", 40, 100000, 100000, 1, 24)
    cases["BMP declaring 100,000 x 100,000"] = b"BM" + bmp + bytes(72)
    gif = struct.pack("<HH", 65000, 65000)
    cases["GIF declaring 65,000 x 65,000"] = b"GIF89a" + gif + bytes(20)
    return cases


def pillow_size(data):
    """Pillow's (width, height), or the name of what it raised."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            return Image.open(io.BytesIO(data)).size
    except Exception as error:  # noqa: BLE001 (reported, not handled)
        return type(error).__name__


def pillow_complete(data):
    """Whether Pillow decodes `data` without finding it cut short."""
    try:
        Image.open(io.BytesIO(data)).load()
        return True
    except OSError:
        return False


def counted_by_hand(labels, probabilities):
    """The confusion matrix as this project counted it before scikit-learn."""
    classes = probabilities.shape[1]
    counts = np.zeros((classes, classes), dtype=int)
    np.add.at(counts, (labels, probabilities.argmax(axis=1)), 1)
    return counts.tolist()


def timed(function, items):
    """A measure for `interleaved`: `function` over every item, as items/s."""
    return lambda: rate(lambda: [function(data) for data in items], len(items))


def row(what, rates, ours, theirs, unit="photos/s"):
    mine, other = np.median(rates[ours]), np.median(rates[theirs])
    ratio = Ratio(rates[ours], rates[theirs])
    return f"| {what} | {mine:,.0f} {unit} | {other:,.0f} {unit} | {ratio} |"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--photos", default=PHOTOS, help="a folder of JPEG photos")
    args = parser.parse_args(argv)
    (photos, where) = read_photos(args.photos)
    jpegs = list(photos.values())
    print(f"photos: {len(jpegs)} from {where}\n")

    agree = sum(image_size(d) == pillow_size(d) for d in jpegs)
    print(f"header sizes equal to Pillow's: {agree} of {len(jpegs)} JPEGs")
    for fmt, data in other_formats().items():
        print(f"  {fmt}: ours {image_size(data)}, Pillow {pillow_size(data)}")
    for case, data in lying_headers(jpegs[0]).items():
        print(f"  {case}: ours {image_size(data)}, Pillow {pillow_size(data)}")
    cut = [d[: len(d) // 2] for d in jpegs]
    print(
        f"JPEGs cut in half found cut: walker {sum(not jpeg_is_complete(d) for d in cut)}, "
        f"Pillow {sum(not pillow_complete(d) for d in cut)} of {len(cut)}; whole ones found "
        f"whole: walker {sum(map(jpeg_is_complete, jpegs))}, "
        f"Pillow {sum(map(pillow_complete, jpegs))}\n"
    )

    decode = lambda data: cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    rates = interleaved({
        "ours": timed(image_size, jpegs),
        "pillow": timed(pillow_size, jpegs),
        "walker": timed(jpeg_is_complete, jpegs),
        "pillow load": timed(pillow_complete, jpegs),
        "opencv decode": timed(decode, jpegs),
    })  # fmt: skip
    formats = list(other_formats().values())
    format_rates = interleaved({
        "ours": timed(image_size, formats * 200),
        "pillow": timed(pillow_size, formats * 200),
    })  # fmt: skip
    rng = np.random.default_rng(0)
    (labels, probabilities) = (rng.integers(0, 2, 25_000), rng.random((25_000, 2)))
    assert confusion_matrix(labels, probabilities) == counted_by_hand(labels, probabilities)
    count_rates = interleaved({
        "sklearn": lambda: rate(lambda: confusion_matrix(labels, probabilities), 1),
        "by hand": lambda: rate(lambda: counted_by_hand(labels, probabilities), 1),
    })  # fmt: skip
    print("| what | ours | Pillow | ours / Pillow (rounds) |")
    print("|---|---|---|---|")
    print(row("size from the header, JPEG", rates, "ours", "pillow"))
    print(row("size from the header, PNG/BMP/TIFF/WebP/GIF", format_rates, "ours", "pillow",
              "files/s"))  # fmt: skip
    print(row("JPEG complete? (Pillow: decode it)", rates, "walker", "pillow load"))
    print(f"\nOpenCV's decode of the same JPEGs: {np.median(rates['opencv decode']):,.0f} photos/s")
    (sklearn, by_hand) = (1e3 / np.median(count_rates[k]) for k in ("sklearn", "by hand"))
    print(f"confusion matrix of 25,000 rows: scikit-learn {sklearn:.2f} ms, by hand {by_hand:.2f}")


if __name__ == "__main__":
    main()
