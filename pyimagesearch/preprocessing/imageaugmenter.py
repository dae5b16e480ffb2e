import cv2
import keras
import numpy as np
from keras import ops

from pyimagesearch.utils.checks import check_image_batch

FILL_MODES = {
    "nearest": cv2.BORDER_REPLICATE,
    "constant": cv2.BORDER_CONSTANT,
    "reflect": cv2.BORDER_REFLECT,
    "wrap": cv2.BORDER_WRAP,
}


def inverse_maps(xp, theta, tx, ty, shear, zx, zy, flip, height, width):
    """The affine maps from output pixel (x, y) to input pixel, one per image.

    Composed exactly as Keras's `ImageDataGenerator` composed them --
    rotation @ shift @ shear @ zoom about the image centre, then the
    horizontal flip -- so one resampling does all of it. `xp` is `numpy` or
    `keras.ops`, so the numpy path and the in-model path share this code.

    Args: 1-D arrays of length N -- `theta` and `shear` in radians, `tx`, `ty`
        in pixels, `zx`, `zy` as factors, `flip` 0.0 or 1.0.
    Returns: (N, 6) rows [a00, a01, b0, a10, a11, b1]: input x = a00*x +
        a01*y + b0, input y = a10*x + a11*y + b1.
    """
    cos, sin = xp.cos(theta), xp.sin(theta)
    shear_x, shear_y = -xp.sin(shear), xp.cos(shear)
    a00 = cos * zx
    a01 = (cos * shear_x - sin * shear_y) * zy
    a10 = sin * zx
    a11 = (sin * shear_x + cos * shear_y) * zy
    centre_x, centre_y = (width - 1) / 2.0, (height - 1) / 2.0
    b0 = cos * tx - sin * ty + centre_x - a00 * centre_x - a01 * centre_y
    b1 = sin * tx + cos * ty + centre_y - a10 * centre_x - a11 * centre_y
    # Mirroring the output maps output x to (width - 1 - x).
    b0 = b0 + flip * (width - 1) * a00
    b1 = b1 + flip * (width - 1) * a10
    sign = 1.0 - 2.0 * flip
    return xp.stack([a00 * sign, a01, b0, a10 * sign, a11, b1], axis=1)


@keras.saving.register_keras_serializable(package="pyimagesearch")
class ImageAugmenter(keras.layers.Layer):
    """Random rotation, shift, shear, zoom and flip as ONE affine resampling.

    Takes the parameters of Keras's old `ImageDataGenerator`, with the same
    names, defaults and meanings:

    Args:
        rotation_range: degrees; the angle is uniform in [-range, range].
        width_shift_range, height_shift_range: a fraction of the width /
            height when < 1, else pixels; uniform in [-range, range].
        shear_range: degrees (as in `ImageDataGenerator`); the shear angle is
            uniform in [-range, range].
        zoom_range: a float z for [1 - z, 1 + z], or [lower, upper]; the x and
            y factors are drawn independently. Above 1 zooms out.
        horizontal_flip: mirror half of the images.
        fill_mode: "nearest", "constant", "reflect" or "wrap" for the pixels
            the transform brings in from outside the image.
        cval: the fill value for fill_mode="constant".
        seed: an int for a reproducible sequence, or None.

    Two ways to use it:
    - as a Keras layer in a model, (N, H, W, C) tensor -> same shape; it
      augments only when `training=True`, so the saved model does nothing
      at inference and the work runs on the GPU with the rest of the model;
    - called on a numpy batch, (N, H, W, C) array -> augmented array of the
      same shape and dtype, with OpenCV on the CPU.

    Bilinear interpolation, as `ImageDataGenerator`'s default order 1. Each
    shift is along its own axis (`ImageDataGenerator` applied the height
    range horizontally; the two only differ for unequal ranges).
    """

    def __init__(
        self,
        rotation_range=0,
        width_shift_range=0.0,
        height_shift_range=0.0,
        shear_range=0.0,
        zoom_range=0.0,
        horizontal_flip=False,
        fill_mode="nearest",
        cval=0.0,
        seed=None,
        data_format=None,
        **kwargs,
    ):
        # The resampling runs in float32 even under a mixed-precision policy.
        kwargs.setdefault("dtype", "float32")
        super().__init__(**kwargs)
        if fill_mode not in FILL_MODES:
            raise ValueError(
                f"`fill_mode` must be one of {sorted(FILL_MODES)}; received {fill_mode!r}"
            )
        for name, value in (
            ("rotation_range", rotation_range),
            ("width_shift_range", width_shift_range),
            ("height_shift_range", height_shift_range),
            ("shear_range", shear_range),
        ):
            if not np.isscalar(value) or value < 0:
                raise ValueError(f"`{name}` must be a number >= 0; received {value!r}")
        self.rotation_range = rotation_range
        self.width_shift_range = width_shift_range
        self.height_shift_range = height_shift_range
        self.shear_range = shear_range
        self.zoom_range = zoom_range
        self.horizontal_flip = horizontal_flip
        self.fill_mode = fill_mode
        self.cval = cval
        self.seed = seed
        self.data_format = keras.config.image_data_format() if data_format is None else data_format
        self.zoom_bounds = self._zoom_bounds(zoom_range)
        self.rng = np.random.default_rng(seed)
        self.seed_generator = keras.random.SeedGenerator(seed)

    @staticmethod
    def _zoom_bounds(zoom_range):
        if np.isscalar(zoom_range):
            bounds = (1.0 - zoom_range, 1.0 + zoom_range)
        elif len(zoom_range) == 2:
            bounds = (float(zoom_range[0]), float(zoom_range[1]))
        else:
            bounds = (-1.0, -1.0)
        if not 0.0 < bounds[0] <= bounds[1]:
            raise ValueError(
                "`zoom_range` must be a float in [0, 1) or [lower, upper] with "
                f"0 < lower <= upper; received {zoom_range!r}"
            )
        return bounds

    @staticmethod
    def _shift_pixels(shift_range, size):
        return shift_range * size if shift_range < 1 else shift_range

    def _parameters(self, uniform, count, height, width):
        """theta, tx, ty, shear, zx, zy and a uniform [0, 1) draw that decides
        the flip, as 1-D arrays of length `count`, each drawn with
        `uniform(low, high)`."""
        theta = np.deg2rad(self.rotation_range)
        shear = np.deg2rad(self.shear_range)
        tx = self._shift_pixels(self.width_shift_range, width)
        ty = self._shift_pixels(self.height_shift_range, height)
        return (
            uniform(-theta, theta),
            uniform(-tx, tx),
            uniform(-ty, ty),
            uniform(-shear, shear),
            uniform(*self.zoom_bounds),
            uniform(*self.zoom_bounds),
            uniform(0.0, 1.0),
        )

    def augment(self, images, patches=None):
        """Augment a numpy batch (N, H, W, C) on the CPU; same dtype.

        Args:
            images: the batch.
            patches: None, or (ys, xs, height, width) to augment the
                (height, width) windows at offsets (ys[i], xs[i]) instead of
                whole images: a random crop and its augmentation become one
                resampling of the source, and pixels from outside a window
                come from the surrounding image instead of its repeated edge.
        Returns (N, H, W, C), or (N, height, width, C) with `patches`.
        """
        images = check_image_batch(images)
        count = len(images)
        (height, width) = images.shape[1:3] if patches is None else patches[2:]
        params = self._parameters(
            lambda low, high: self.rng.uniform(low, high, count), count, height, width
        )
        flip = (params[-1] < 0.5) * float(self.horizontal_flip)
        maps = inverse_maps(np, *params[:-1], flip, height, width).reshape(count, 2, 3)
        if patches is not None:
            maps[:, 0, 2] += patches[1]
            maps[:, 1, 2] += patches[0]
        out = np.empty((count, height, width, images.shape[3]), images.dtype)
        flags = cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP
        for i in range(count):
            warped = cv2.warpAffine(
                images[i], maps[i], (width, height), flags=flags,
                borderMode=FILL_MODES[self.fill_mode], borderValue=self.cval,
            )
            out[i] = warped.reshape(out[i].shape)
        return out

    def __call__(self, inputs, *args, **kwargs):
        if isinstance(inputs, np.ndarray):
            return self.augment(inputs)
        return super().__call__(inputs, *args, **kwargs)

    def call(self, inputs, training=None):
        if not training:
            return inputs
        if self.data_format == "channels_first":
            (height, width) = inputs.shape[2:4]
        else:
            (height, width) = inputs.shape[1:3]
        count = ops.shape(inputs)[0]
        params = self._parameters(
            lambda low, high: keras.random.uniform(
                (count,), low, high, dtype="float32", seed=self.seed_generator
            ),
            count, height, width,
        )
        flip = ops.cast(params[-1] < 0.5, "float32") * float(self.horizontal_flip)
        maps = inverse_maps(ops, *params[:-1], flip, height, width)
        transform = ops.concatenate([maps, ops.zeros((count, 2), dtype="float32")], axis=1)
        return ops.image.affine_transform(
            inputs, transform, interpolation="bilinear", fill_mode=self.fill_mode,
            fill_value=self.cval, data_format=self.data_format,
        )

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = super().get_config()
        config.update(
            rotation_range=self.rotation_range,
            width_shift_range=self.width_shift_range,
            height_shift_range=self.height_shift_range,
            shear_range=self.shear_range,
            zoom_range=self.zoom_range,
            horizontal_flip=self.horizontal_flip,
            fill_mode=self.fill_mode,
            cval=self.cval,
            seed=self.seed,
            data_format=self.data_format,
        )
        return config
