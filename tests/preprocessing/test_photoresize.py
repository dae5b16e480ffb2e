"""`preprocessing.photoresize.PhotoResize`, the deployable model's resize:
`SimplePreprocessor` and `AspectAwarePreprocessor` as a Keras layer, equal
to OpenCV's INTER_AREA pixel for pixel on every path it takes on uint8
photos (whole blocks, fractions, enlarging, one axis of each, the book's
shorter side and centre crop)."""

import cv2
import numpy as np
import pytest

# (height, width) of a photo -> (size, aspectAware): every path OpenCV's
# INTER_AREA takes on uint8 photos
RESIZES = [
    ((128, 128), (64, False)),  # 2 x 2 blocks: rounded half up
    ((192, 256), (64, False)),  # 3 x 4 blocks
    ((477, 248), (200, False)),  # shrinking by fractions
    ((90, 70), (64, False)),
    ((40, 50), (64, False)),  # enlarging: fixed-point interpolation
    ((136, 392), (288, False)),  # one axis shrinks, the other grows
    ((300, 160), (72, True)),  # the book's resize: shorter side, centre crop
    ((160, 300), (72, True)),
    ((50, 120), (72, True)),
    ((256, 256), (256, True)),
]


@pytest.mark.parametrize("shape,resize", RESIZES)
def test_photo_resize_is_opencvs_pixel_for_pixel(shape, resize):
    from pyimagesearch.preprocessing import AspectAwarePreprocessor, SimplePreprocessor
    from pyimagesearch.preprocessing.photoresize import PhotoResize

    (size, aspectAware) = resize
    rng = np.random.default_rng(sum(shape))
    photo = cv2.GaussianBlur(rng.integers(0, 256, (*shape, 3)).astype(np.uint8), (5, 5), 0)
    book = (AspectAwarePreprocessor if aspectAware else SimplePreprocessor)(size, size)
    expected = book.preprocess(photo).astype(np.float32)
    resized = np.asarray(PhotoResize(size, size, aspectAware)(photo[None]))[0]
    assert resized.shape == expected.shape
    np.testing.assert_array_equal(resized, expected)
