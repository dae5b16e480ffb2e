"""`SimplePreprocessor` and `AspectAwarePreprocessor` (OpenCV's INTER_AREA)
as one Keras layer, so that a model can take photos of any size."""

import keras
from keras import ops


def area_weights(source, target, start, stop):
    """(overlaps, scale): rows `start` to `stop` - 1 of the (target,
    source) matrix with which OpenCV's INTER_AREA shrinks one axis from
    `source` to `target` pixels (tensors or ints, so that a photo's size
    may be known only when it comes), times the scale s = source / target:
    output pixel i averages the input pixels under [i * s, (i + 1) * s),
    each weighted by how much of it lies inside, slivers under 1/1000 of a
    pixel left out as OpenCV does. float64."""
    (i, j, scale, _) = _grid(source, target, start, stop)
    overlap = ops.minimum((i + 1) * scale, j + 1) - ops.maximum(i * scale, j)
    return ops.where(overlap > 1e-3, overlap, 0.0), scale


def linear_taps(source, target, start, stop):
    """(left, right, leftWeight, rightWeight) of output pixels `start` to
    `stop` - 1 where OpenCV's INTER_AREA does not shrink both axes: it then
    interpolates between two input pixels, with weights in 1/2048ths (its
    fixed point for uint8 images)."""
    (i, _, scale, inverse) = _grid(source, target, start, stop)
    i = i[:, 0]
    left = ops.floor(i * scale)
    fraction = ops.cast((i + 1) - (left + 1) * inverse, "float32")
    fraction = ops.where(fraction <= 0, 0.0, fraction - ops.floor(fraction))
    right = ops.minimum(left + 1, ops.cast(source, "float64") - 1)
    weights = [ops.cast(ops.round(w * 2048), "int32") for w in (1 - fraction, fraction)]
    return (ops.cast(left, "int32"), ops.cast(right, "int32"), *weights)


def _grid(source, target, start, stop):
    """(output indices (n, 1), input indices (1, source), scale, 1 / scale)
    in float64, the scale computed in OpenCV's order of operations, which
    decides the pixel an output falls on when i * scale is whole."""
    inverse = ops.cast(target, "float64") / ops.cast(source, "float64")
    i = ops.cast(ops.arange(start, stop), "float64")[:, None]
    j = ops.cast(ops.arange(source), "float64")[None, :]
    return i, j, 1.0 / inverse, inverse


def resize_area(images, rows, cols):
    """`images` (N, h, w, C) float32 of whole values through the
    `area_weights` of its rows and columns, rounded to whole values as
    OpenCV writes a uint8 image: where both scales are whole numbers, its
    block sums times 1 / (block pixels), rounded half to even (half up for
    2 x 2 blocks, its vectorised code); elsewhere the weighted sum rounded,
    which differs from OpenCV's by one where the sum falls within float32
    rounding of a half (a few values in 10,000; tests/test_deploy.py)."""
    ((rowOverlaps, rowScale), (colOverlaps, colScale)) = (rows, cols)
    weights = [ops.cast(o / s, "float32") for o, s in (rows, cols)]
    general = ops.round(ops.einsum("ij,njkc,lk->nilc", weights[0], images, weights[1]))
    sums = ops.einsum("ij,njkc,lk->nilc", ops.cast(rowOverlaps, "float32"), images,
                      ops.cast(colOverlaps, "float32"))  # fmt: skip
    cells = rowScale * colScale
    halfUp = ops.floor((sums + 2) / 4)
    twoByTwo = ops.logical_and(rowScale == 2, colScale == 2)
    fast = ops.where(twoByTwo, halfUp, ops.round(sums * ops.cast(1 / cells, "float32")))
    whole = [ops.abs(s - ops.round(s)) < 2.220446049250313e-16 for s in (rowScale, colScale)]
    return ops.clip(ops.where(ops.logical_and(*whole), fast, general), 0, 255)


def resize_linear(images, rows, cols):
    """`images` (N, h, w, C) float32 of whole values through the taps of
    `linear_taps`, in OpenCV's integer arithmetic for uint8 images: a
    horizontal pass in 1/2048ths, then a vertical one that drops 4, 16 and
    2 bits on the way (its vectorised code), so that every pixel is
    OpenCV's."""
    whole = ops.cast(images, "int32")
    (left, right, leftWeight, rightWeight) = cols
    across = (ops.take(whole, left, axis=2) * leftWeight[:, None]
              + ops.take(whole, right, axis=2) * rightWeight[:, None]) // 16  # fmt: skip
    (top, bottom, topWeight, bottomWeight) = rows
    down = (ops.take(across, top, axis=1) * topWeight[:, None, None] // 65536
            + ops.take(across, bottom, axis=1) * bottomWeight[:, None, None] // 65536)  # fmt: skip
    return ops.cast(ops.clip((down + 2) // 4, 0, 255), "float32")


def resize(images, h, w, height, width, rowRange, colRange):
    """`images` (N, h, w, C) float32 resized to `height` x `width` by
    OpenCV's INTER_AREA, of which only the output rows `rowRange` and
    columns `colRange` (start, stop) are computed."""
    area = resize_area(
        images, area_weights(h, height, *rowRange), area_weights(w, width, *colRange)
    )
    linear = resize_linear(
        images, linear_taps(h, height, *rowRange), linear_taps(w, width, *colRange)
    )
    return ops.where(ops.logical_and(height <= h, width <= w), area, linear)


@keras.saving.register_keras_serializable(package="pyimagesearch")
class PhotoResize(keras.layers.Layer):
    """Photos of any size -> (N, height, width, C) float32 whole values in
    [0, 255]: `SimplePreprocessor(width, height)` (the aspect ratio
    ignored) or, with `aspectAware`, `AspectAwarePreprocessor(width,
    height)` (the shorter side resized, the longer cropped in the centre),
    both with OpenCV's INTER_AREA on uint8 photos, pixel for pixel but for
    a few values in 10,000 that are one level apart (`resize_area`).

    (N, h, w, C) uint8 or float -> (N, height, width, C) float32; every
    photo of a batch has the same size, which may differ between batches.
    """

    def __init__(self, width, height, aspectAware=False, **kwargs):
        kwargs.setdefault("dtype", "float32")
        super().__init__(**kwargs)
        self.width = int(width)
        self.height = int(height)
        self.aspectAware = bool(aspectAware)

    def call(self, images):
        images = ops.cast(images, "float32")
        shape = ops.shape(images)
        (h, w) = (shape[1], shape[2])
        if self.aspectAware:
            images = self.shorter_side_cropped(images, h, w)
            (h, w) = (ops.shape(images)[1], ops.shape(images)[2])
        return resize(images, h, w, self.height, self.width, (0, self.height), (0, self.width))

    def shorter_side_cropped(self, images, h, w):
        """The book's first step: the shorter side resized to the target
        (imutils.resize: the other side int(side * ratio)), then the
        centre cut out; only the rows and columns kept are computed."""
        (hf, wf) = (ops.cast(h, "float64"), ops.cast(w, "float64"))
        byWidth = w < h
        newH = ops.where(byWidth, ops.floor(hf * (self.width / wf)), float(self.height))
        newW = ops.where(byWidth, float(self.width), ops.floor(wf * (self.height / hf)))
        # int((new - target) / 2.0): towards zero
        dH = ops.where(byWidth, ops.trunc((newH - self.height) / 2.0), 0.0)
        dW = ops.where(byWidth, 0.0, ops.trunc((newW - self.width) / 2.0))
        (newH, newW, dH, dW) = (ops.cast(v, "int32") for v in (newH, newW, dH, dW))
        return resize(images, h, w, newH, newW, (dH, newH - dH), (dW, newW - dW))

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.height, self.width, input_shape[-1])

    def get_config(self):
        config = super().get_config()
        config.update(width=self.width, height=self.height, aspectAware=self.aspectAware)
        return config
