import cv2
import numpy as np
import pytest

from pyimagesearch.preprocessing import (
    AspectAwarePreprocessor,
    CropPreprocessor,
    ImageToArrayPreprocessor,
    MeanPreprocessor,
    PatchPreprocessor,
    SimplePreprocessor,
)
from pyimagesearch.preprocessing.croppreprocessor import CropPreprocessor as CropByModule


def random_images(n, h, w, c=3, seed=0):
    return np.random.default_rng(seed).integers(0, 256, (n, h, w, c), dtype=np.uint8)


def test_module_paths_match_package_exports():
    assert CropByModule is CropPreprocessor


def test_simple_resizes_ignoring_aspect_ratio():
    image = random_images(1, 30, 50)[0]
    out = SimplePreprocessor(20, 10).preprocess(image)
    assert out.shape == (10, 20, 3) and out.dtype == np.uint8
    assert np.array_equal(out, cv2.resize(image, (20, 10), interpolation=cv2.INTER_AREA))


@pytest.mark.parametrize("cls", [SimplePreprocessor, AspectAwarePreprocessor])
def test_resizers_batch_equals_per_image_and_keep_one_channel(cls):
    images = random_images(4, 30, 50, c=1)
    p = cls(12, 8)
    batch = p.preprocess_batch(images)
    assert batch.shape == (4, 8, 12, 1)
    assert np.array_equal(batch, np.stack([p.preprocess(i) for i in images]))


def test_aspect_aware_landscape_crops_the_centre_columns():
    image = random_images(1, 100, 200)[0]
    out = AspectAwarePreprocessor(50, 50).preprocess(image)
    # height 100 -> 50 makes the image 50x100; dW = 25 keeps columns 25..75.
    expected = cv2.resize(image, (100, 50), interpolation=cv2.INTER_AREA)[:, 25:75]
    assert np.array_equal(out, expected)


def test_aspect_aware_portrait_crops_the_centre_rows():
    image = random_images(1, 90, 30)[0]
    out = AspectAwarePreprocessor(10, 10).preprocess(image)
    # width 30 -> 10 makes the image 30x10; dH = 10 keeps rows 10..20.
    expected = cv2.resize(image, (10, 30), interpolation=cv2.INTER_AREA)[10:20]
    assert np.array_equal(out, expected)


def test_aspect_aware_odd_margin_is_resized_to_the_exact_size():
    image = random_images(1, 60, 81)[0]
    out = AspectAwarePreprocessor(40, 40).preprocess(image)
    resized = cv2.resize(image, (54, 40), interpolation=cv2.INTER_AREA)  # imutils: int(81 * 40/60)
    expected = cv2.resize(resized[:, 7:47], (40, 40), interpolation=cv2.INTER_AREA)
    assert out.shape == (40, 40, 3)
    assert np.array_equal(out, expected)


def test_image_to_array_formats():
    image = random_images(1, 4, 5)[0]
    last = ImageToArrayPreprocessor("channels_last").preprocess(image)
    first = ImageToArrayPreprocessor("channels_first").preprocess(image)
    assert last.dtype == np.float32 and last.shape == (4, 5, 3)
    assert first.shape == (3, 4, 5) and np.array_equal(first[2], image[:, :, 2].astype("float32"))
    batch = ImageToArrayPreprocessor("channels_first").preprocess_batch(random_images(2, 4, 5))
    assert batch.shape == (2, 3, 4, 5) and batch.dtype == np.float32
    with pytest.raises(ValueError, match="dataFormat"):
        ImageToArrayPreprocessor("nchw")


def test_mean_subtracts_b_g_r_from_channels_0_1_2():
    image = np.zeros((2, 3, 3), np.uint8)
    image[..., 0], image[..., 1], image[..., 2] = 10, 20, 30  # B, G, R
    out = MeanPreprocessor(rMean=1.5, gMean=2.0, bMean=3.25).preprocess(image)
    assert out.dtype == np.float32
    assert np.array_equal(out[0, 0], np.array([6.75, 18.0, 28.5], np.float32))
    batch = MeanPreprocessor(1.5, 2.0, 3.25).preprocess_batch(np.stack([image, image]))
    assert batch.shape == (2, 2, 3, 3) and np.array_equal(batch[1], out)


def test_patch_reaches_every_offset_and_only_those():
    h, w = 5, 6
    image = np.arange(h * w, dtype=np.int32).reshape(h, w, 1)
    p = PatchPreprocessor(width=4, height=3, seed=7)
    seen = set()
    for _ in range(600):
        patch = p.preprocess(image)
        y, x = divmod(int(patch[0, 0, 0]), w)
        assert np.array_equal(patch, image[y : y + 3, x : x + 4])
        seen.add((y, x))
    for (patch,) in zip(p.preprocess_batch(np.stack([image] * 600))):
        seen.add(divmod(int(patch[0, 0, 0]), w))
    assert seen == {(y, x) for y in range(h - 3 + 1) for x in range(w - 4 + 1)}


def test_patch_seed_is_reproducible():
    images = random_images(8, 20, 20)
    a = PatchPreprocessor(10, 10, seed=3).preprocess_batch(images)
    b = PatchPreprocessor(10, 10, seed=3).preprocess_batch(images)
    assert np.array_equal(a, b)
    with pytest.raises(ValueError, match="patch"):
        PatchPreprocessor(30, 10).preprocess(images[0])


def test_crop_windows_for_256_to_227_are_the_books():
    windows = CropPreprocessor(227, 227).windows(256, 256)
    assert windows == [
        (0, 0, 227, 227),
        (29, 0, 256, 227),
        (29, 29, 256, 256),
        (0, 29, 227, 256),
        (14, 14, 242, 242),
    ]


def test_crops_in_the_books_order_with_mirrors():
    image = random_images(1, 9, 12, seed=4)[0]
    crops = CropPreprocessor(width=8, height=6).preprocess(image)
    assert crops.shape == (10, 6, 8, 3)
    dW, dH = int(0.5 * (12 - 8)), int(0.5 * (9 - 6))  # 2, 1: centre window is 7x8
    centre = cv2.resize(image[dH : 9 - dH, dW : 12 - dW], (8, 6), interpolation=cv2.INTER_AREA)
    expected = [image[0:6, 0:8], image[0:6, 4:12], image[3:9, 4:12], image[3:9, 0:8], centre]
    expected += [e[:, ::-1] for e in expected]
    for got, want in zip(crops, expected):
        assert np.array_equal(got, want)


def test_crops_without_mirrors_and_in_batches():
    images = random_images(3, 10, 10, seed=5)
    p = CropPreprocessor(7, 7, horiz=False)
    assert p.preprocess(images[0]).shape == (5, 7, 7, 3)
    p = CropPreprocessor(7, 7)
    batch = p.preprocess_batch(images)
    assert batch.shape == (3, 10, 7, 7, 3)
    for image, crops in zip(images, batch):
        assert np.array_equal(crops, p.preprocess(image))


def test_crop_keeps_float_images_and_single_channels():
    image = random_images(1, 9, 9, c=1)[0].astype("float32") - 100.5
    crops = CropPreprocessor(6, 6).preprocess(image)
    assert crops.shape == (10, 6, 6, 1) and crops.dtype == np.float32
    assert np.array_equal(crops[0], image[:6, :6])


@pytest.mark.parametrize(
    "cls", [SimplePreprocessor, AspectAwarePreprocessor, PatchPreprocessor, CropPreprocessor]
)
@pytest.mark.parametrize("width", [0, -3, 2.5, "8"])
def test_sizes_must_be_positive_integers(cls, width):
    with pytest.raises(ValueError, match="width"):
        cls(width, 8)


@pytest.mark.parametrize(
    "shape,size",
    [
        ((5, 256, 256, 3), (227, 227)),
        ((7, 61, 90, 3), (40, 17)),
        ((3, 30, 30, 1), (30, 12)),
        ((130, 20, 24, 3), (7, 9)),
    ],
)
def test_simple_batch_resize_gives_the_same_pixels_as_per_image(shape, size):
    images = random_images(*shape)
    p = SimplePreprocessor(*size)
    batch = p.preprocess_batch(images)
    assert batch.shape == (shape[0], size[1], size[0], shape[3])
    assert np.array_equal(batch, np.stack([p.preprocess(i) for i in images]))
    floats = images.astype("float32") / 3
    assert np.array_equal(p.preprocess_batch(floats), np.stack([p.preprocess(i) for i in floats]))


def test_crops_into_a_reused_buffer():
    images = random_images(4, 10, 10, seed=6)
    p = CropPreprocessor(7, 7)
    out = np.full((4, 10, 7, 7, 3), 99, np.uint8)
    assert p.preprocess_batch(images, out=out) is out
    assert np.array_equal(out, p.preprocess_batch(images))
    with pytest.raises(ValueError, match="out"):
        p.preprocess_batch(images, out=out[:3])


@pytest.mark.parametrize("dtype", ["uint8", "float32", "float64"])
def test_mean_batch_equals_float32_numpy_subtraction(dtype):
    images = random_images(3, 5, 7, seed=2).astype(dtype) * (1.37 if dtype != "uint8" else 1)
    p = MeanPreprocessor(rMean=124.96, gMean=115.97, bMean=106.13)
    expected = images.astype("float32") - np.array([106.13, 115.97, 124.96], "float32")
    assert np.array_equal(p.preprocess_batch(images), expected)
    assert np.array_equal(p.preprocess(images[1]), expected[1])


def test_mean_works_in_a_forked_worker_after_the_parent_used_it():
    import multiprocessing

    big = random_images(8, 256, 256)  # large enough to be split among threads
    p = MeanPreprocessor(1.0, 2.0, 3.0)
    expected = p.preprocess_batch(big)
    with multiprocessing.get_context("fork").Pool(1) as pool:
        got = pool.apply_async(p.preprocess_batch, (big,)).get(timeout=60)
    assert np.array_equal(got, expected)
