"""Uses the library documents beyond what the scripts exercise, each pinned
by a test that fails on the bug it targets."""

import os

import cv2
import numpy as np
import pytest
from scipy import stats

from conftest import call_main
from pyimagesearch.preprocessing import CropPreprocessor, ImageAugmenter
from pyimagesearch.utils import rank5_accuracy


def test_rank5_reads_n_by_1_integer_labels_as_labels():
    preds = np.array([[0.1, 0.7, 0.2], [0.6, 0.3, 0.1], [0.2, 0.2, 0.6], [0.5, 0.4, 0.1]])
    labels = np.array([[1], [0], [2], [1]])  # as keras.datasets.cifar10 gives them
    assert rank5_accuracy(preds, labels) == (0.75, 1.0)
    assert rank5_accuracy(preds, labels[:, 0]) == (0.75, 1.0)
    assert rank5_accuracy(preds, np.eye(3)[labels[:, 0]]) == (0.75, 1.0)


def test_rank5_ranks_ties_by_class_index():
    preds = np.zeros((2, 7))
    preds[1, 6] = 1.0
    # all equal: classes 0..4 are the top five
    assert rank5_accuracy(preds[:1], [0]) == (1.0, 1.0)
    assert rank5_accuracy(preds[:1], [4]) == (0.0, 1.0)
    assert rank5_accuracy(preds[:1], [5]) == (0.0, 0.0)
    # class 6 first, then 0..3
    assert rank5_accuracy(preds[1:], [3]) == (0.0, 1.0)
    assert rank5_accuracy(preds[1:], [4]) == (0.0, 0.0)


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


def test_crop_preprocessor_crops_2d_grayscale_images():
    image = np.arange(12 * 16, dtype=np.uint8).reshape(12, 16)
    crops = CropPreprocessor(10, 8).preprocess(image)
    assert crops.shape == (10, 8, 10)
    assert np.array_equal(crops[0], image[:8, :10]) and np.array_equal(crops[2], image[4:, 6:])
    assert np.array_equal(crops[5], image[:8, :10][:, ::-1])


def test_jpeg_with_trailing_data_is_complete_and_a_cut_one_is_not():
    from pyimagesearch.io.imagefiles import decode_image

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


def test_epoch_checkpoint_counts_from_start_at_as_the_book_resumes(tmp_path):
    import keras

    from pyimagesearch.callbacks import EpochCheckpoint, latest_checkpoint

    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    model.compile("sgd", "mse")
    x, y = np.zeros((4, 2)), np.zeros((4, 1))
    model.fit(x, y, epochs=2, verbose=0, callbacks=[EpochCheckpoint(str(tmp_path), startAt=10)])
    assert latest_checkpoint(str(tmp_path))[1] == 12  # the book: fit again, startAt=done
    model.fit(
        x,
        y,
        epochs=14,
        initial_epoch=12,
        verbose=0,
        callbacks=[EpochCheckpoint(str(tmp_path), startAt=12)],
    )
    assert latest_checkpoint(str(tmp_path))[1] == 14  # ours: initial_epoch too
    assert len(os.listdir(tmp_path)) == 1


def test_train_model_refuses_a_pickle_path(tmp_path, capsys):
    from dogs_vs_cats import train_model

    code, _, err = call_main(
        train_model,
        ["--db", tmp_path / "f.hdf5", "--model", tmp_path / "dogs_vs_cats.pickle"],
        capsys,
    )
    assert code == 2 and "--classifier: " in err and "JSON, not pickle" in err
    assert not (tmp_path / "dogs_vs_cats.pickle").exists()


def test_library_errors_name_no_command_line_flag():
    root = os.path.join(
        os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "pyimagesearch"
    )
    for folder, _, files in os.walk(root):
        for name in files:
            if name.endswith(".py"):
                text = open(os.path.join(folder, name)).read()
                for flag in (
                    "--force",
                    "--weights",
                    "--backbone",
                    "--resume",
                    "--layer",
                    "--mean",
                    "--model",
                    "--size",
                    "--epochs",
                ):
                    assert f"{flag} " not in text and f"{flag}:" not in text, (name, flag)
