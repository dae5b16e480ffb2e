"""`nn.modelfiles`: .keras files load in safe mode; a missing file, one that
is no Keras model, or one declaring a huge configuration is refused in one
line without being read."""

import pytest

from conftest import call_main
from dogs_vs_cats import crop_accuracy
from helpers import one_line_error, read_sizes


def test_a_keras_file_declaring_a_huge_configuration_is_refused_unread(tmp_path, monkeypatch):
    import zipfile

    from pyimagesearch.nn.modelfiles import load_model

    path = tmp_path / "model.keras"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("config.json", b" " * (32 * 2**20))  # 32 MB declared, 32 KB stored
        archive.writestr("metadata.json", b"{}")
    sizes = read_sizes(monkeypatch)
    with pytest.raises(ValueError, match="config.json declares 33554432 bytes"):
        load_model(path)
    assert sizes == []


def test_model_missing_or_not_a_keras_model(built, tmp_path, capsys):
    args = ["--test", built["test"], "--mean", built["mean"]]
    code, _, err = call_main(crop_accuracy, args + ["--model", tmp_path / "no.keras"], capsys)
    one_line_error(code, err, "no.keras does not exist")
    (tmp_path / "fake.keras").write_text("not a model")
    code, _, err = call_main(crop_accuracy, args + ["--model", tmp_path / "fake.keras"], capsys)
    one_line_error(code, err, "fake.keras is not a Keras 3 .keras model file")


def test_keras_files_load_in_safe_mode(tmp_path):
    import keras

    from pyimagesearch.nn.modelfiles import load_model

    inputs = keras.Input((2,))
    model = keras.Model(inputs, keras.layers.Lambda(lambda x: x * 2)(inputs))
    model.save(tmp_path / "lambda.keras")
    with pytest.raises(ValueError, match="lambda.keras could not be loaded.*safe_mode"):
        load_model(str(tmp_path / "lambda.keras"))
