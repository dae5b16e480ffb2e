"""`nn.devicerows`: the split held on the device gathers the asked rows and
is not saved with the model, and a model file declaring a huge device cache
is refused before anything is allocated."""

import zipfile

import keras
import numpy as np
import pytest

from conftest import call_main
from dogs_vs_cats import predict
from helpers import one_line_error, predict_args


def test_a_model_declaring_a_device_cache_is_refused_before_allocating(sample, tmp_path, capsys):
    """A 16 KB .keras whose DeviceRows declared [12000, 256, 256, 3] made
    predict.py allocate 3 GB before refusing it."""
    import keras

    from pyimagesearch.nn.devicerows import DeviceRows

    small = tmp_path / "small.keras"
    model = keras.Sequential([keras.Input((1,), dtype="int32"),
                              DeviceRows(np.zeros((2, 12, 12, 3), np.uint8))])  # fmt: skip
    model.save(small)
    lying = tmp_path / "lying.keras"
    with zipfile.ZipFile(small) as source, zipfile.ZipFile(lying, "w") as target:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == "config.json":
                data = data.replace(b"[2, 12, 12, 3]", b"[12000, 256, 256, 3]")
                assert b"12000" in data
            target.writestr(item, data)
    mean = tmp_path / "mean.json"
    mean.write_text('{"R": 1.0, "G": 2.0, "B": 3.0}')
    argv = predict_args(sample["test"], lying, mean, tmp_path / "s.csv")
    (code, _, err) = call_main(predict, argv, capsys)
    one_line_error(code, err, lying, "holds a training split (DeviceRows)")
    assert not (tmp_path / "s.csv").exists()


def test_device_rows_gather_and_are_not_saved(tmp_path):
    from pyimagesearch.nn.devicerows import DeviceRows
    from pyimagesearch.nn.modelfiles import load_model

    rows = np.random.default_rng(0).integers(0, 256, (200, 32, 32, 3), dtype=np.uint8)
    model = keras.Sequential([keras.Input((1,), dtype="int32"), DeviceRows(rows)])
    assert np.array_equal(model.predict(np.array([[4], [17]]), verbose=0), rows[[4, 17]])
    model.save(tmp_path / "m.keras")
    assert (tmp_path / "m.keras").stat().st_size < rows.nbytes  # the data is not in the file
    loaded = load_model(str(tmp_path / "m.keras"), training=True)
    loaded.layers[0].assign(rows)
    assert np.array_equal(loaded.predict(np.array([[3]]), verbose=0), rows[[3]])
    with pytest.raises(ValueError, match="expected uint8 rows of shape"):
        loaded.layers[0].assign(rows[:5])
