from __future__ import annotations

import keras
from keras import layers
from keras.regularizers import l2

from pyimagesearch import bookdefaults as book


class AlexNet:
    @staticmethod
    def build(
        width: int, height: int, depth: int, classes: int, reg: float = book.L2_REG
    ) -> keras.Model:
        """The book's AlexNet: five convolutions in three blocks, two 4096-unit
        fully connected layers and a softmax, with L2(reg) on every kernel.

        Input (height, width, depth), or (depth, height, width) when Keras's
        image data format is channels_first; output (classes,) probabilities.
        At 227x227x3 with 2 classes: 58,327,810 parameters, 58,308,674
        trainable. The softmax runs in float32 so that mixed precision
        training stays numerically stable.
        """
        inputShape = (height, width, depth)
        chanDim = -1
        if keras.config.image_data_format() == "channels_first":
            inputShape = (depth, height, width)
            chanDim = 1

        def conv(x, filters, size, strides=1):
            x = layers.Conv2D(
                filters, size, strides=strides, padding="same", kernel_regularizer=l2(reg)
            )(x)
            x = layers.Activation("relu")(x)
            return layers.BatchNormalization(axis=chanDim)(x)

        def dense(x, units):
            x = layers.Dense(units, kernel_regularizer=l2(reg))(x)
            x = layers.Activation("relu")(x)
            x = layers.BatchNormalization()(x)
            return layers.Dropout(0.5)(x)

        def pool(x):
            x = layers.MaxPooling2D(pool_size=(3, 3), strides=(2, 2))(x)
            return layers.Dropout(0.25)(x)

        inputs = keras.Input(shape=inputShape)
        # Block 1: CONV => RELU => POOL
        x = pool(conv(inputs, 96, (11, 11), strides=(4, 4)))
        # Block 2: CONV => RELU => POOL
        x = pool(conv(x, 256, (5, 5)))
        # Block 3: (CONV => RELU) * 3 => POOL
        x = pool(conv(conv(conv(x, 384, (3, 3)), 384, (3, 3)), 256, (3, 3)))
        # Blocks 4 and 5: FC => RELU, twice
        x = layers.Flatten()(x)
        x = dense(dense(x, 4096), 4096)
        # softmax classifier
        x = layers.Dense(classes, kernel_regularizer=l2(reg))(x)
        outputs = layers.Activation("softmax", dtype="float32")(x)
        return keras.Model(inputs, outputs, name="alexnet")
