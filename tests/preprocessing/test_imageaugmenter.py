"""`preprocessing.imageaugmenter`: each warp, fill mode and random draw is
Keras's ImageDataGenerator's, the NumPy and in-graph paths build the same
maps and images, and bad arguments are refused."""

import cv2
import keras
import numpy as np
import pytest
from keras import ops
from scipy import stats

from pyimagesearch.pipeline.training import AUGMENTATION as BOOK
from pyimagesearch.preprocessing import ImageAugmenter
from pyimagesearch.preprocessing.imageaugmenter import inverse_maps


def smooth_image(size=40, seed=0):
    noise = np.random.default_rng(seed).uniform(0, 255, (size, size, 3)).astype("float32")
    return cv2.GaussianBlur(noise, (7, 7), 3)


def warp(image, theta, tx, ty, shear, zx, zy, flip):
    h, w = image.shape[:2]
    args = [
        np.array([v], "float64")
        for v in (np.deg2rad(theta), tx, ty, np.deg2rad(shear), zx, zy, float(flip))
    ]
    matrix = inverse_maps(np, *args, h, w).reshape(2, 3)
    return cv2.warpAffine(
        image,
        matrix,
        (w, h),
        flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
        borderMode=cv2.BORDER_REPLICATE,
    )


@pytest.mark.parametrize(
    "params",
    [
        dict(theta=12.0, tx=3.0, ty=-5.0, shear=10.0, zx=0.9, zy=1.1, flip_horizontal=True),
        dict(theta=-20.0, tx=-8.0, ty=2.0, shear=0.15, zx=1.15, zy=0.85, flip_horizontal=False),
    ],
)
def test_one_warp_equals_image_data_generator(params):
    from tensorflow.keras.preprocessing.image import ImageDataGenerator

    image = smooth_image()
    expected = ImageDataGenerator(fill_mode="nearest").apply_transform(image, params)
    got = warp(
        image,
        params["theta"],
        params["tx"],
        params["ty"],
        params["shear"],
        params["zx"],
        params["zy"],
        params["flip_horizontal"],
    )
    assert np.abs(got - expected).max() < 1e-3


def test_numpy_and_keras_paths_build_the_same_maps():
    rng = np.random.default_rng(1)
    args = [
        rng.uniform(-0.3, 0.3, 5),
        rng.uniform(-9, 9, 5),
        rng.uniform(-9, 9, 5),
        rng.uniform(-0.1, 0.1, 5),
        rng.uniform(0.85, 1.15, 5),
        rng.uniform(0.85, 1.15, 5),
        (rng.uniform(0, 1, 5) < 0.5).astype("float64"),
    ]
    with_numpy = inverse_maps(np, *args, 30, 50)
    with_ops = inverse_maps(ops, *[ops.convert_to_tensor(a, "float32") for a in args], 30, 50)
    assert np.allclose(with_numpy, ops.convert_to_numpy(with_ops), atol=1e-4)


def test_keras_resampling_matches_opencv():
    image = smooth_image()
    matrix = inverse_maps(
        np, *[np.array([v]) for v in (0.2, 3.0, -2.0, 0.01, 0.9, 1.1, 1.0)], 40, 40
    )
    transform = np.concatenate([matrix, np.zeros((1, 2))], axis=1).astype("float32")
    with_keras = ops.convert_to_numpy(
        ops.image.affine_transform(image[None], transform, fill_mode="nearest")
    )[0]
    with_opencv = warp(image, np.rad2deg(0.2), 3.0, -2.0, np.rad2deg(0.01), 0.9, 1.1, True)
    assert np.abs(with_keras - with_opencv).max() < 0.05


def test_zero_ranges_leave_images_unchanged():
    images = np.random.default_rng(0).integers(0, 256, (3, 16, 20, 3), dtype=np.uint8)
    out = ImageAugmenter()(images)
    assert out.dtype == np.uint8 and np.array_equal(out, images)


def test_flip_only_gives_the_image_or_its_mirror():
    images = np.random.default_rng(0).integers(0, 256, (64, 8, 9, 3), dtype=np.uint8)
    out = ImageAugmenter(horizontal_flip=True, seed=3)(images)
    flipped = [np.array_equal(o, i[:, ::-1]) for o, i in zip(out, images)]
    kept = [np.array_equal(o, i) for o, i in zip(out, images)]
    assert all(f or k for f, k in zip(flipped, kept))
    assert 10 < sum(flipped) < 54


def test_numpy_path_is_seeded_and_keeps_shape_and_dtype():
    images = np.random.default_rng(0).uniform(-100, 100, (4, 24, 24, 3)).astype("float32")
    a = ImageAugmenter(**BOOK, seed=5)(images)
    b = ImageAugmenter(**BOOK, seed=5)(images)
    assert a.shape == images.shape and a.dtype == np.float32
    assert np.array_equal(a, b) and not np.array_equal(a, images)


def test_layer_augments_in_training_only_and_saves(tmp_path):
    inputs = keras.Input((24, 24, 3))
    model = keras.Model(inputs, ImageAugmenter(**BOOK, seed=2)(inputs))
    images = np.random.default_rng(0).uniform(0, 255, (4, 24, 24, 3)).astype("float32")
    assert np.array_equal(model.predict(images, verbose=0), images)
    trained = ops.convert_to_numpy(model(images, training=True))
    assert trained.shape == images.shape and not np.allclose(trained, images)
    path = str(tmp_path / "aug.keras")
    model.save(path)
    loaded = keras.models.load_model(path)
    config = loaded.layers[1].get_config()
    assert config["rotation_range"] == 20 and config["shear_range"] == 0.15


@pytest.mark.parametrize(
    "kwargs",
    [
        dict(fill_mode="mirror"),
        dict(zoom_range=1.5),
        dict(zoom_range=[1.2, 0.8]),
        dict(rotation_range=-1),
    ],
)
def test_bad_arguments_are_refused(kwargs):
    with pytest.raises(ValueError):
        ImageAugmenter(**kwargs)


def legacy_draws(count, shape, **options):
    from keras.src.legacy.preprocessing.image import ImageDataGenerator

    generator = ImageDataGenerator(**options)
    np.random.seed(0)
    draws = [generator.get_random_transform(shape) for _ in range(count)]
    return {key: np.array([d[key] for d in draws], dtype="float64") for key in draws[0]}


def our_draws(count, shape, **options):
    augmenter = ImageAugmenter(**options)
    rng = np.random.default_rng(1)
    return augmenter.draw_parameters(
        count,
        shape[0],
        shape[1],
        lambda low, high: rng.uniform(low, high, count),
        lambda values: rng.choice(values, count),
    )


@pytest.mark.parametrize(
    "options",
    [
        dict(
            rotation_range=20,
            zoom_range=0.15,
            width_shift_range=0.2,
            height_shift_range=0.2,
            shear_range=0.15,
            horizontal_flip=True,
        ),
        dict(width_shift_range=5, height_shift_range=3, zoom_range=[1.0, 1.5]),
        dict(width_shift_range=[2, 7, 11], height_shift_range=(0.1, 0.25)),
        dict(width_shift_range=2.5, rotation_range=90, zoom_range=[0.5, 1.0]),
    ],
)
def test_random_parameters_are_drawn_as_image_data_generator_draws_them(options):
    """Our horizontal shift (tx) is drawn as Keras draws for width_shift_range,
    which it names ty; our vertical shift likewise for height_shift_range.
    Degrees stay degrees; fractions are scaled by the size of their axis."""
    shape = (40, 40, 3)  # square: Keras scales each range by the other axis
    count = 4000
    legacy = legacy_draws(count, shape, **options)
    ours = our_draws(count, shape, **options)
    pairs = {
        "theta": "theta",
        "shear": "shear",
        "zx": "zx",
        "zy": "zy",
        "flip": "flip_horizontal",
        "tx": "ty",
        "ty": "tx",
    }
    for mine, theirs in pairs.items():
        a, b = np.asarray(ours[mine], "float64"), legacy[theirs]
        if np.all(a == a[0]) or np.all(b == b[0]):
            assert np.allclose(a, b[0]) and np.allclose(b, b[0]), mine
            continue
        if len(np.unique(b)) < 30:  # a discrete draw: the same values, similar frequencies
            assert set(np.unique(a)) == set(np.unique(b)), mine
            table = np.array([[np.sum(a == v), np.sum(b == v)] for v in np.unique(b)])
            assert stats.chi2_contingency(table).pvalue > 1e-3, mine
        else:
            assert stats.ks_2samp(a, b).pvalue > 1e-3, mine
            assert abs(a.min() - b.min()) < 0.05 * np.ptp(b) and abs(
                a.max() - b.max()
            ) < 0.05 * np.ptp(b), mine


def test_integer_shifts_are_whole_pixels_from_choice_n():
    draws = our_draws(3000, (30, 30, 3), width_shift_range=4)
    assert set(np.unique(draws["tx"])) == {-3.0, -2.0, -1.0, 0.0, 1.0, 2.0, 3.0}


@pytest.mark.parametrize("fill_mode", ["nearest", "constant", "reflect", "wrap"])
def test_every_fill_mode_matches_image_data_generator(fill_mode):
    from keras.src.legacy.preprocessing.image import ImageDataGenerator

    # square: Keras centres non-square images off by the difference of the sides
    noise = np.random.default_rng(0).uniform(0, 255, (32, 32, 3)).astype("float32")
    image = cv2.GaussianBlur(noise, (5, 5), 2)
    params = dict(theta=25.0, tx=6.0, ty=-4.0, shear=12.0, zx=1.3, zy=0.8, flip_horizontal=True)
    expected = ImageDataGenerator(fill_mode=fill_mode, cval=9.0).apply_transform(image, params)
    augmenter = ImageAugmenter(fill_mode=fill_mode, cval=9.0)
    # Keras's tx is its horizontal shift; ours too
    ours = {k: np.array([float(v)]) for k, v in params.items()}
    ours["flip"] = ours.pop("flip_horizontal")
    matrix = augmenter.maps(ours, 32, 32).reshape(2, 3)
    got = augmenter._warp(image, matrix)
    assert np.abs(got - expected).max() < 1e-2


def test_in_graph_augmentation_matches_the_numpy_path_for_fixed_parameters():
    from pyimagesearch.preprocessing import ImageAugmenter

    noise = np.random.default_rng(0).uniform(0, 255, (24, 24, 3)).astype("float32")
    image = cv2.GaussianBlur(noise, (5, 5), 2)
    for fill_mode in ("nearest", "reflect"):
        augmenter = ImageAugmenter(fill_mode=fill_mode)
        parameters = {
            k: np.array([v])
            for k, v in dict(
                theta=15.0, tx=2.0, ty=-3.0, shear=8.0, zx=1.1, zy=0.9, flip=1.0
            ).items()
        }
        maps = augmenter.maps(parameters, 24, 24)
        numpy_path = augmenter._warp(image, maps.reshape(2, 3))
        transform = np.concatenate([maps, np.zeros((1, 2))], axis=1).astype("float32")
        graph_path = ops.convert_to_numpy(
            ops.image.affine_transform(image[None], transform, fill_mode=fill_mode)
        )[0]
        assert np.abs(graph_path - numpy_path).max() < 0.05
