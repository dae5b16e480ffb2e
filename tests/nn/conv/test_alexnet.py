"""`nn.conv.alexnet`: the book's AlexNet has the book's parameter counts and
honours channels-first input."""

import keras
import numpy as np
import pytest

from pyimagesearch.nn.conv import AlexNet


def count(weights):
    return int(sum(np.prod(w.shape) for w in weights))


def test_alexnet_has_the_books_parameter_counts():
    model = AlexNet.build(227, 227, 3, 2)
    assert model.count_params() == 58_327_810
    assert count(model.trainable_weights) == 58_308_674
    kinds = [type(layer).__name__ for layer in model.layers]
    assert kinds.count("Conv2D") == 5 and kinds.count("Dense") == 3
    assert kinds.count("BatchNormalization") == 7 and kinds.count("MaxPooling2D") == 3
    assert [layer.rate for layer in model.layers if type(layer).__name__ == "Dropout"] == [
        0.25,
        0.25,
        0.25,
        0.5,
        0.5,
    ]
    assert model.output_shape == (None, 2)
    for layer in model.layers:
        if hasattr(layer, "kernel"):
            assert layer.kernel_regularizer.l2 == pytest.approx(0.0002)


def test_alexnet_honours_channels_first():
    keras.config.set_image_data_format("channels_first")
    try:
        model = AlexNet.build(64, 64, 3, 2, reg=0.001)
    finally:
        keras.config.set_image_data_format("channels_last")
    assert model.input_shape == (None, 3, 64, 64)
    bn = [layer for layer in model.layers if type(layer).__name__ == "BatchNormalization"]
    assert bn[0].axis in (1, [1])
