"""`io.imageheaders`: the size of an image of every format is read from its
header, without decoding it."""

from helpers import huge_headers


def test_header_sizes_of_every_format_are_read_without_decoding():
    from pyimagesearch.io.imageheaders import image_size

    sizes = {name: image_size(data) for name, data in huge_headers().items()}
    assert sizes == {
        "cat.800.png": (30000, 30000),
        "dog.801.bmp": (100000, 100000),
        "cat.802.jpg": (60000, 60000),
        "dog.803.gif": (65000, 65000),
        "cat.804.tif": (200000, 200000),
        "dog.805.webp": (16384, 16384),
    }
