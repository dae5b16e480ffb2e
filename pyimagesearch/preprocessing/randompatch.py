import keras
from keras import ops

from pyimagesearch.utils.checks import check_positive_int


@keras.saving.register_keras_serializable(package="pyimagesearch")
class RandomPatch(keras.layers.Layer):
    """`PatchPreprocessor` as a Keras layer: one uniformly random (height,
    width) window of each image, every top-left offset (y, x) with
    0 <= y <= H - height and 0 <= x <= W - width equally likely.

    (N, H, W, C) -> (N, height, width, C), dtype kept. Random only while
    training; at inference it takes the centre window (offsets
    (H - height) // 2 and (W - width) // 2).
    """

    def __init__(self, width, height, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.width = check_positive_int("width", width)
        self.height = check_positive_int("height", height)
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)

    def offsets(self, count, H, W, training):
        if training:
            ys = keras.random.randint((count,), 0, H - self.height + 1, seed=self.seed_generator)
            xs = keras.random.randint((count,), 0, W - self.width + 1, seed=self.seed_generator)
            return ys, xs
        return (
            ops.full((count,), (H - self.height) // 2, "int32"),
            ops.full((count,), (W - self.width) // 2, "int32"),
        )

    def call(self, images, training=None):
        (H, W, C) = images.shape[1:4]
        count = ops.shape(images)[0]
        (ys, xs) = self.offsets(count, H, W, training)
        # one gather from the flattened batch: pixel (n, y + i, x + j)
        rows = (
            ops.arange(count, dtype="int32")[:, None] * H
            + ys[:, None]
            + ops.arange(self.height, dtype="int32")[None, :]
        )
        cols = xs[:, None] + ops.arange(self.width, dtype="int32")[None, :]
        index = rows[:, :, None] * W + cols[:, None, :]
        pixels = ops.take(ops.reshape(images, (-1, C)), ops.reshape(index, (-1,)), axis=0)
        return ops.reshape(pixels, (-1, self.height, self.width, C))

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.height, self.width, input_shape[3])

    def get_config(self):
        config = super().get_config()
        config.update(width=self.width, height=self.height, seed=self.seed)
        return config
