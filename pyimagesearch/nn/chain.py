import keras


def chain(input_shape, layers, name=None):
    """A functional model that applies `layers` one after the other to a new
    `keras.Input(input_shape)`. The layers are shared, not copied: models
    chained from the same layers share their weights.

    AlexNet is such a chain, so this puts an augmentation layer in front of
    it for training, and takes it out again for the saved model.
    """
    inputs = keras.Input(shape=input_shape)
    x = inputs
    for layer in layers:
        x = layer(x)
    return keras.Model(inputs, x, name=name)
