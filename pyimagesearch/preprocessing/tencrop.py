import keras
from keras import ops

from pyimagesearch.preprocessing.arearesize import area_weights
from pyimagesearch.preprocessing.croppreprocessor import CropPreprocessor


@keras.saving.register_keras_serializable(package="pyimagesearch")
class TenCrop(keras.layers.Layer):
    """`CropPreprocessor`'s ten crops as a Keras layer, computed where the
    model runs (on the GPU when there is one).

    (N, H, W, C) images -> (N * 10, height, width, C) float32 crops, image
    by image, each image's crops in the book's order: top-left, top-right,
    bottom-right, bottom-left, centre, then the horizontal mirrors of those
    five. The corners are exact copies; the centre window (one pixel larger
    than the crop when H - height or W - width is odd) is resized with
    OpenCV's INTER_AREA weights as matrix products, equal to
    `CropPreprocessor`'s float32 crops to float rounding.

    Args:
        width, height: the crop size in pixels.
    """

    def __init__(self, width, height, **kwargs):
        kwargs.setdefault("dtype", "float32")
        super().__init__(**kwargs)
        self.cropper = CropPreprocessor(width, height)
        self.width = self.cropper.width
        self.height = self.cropper.height

    def call(self, images):
        images = ops.cast(images, "float32")
        (h, w) = images.shape[1:3]
        crops = []
        for startX, startY, endX, endY in self.cropper.windows(h, w):
            crop = images[:, startY:endY, startX:endX, :]
            if (endY - startY, endX - startX) != (self.height, self.width):
                rows = ops.convert_to_tensor(area_weights(endY - startY, self.height))
                cols = ops.convert_to_tensor(area_weights(endX - startX, self.width))
                crop = ops.einsum("ij,njkc,lk->nilc", rows, crop, cols)
            crops.append(crop)
        crops += [ops.flip(crop, axis=2) for crop in crops]
        stacked = ops.stack(crops, axis=1)  # (N, 10, height, width, C)
        return ops.reshape(stacked, (-1, self.height, self.width, images.shape[-1]))

    def compute_output_shape(self, input_shape):
        count = None if input_shape[0] is None else input_shape[0] * 10
        return (count, self.height, self.width, input_shape[-1])

    def get_config(self):
        config = super().get_config()
        config.update(width=self.width, height=self.height)
        return config


def ten_crop_model(network, means, imageShape):
    """A model from stored images (N, *imageShape), uint8 or float, to
    `network`'s class probabilities averaged over the ten crops of each
    image, with the mean subtracted in the graph: `CropPreprocessor` +
    `predict_ten_crops` in one compiled call. `means` is a
    `MeanPreprocessor`."""
    from pyimagesearch.preprocessing.meansubtraction import MeanSubtraction

    (height, width) = network.input_shape[1:3]
    inputs = keras.Input(imageShape)
    crops = TenCrop(width, height)(MeanSubtraction(means.rMean, means.gMean, means.bMean)(inputs))
    probabilities = network(crops)
    averaged = ops.mean(ops.reshape(probabilities, (-1, 10, probabilities.shape[-1])), axis=1)
    return keras.Model(inputs, averaged, name=f"{network.name}_ten_crops")
