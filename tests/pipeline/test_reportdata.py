"""`pipeline.reportdata`, the files the report reads, directly: a held-out
photo is opened by its real name (bytes that are no UTF-8 included), never
by the printable one the record shows, and the versions shown are those of
the distributions that installed each module. The page drawn from them is
tested in test_report.py."""

import os


def test_a_photo_is_opened_by_its_real_name_not_by_its_recorded_one(tmp_path):
    """A folder named with the byte 0xe9 and one named with the characters
    "\\xe9": the page showed the second's photo under the first's name."""
    import cv2
    import numpy as np

    from pyimagesearch.pipeline.reportdata import photo, training_photos
    from pyimagesearch.utils.files import printable

    train = tmp_path / "train"
    byte = os.fsdecode(os.path.join(os.fsencode(train), b"caf\xe9"))
    for folder, value in ((byte, 40), (str(train / "caf\\xe9"), 200)):
        os.makedirs(folder)
        with open(os.path.join(folder, "cat.1.png"), "wb") as f:  # cv2 takes no such path
            f.write(cv2.imencode(".png", np.full((8, 8, 3), value, np.uint8))[1].tobytes())
    photos = training_photos(str(train))
    for name, value in (("caf\udce9/cat.1.png", 40), ("caf\\xe9/cat.1.png", 200)):
        assert photo(photos, printable(name)).mean() == value


def test_the_versions_shown_are_the_installed_distributions_of_each_module():
    """Each module that decides a run's numbers is shown under the
    distribution that installed it: tensorflow-cpu and
    opencv-python-headless were left out, unsaid, when the names were
    looked up as "tensorflow" and "opencv-python"."""
    import importlib.util
    from importlib import metadata

    from pyimagesearch.pipeline.reportdata import VERSIONED, package_versions

    shown = dict(package_versions())
    assert shown["python"]
    for module in VERSIONED:
        if importlib.util.find_spec(module) is None:
            continue
        for distribution in metadata.packages_distributions()[module]:
            assert shown[metadata.metadata(distribution)["Name"]] == metadata.version(distribution)
    assert any(name.startswith("opencv") for name in shown)  # a dependency, whichever wheel
