"""`SimplePreprocessor` and `AspectAwarePreprocessor` (OpenCV's INTER_AREA)
as one Keras layer, so that a model can take photos of any size."""

import keras
from keras import ops


def linear_taps(source, target, start, stop):
    """(left, right, leftWeight, rightWeight) of output pixels `start` to
    `stop` - 1 where OpenCV's INTER_AREA does not shrink both axes: it then
    interpolates between two input pixels, with weights in 1/2048ths (its
    fixed point for uint8 images)."""
    (i, scale, inverse) = _grid(source, target, start, stop)
    left = ops.floor(i * scale)
    fraction = ops.cast((i + 1) - (left + 1) * inverse, "float32")
    fraction = ops.where(fraction <= 0, 0.0, fraction - ops.floor(fraction))
    right = ops.minimum(left + 1, ops.cast(source, "float64") - 1)
    weights = [ops.cast(ops.round(w * 2048), "int32") for w in (1 - fraction, fraction)]
    return (ops.cast(left, "int32"), ops.cast(right, "int32"), *weights)


def _grid(source, target, start, stop):
    """(output indices `start` to `stop` - 1, scale, 1 / scale) in
    float64 (tensors or ints: a photo's size may be known only when it
    comes), the scale computed in OpenCV's order of operations, which
    decides the pixel an output falls on when i * scale is whole."""
    inverse = ops.cast(target, "float64") / ops.cast(source, "float64")
    return ops.cast(ops.arange(start, stop), "float64"), 1.0 / inverse, inverse


def area_taps(source, target, start, stop):
    """(first, overlaps, taps, scale): for output pixels `start` to `stop`
    - 1 of OpenCV's INTER_AREA shrinking `source` pixels to `target`, the
    first input pixel each averages, and (taps, n) float64 overlaps of it
    and the next taps - 1 pixels with the output pixel's span
    [i * scale, (i + 1) * scale), as OpenCV computes them (slivers under
    1/1000 of a pixel dropped); its weights are overlaps / scale."""
    (i, scale, _) = _grid(source, target, start, stop)
    (low, high) = (i * scale, i * scale + scale)
    first = ops.floor(low)
    taps = ops.cast(ops.ceil(scale), "int32") + 1
    j = first[None, :] + ops.cast(ops.arange(taps), "float64")[:, None]
    overlap = ops.minimum(high, j + 1) - ops.maximum(low, j)
    overlap = ops.where(ops.logical_and(overlap > 1e-3, j < ops.cast(source, "float64")),
                        overlap, 0.0)  # fmt: skip
    return ops.cast(first, "int32"), overlap, taps, scale


def weighted_sum(images, axis, first, weights, taps, source):
    """Sum over `taps` of the input pixels from `first` along `axis`, times
    their weights, added one by one in float32 as OpenCV does, so that a
    sum near a half rounds as OpenCV's."""

    def add(t, total):
        index = ops.minimum(first + t, source - 1)
        shape = [1, 1, 1, 1]
        shape[axis] = -1
        return total + ops.take(images, index, axis=axis) * ops.reshape(weights[t], shape)

    zeros = ops.zeros_like(ops.take(images, first, axis=axis))
    return ops.fori_loop(0, taps, add, zeros)


def resize_area(images, h, w, height, width, rowRange, colRange):
    """`images` (N, h, w, C) float32 of whole values shrunk by OpenCV's
    INTER_AREA and rounded to whole values as it writes a uint8 image:
    where both scales are whole numbers, its block sums times 1 / (block
    pixels), rounded half to even (half up for 2 x 2 blocks, its vectorised
    code); elsewhere each row's weighted sum across, then down."""
    (rowFirst, rowOverlaps, rowTaps, rowScale) = area_taps(h, height, *rowRange)
    (colFirst, colOverlaps, colTaps, colScale) = area_taps(w, width, *colRange)

    def sums(rowWeights, colWeights):
        across = weighted_sum(images, 2, colFirst, ops.cast(colWeights, "float32"), colTaps, w)
        return weighted_sum(across, 1, rowFirst, ops.cast(rowWeights, "float32"), rowTaps, h)

    general = ops.round(sums(rowOverlaps / rowScale, colOverlaps / colScale))
    blocks = sums(rowOverlaps, colOverlaps)  # whole numbers: exact
    cells = rowScale * colScale
    twoByTwo = ops.logical_and(rowScale == 2, colScale == 2)
    halfUp = ops.floor((blocks + 2) / 4)
    fast = ops.where(twoByTwo, halfUp, ops.round(blocks * ops.cast(1 / cells, "float32")))
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
    area = resize_area(images, h, w, height, width, rowRange, colRange)
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
    both with OpenCV's INTER_AREA on uint8 photos, pixel for pixel: its
    weights, its order of float32 sums and its integer arithmetic.

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
