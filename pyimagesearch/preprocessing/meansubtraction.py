import keras
from keras import ops


@keras.saving.register_keras_serializable(package="pyimagesearch")
class MeanSubtraction(keras.layers.Layer):
    """`MeanPreprocessor` as a Keras layer: (N, H, W, 3) BGR images, uint8
    or float -> float32 with `bMean` subtracted from channel 0, `gMean` from
    1 and `rMean` from 2 (the book's argument order)."""

    def __init__(self, rMean, gMean, bMean, **kwargs):
        kwargs.setdefault("dtype", "float32")
        super().__init__(**kwargs)
        self.rMean, self.gMean, self.bMean = float(rMean), float(gMean), float(bMean)

    def call(self, images):
        bgr = ops.convert_to_tensor([self.bMean, self.gMean, self.rMean], "float32")
        return ops.cast(images, "float32") - bgr

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = super().get_config()
        config.update(rMean=self.rMean, gMean=self.gMean, bMean=self.bMean)
        return config
