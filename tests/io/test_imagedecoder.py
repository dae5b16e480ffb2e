"""`io.imagedecoder`: a JPEG with trailing data is complete and a cut one is
not, and an image whose header declares too many pixels is skipped before it
is decoded, wherever photos are decoded."""

import json
import os

import cv2
import numpy as np

from conftest import build_args, call_main
from dogs_vs_cats import build_dogs_vs_cats, predict
from helpers import huge_headers


def test_oversized_images_are_skipped_before_decoding_everywhere(sample, tmp_path, capsys):
    from pyimagesearch.io.imagedecoder import decode_image

    photos = tmp_path / "photos"
    photos.mkdir()
    for name in os.listdir(sample["train"]):
        os.link(os.path.join(sample["train"], name), photos / name)
    for name, data in huge_headers().items():
        (photos / name).write_bytes(data)
        assert decode_image(data).startswith("too large")
    code, out, err = call_main(build_dogs_vs_cats, build_args(photos, tmp_path), capsys)
    assert code == 0, err
    report = json.loads((tmp_path / "hdf5" / "build_record.json").read_text())
    reasons = {item["file"]: item["reason"] for item in report["skipped"]}
    assert all(reasons[name].startswith("too large") for name in huge_headers())
    code, _, err = call_main(
        build_dogs_vs_cats, build_args(photos, tmp_path / "small", "--max-pixels", 50 * 50), capsys
    )
    assert code == 2 and "usable photos" in err  # the limit is the user's to set

    tests = tmp_path / "test"
    tests.mkdir()
    (tests / "1.jpg").write_bytes(huge_headers()["cat.802.jpg"])
    os.link(os.path.join(sample["test"], "2.jpg"), tests / "2.jpg")
    from helpers import flat_model

    flat_model(tmp_path / "flat.keras")
    code, out, err = call_main(
        predict,
        [
            "--images",
            tests,
            "--model",
            tmp_path / "flat.keras",
            "--mean",
            tmp_path / "mean.json",
            "--size",
            16,
            "--output",
            tmp_path / "s.csv",
        ],
        capsys,
    )
    assert code == 0, err
    assert (tmp_path / "s.csv").read_text().splitlines()[1] == "1,0.500000"
    assert "1.jpg: too large" in out


def test_jpeg_with_trailing_data_is_complete_and_a_cut_one_is_not():
    from pyimagesearch.io.imagedecoder import decode_image

    image = np.random.default_rng(0).integers(0, 255, (64, 80, 3), dtype=np.uint8)
    data = cv2.imencode(".jpg", image)[1].tobytes()
    decoded = decode_image(data + b"\x00" * 4096 + b"maker notes")  # appended by a phone
    assert isinstance(decoded, np.ndarray) and decoded.shape == (64, 80, 3)
    assert decode_image(data[:-2]) == "truncated JPEG"
    assert decode_image(data[: len(data) // 2]) == "truncated JPEG"
    # a cut photo whose EXIF thumbnail still ends with its own end marker
    thumbnail = cv2.imencode(".jpg", image[:8, :8])[1].tobytes()
    app1 = b"\xff\xe1" + (len(thumbnail) + 2).to_bytes(2, "big") + thumbnail
    with_thumbnail = data[:2] + app1 + data[2:]
    assert isinstance(decode_image(with_thumbnail), np.ndarray)
    assert decode_image(with_thumbnail[: len(with_thumbnail) - 200]) == "truncated JPEG"
