"""The feature extractors (`nn.backbones`): the size the photos are seen at,
the mirrored pass, and what the features file and the classifier record of
them; backbone and weights mistakes, ImageNet weights offline, and a model
file's input size bounded as the size flags are."""

import os

import h5py
import keras
import numpy as np
import pytest

from conftest import ROOT, call_main
from dogs_vs_cats import crop_accuracy, extract_features
from helpers import one_line_error
from pyimagesearch.errors import ArgumentError
from pyimagesearch.nn.backbones import FeatureExtractor, application_extractor, native_size

WEIGHTS = os.path.join(
    ROOT, "..", "shared", "data", "weights",
    "mobilenet_v2_1.0_224_imagenet_no_top.weights.h5",
)  # fmt: skip


def column_sums():
    """A model whose features say where the image's bright pixels are: the
    sum of each column of the first channel, so a mirror reverses them."""
    inputs = keras.Input((4, 4, 3))
    outputs = keras.layers.Lambda(lambda x: keras.ops.sum(x[..., 0], axis=1))(inputs)
    return keras.Model(inputs, outputs)


def test_flip_averages_each_image_with_its_left_right_mirror():
    images = np.random.default_rng(0).uniform(0, 255, (3, 4, 4, 3)).astype("float32")
    plain = FeatureExtractor(column_sums(), 4, lambda batch: batch, "sums")
    flipped = FeatureExtractor(column_sums(), 4, lambda batch: batch, "sums", flip=True)
    own = images[..., 0].sum(axis=1)
    assert np.allclose(plain.extract(images), own, rtol=1e-6)
    assert np.allclose(flipped.extract(images), (own + own[:, ::-1]) / 2, rtol=1e-6)
    with pytest.raises(ValueError, match="kind 'other'"):
        FeatureExtractor(column_sums(), 4, lambda batch: batch, "sums", kind="other")


def test_feature_size_sets_the_network_input_and_the_resizer():
    extractor = application_extractor("mobilenet_v2", "none", featureSize=96, flip=True)
    assert extractor.model.input_shape == (None, 96, 96, 3) and extractor.inputSize == 96
    resizer = extractor.resizer
    assert (resizer.width, resizer.height) == (96, 96)
    assert extractor.flip and extractor.kind == "keras.applications"
    assert extractor.extract(np.zeros((2, 96, 96, 3), "uint8")).shape == (2, 1280)
    assert native_size("mobilenet_v2") == 224 and native_size("inception_v3") == 299
    with pytest.raises(ArgumentError, match="under 32"):
        application_extractor("mobilenet_v2", "none", featureSize=16)


@pytest.mark.skipif(not os.path.isfile(WEIGHTS), reason="no ImageNet weights in ../shared")
def test_imagenet_weights_load_at_a_size_other_than_their_own():
    """The weights file is of the 224-pixel network without its top: every
    weight is a convolution's, so it loads at 288 too, to the same values."""
    at224 = application_extractor("mobilenet_v2", WEIGHTS)
    at288 = application_extractor("mobilenet_v2", WEIGHTS, featureSize=288)
    for a, b in zip(at224.model.weights, at288.model.weights):
        assert np.array_equal(keras.ops.convert_to_numpy(a), keras.ops.convert_to_numpy(b))


# Keras warns as it skips the layers a foreign weights file lacks, before it fails.
@pytest.mark.filterwarnings("ignore:Skipping nested container")
def test_backbone_and_weights_mistakes(sample, tmp_path, capsys):
    args = ["--dataset", sample["train"], "--output", tmp_path / "f.hdf5"]
    code, _, err = call_main(extract_features, args + ["--backbone", "alexnet9"], capsys)
    one_line_error(code, err, "--backbone: 'alexnet9'", "mobilenetv2")
    code, _, err = call_main(
        extract_features,
        args + ["--backbone", "mobilenet_v2", "--weights", tmp_path / "missing.weights.h5"],
        capsys,
    )
    one_line_error(code, err, "missing.weights.h5")
    with h5py.File(tmp_path / "other.weights.h5", "w") as f:
        f["x"] = np.zeros(3)
    code, _, err = call_main(
        extract_features,
        args + ["--backbone", "mobilenet_v2", "--weights", tmp_path / "other.weights.h5"],
        capsys,
    )
    one_line_error(code, err, "other.weights.h5 does not fit MobileNetV2")
    assert not (tmp_path / "f.hdf5").exists()


def test_imagenet_weights_offline_say_to_pass_a_path(monkeypatch, sample, tmp_path, capsys):
    import keras

    def no_network(*args, **kwargs):
        raise Exception("URL fetch failure on https://storage.googleapis.com/...: None")

    monkeypatch.setattr(keras.utils, "get_file", no_network)
    monkeypatch.setattr("keras.src.applications.mobilenet_v2.file_utils.get_file", no_network)
    code, _, err = call_main(
        extract_features,
        [
            "--dataset",
            sample["train"],
            "--output",
            tmp_path / "f.hdf5",
            "--backbone",
            "mobilenet_v2",
            "--weights",
            "imagenet",
        ],
        capsys,
    )
    one_line_error(
        code,
        err,
        "could not download the ImageNet weights of MobileNetV2",
        "--weights: could not download",
    )


def test_a_model_of_no_fixed_input_size_is_refused(built, sample, tmp_path, capsys):
    """A model taking (None, None, 3) inputs gave "int() ... NoneType"."""
    from pyimagesearch.nn.modelfiles import save_model

    model = keras.Sequential([keras.Input((None, None, 3)), keras.layers.GlobalAveragePooling2D(),
                              keras.layers.Dense(2, activation="softmax")])  # fmt: skip
    save_model(model, str(tmp_path / "any.keras"), ["cat", "dog"])
    argv = ["--test", built["test"], "--mean", built["mean"], "--model", tmp_path / "any.keras"]
    (code, _, err) = call_main(crop_accuracy, argv, capsys)
    one_line_error(code, err, tmp_path / "any.keras", "of a fixed height and width")


def test_a_model_files_input_size_is_bounded_as_the_size_flags_are():
    """A .keras backbone declaring a 50,000-pixel input once asked OpenCV for
    7.5 GB a photo (a traceback); a deployable model's resize likewise."""
    import keras

    from pyimagesearch.nn.backbones import model_input_size
    from pyimagesearch.pipeline.deploy import NETWORK, RESIZE, check_deployable
    from pyimagesearch.preprocessing.photoresize import PhotoResize

    for shape, problem in (((4096, 4096, 3), "its input side: 4096 is not from 1 to 2048"),
                           ((None, None, 3), "its input side: None is not an integer"),
                           ((64, 32, 3), "not square photos")):  # fmt: skip
        inputs = keras.Input(shape)
        model = keras.Model(inputs, keras.layers.GlobalAveragePooling2D()(inputs))
        with pytest.raises(ValueError, match=f"m.keras.*{problem}"):
            model_input_size(model, "m.keras")
    assert model_input_size(keras.Model(inputs := keras.Input((64, 64, 3)), inputs), "m") == 64
    photos = keras.Input((None, None, 3), dtype="uint8")
    inner = keras.Input((5000, 5000, 3))
    network = keras.Model(inner, keras.layers.GlobalAveragePooling2D()(inner), name=NETWORK)
    deployable = keras.Model(photos, network(PhotoResize(5000, 5000, name=RESIZE)(photos)))
    with pytest.raises(ValueError, match="d.keras: its 'resize' layer's width: 5000 is not from"):
        check_deployable(deployable, "d.keras")
