from __future__ import annotations

import cv2
import keras
import numpy as np
from keras import ops

from pyimagesearch.utils.checks import check_image_batch

FILL_MODES = ("nearest", "constant", "reflect", "wrap")
# The modes whose scipy.ndimage meaning (what ImageDataGenerator used) is one
# of OpenCV's border modes. "constant" and "wrap" differ: scipy's constant
# does not blend the edge with `cval`, and its wrap has period size - 1.
OPENCV_BORDERS = {"nearest": cv2.BORDER_REPLICATE, "reflect": cv2.BORDER_REFLECT}


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


def check_shift_range(name, value):
    """A shift range as `ImageDataGenerator` takes it: a float (a fraction
    of the size when < 1, else pixels), an int (whole pixels), or a
    non-empty list of values, each >= 0."""
    values = np.asarray(value, dtype="float64")
    if (
        values.ndim > 1
        or values.size == 0
        or isinstance(value, (bool, str))
        or not np.all(np.isfinite(values))
        or np.any(values < 0)
    ):
        raise ValueError(
            f"`{name}` must be a number >= 0 or a list of numbers >= 0; received {value!r}"
        )
    return value


def shift_choices(shift_range):
    """The values `ImageDataGenerator` draws a shift from with a random sign,
    or None when it draws uniformly in [-range, range] (a float range).
    An int n gives np.random.choice(n): 0, 1, ..., n - 1 pixels."""
    if isinstance(shift_range, (int, np.integer)):
        return np.arange(shift_range, dtype="float64")
    if np.ndim(shift_range) == 1:
        return np.asarray(shift_range, dtype="float64")
    return None


@keras.saving.register_keras_serializable(package="pyimagesearch")
class ImageAugmenter(keras.layers.Layer):
    """Random rotation, shift, shear, zoom and flip as ONE affine resampling.

    Takes the parameters of Keras's old `ImageDataGenerator`, with the same
    names, defaults, meanings and random draws (`get_random_transform`):

    Args:
        rotation_range: degrees; the angle is uniform in [-range, range].
        width_shift_range, height_shift_range: as `ImageDataGenerator`:
            a float is uniform in [-range, range]; an int n is a whole
            number of pixels, `choice(n)` (0 to n - 1) with a random sign;
            a list is a choice of its values with a random sign. Values
            below 1 (all of a list's) are fractions of the width / height.
        shear_range: degrees (as in `ImageDataGenerator`); the shear angle is
            uniform in [-range, range].
        zoom_range: a float z for [1 - z, 1 + z] (z < 1), or [lower, upper]
            with 0 < lower <= upper; the x and y factors are drawn
            independently. Above 1 zooms out. [1, 1] draws nothing.
        horizontal_flip: mirror half of the images.
        fill_mode: "nearest", "constant", "reflect" or "wrap" for the pixels
            the transform brings in from outside the image, with scipy's
            meanings, as `ImageDataGenerator` (on the numpy path; the layer
            path follows `keras.ops.image.affine_transform`, which differs
            from scipy at the edges for "constant" and "wrap").
        cval: the fill value for fill_mode="constant".
        seed: an int for a reproducible sequence, or None.

    Two ways to use it:
    - as a Keras layer in a model, (N, H, W, C) tensor -> same shape; it
      augments only when `training=True`, so the saved model does nothing
      at inference and the work runs on the GPU with the rest of the model;
    - called on a numpy batch, (N, H, W, C) array -> augmented array of the
      same shape and dtype, with OpenCV on the CPU. `augment(images, rng)`
      takes the random generator to draw from (the `HDF5DatasetGenerator`
      passes one per batch).

    Bilinear interpolation, as `ImageDataGenerator`'s default order 1. Each
    shift is along its own axis and scaled by its own size
    (`ImageDataGenerator` moved images horizontally by the height range times
    the height; the two only differ for unequal ranges or non-square images).
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
            raise ValueError(f"`fill_mode` must be one of {FILL_MODES}; received {fill_mode!r}")
        for name, value in (("rotation_range", rotation_range), ("shear_range", shear_range)):
            if not np.isscalar(value) or value < 0:
                raise ValueError(f"`{name}` must be a number >= 0; received {value!r}")
        self.rotation_range = rotation_range
        self.width_shift_range = check_shift_range("width_shift_range", width_shift_range)
        self.height_shift_range = check_shift_range("height_shift_range", height_shift_range)
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

    def draw_parameters(self, count, height, width, uniform, choice):
        """The random transforms of `count` images of (height, width), drawn
        as `ImageDataGenerator.get_random_transform` draws them.

        Args:
            uniform(low, high): `count` floats uniform in [low, high).
            choice(values): `count` draws from the 1-D float array `values`.
        Returns a dict of 1-D arrays: theta and shear in degrees, tx
        (horizontal) and ty (vertical) in pixels, zx, zy, flip (0 or 1).
        """
        zero = uniform(0.0, 0.0)
        theta = uniform(-self.rotation_range, self.rotation_range) if self.rotation_range else zero
        tx = self._draw_shift(self.width_shift_range, width, uniform, choice)
        ty = self._draw_shift(self.height_shift_range, height, uniform, choice)
        shear = uniform(-self.shear_range, self.shear_range) if self.shear_range else zero
        if self.zoom_bounds == (1.0, 1.0):
            zx = zy = zero + 1.0
        else:
            zx, zy = uniform(*self.zoom_bounds), uniform(*self.zoom_bounds)
        flip = choice(np.array([0.0, 1.0])) if self.horizontal_flip else zero
        return dict(theta=theta, tx=tx, ty=ty, shear=shear, zx=zx, zy=zy, flip=flip)

    @staticmethod
    def _draw_shift(shift_range, size, uniform, choice):
        values = shift_choices(shift_range)
        if values is not None:
            shift = choice(values) * choice(np.array([-1.0, 1.0]))
        elif shift_range:
            shift = uniform(-shift_range, shift_range)
        else:
            return uniform(0.0, 0.0)
        return shift * size if np.max(shift_range) < 1 else shift

    def maps(self, parameters, height, width, xp=np):
        """(N, 6) inverse affine maps for parameters from `draw_parameters`."""
        p = parameters
        return inverse_maps(
            xp,
            p["theta"] * (np.pi / 180),
            p["tx"],
            p["ty"],
            p["shear"] * (np.pi / 180),
            p["zx"],
            p["zy"],
            p["flip"],
            height,
            width,
        )

    def augment(self, images: np.ndarray, rng: np.random.Generator | None = None) -> np.ndarray:
        """Augment a numpy batch (N, H, W, C) on the CPU; same shape and dtype.
        The transforms are drawn from `rng` (a `np.random.Generator`), or
        from this augmenter's own generator when None."""
        images = check_image_batch(images)
        rng = self.rng if rng is None else rng
        (count, height, width) = images.shape[:3]
        parameters = self.draw_parameters(
            count,
            height,
            width,
            lambda low, high: rng.uniform(low, high, count),
            lambda values: rng.choice(values, count),
        )
        maps = self.maps(parameters, height, width).reshape(count, 2, 3)
        out = np.empty_like(images)
        for i in range(count):
            out[i] = self._warp(images[i], maps[i]).reshape(out[i].shape)
        return out

    def _warp(self, image, matrix):
        (height, width) = image.shape[:2]
        if self.fill_mode in OPENCV_BORDERS:
            return cv2.warpAffine(
                image,
                matrix,
                (width, height),
                flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
                borderMode=OPENCV_BORDERS[self.fill_mode],
            )
        # scipy's "wrap" and "constant" as coordinate maps for cv2.remap
        ys, xs = np.mgrid[0:height, 0:width].astype("float64")
        map_x = matrix[0, 0] * xs + matrix[0, 1] * ys + matrix[0, 2]
        map_y = matrix[1, 0] * xs + matrix[1, 1] * ys + matrix[1, 2]
        if self.fill_mode == "wrap":
            map_x, map_y = np.mod(map_x, max(width - 1, 1)), np.mod(map_y, max(height - 1, 1))
        warped = cv2.remap(
            image,
            map_x.astype("float32"),
            map_y.astype("float32"),
            cv2.INTER_LINEAR,
            borderMode=cv2.BORDER_REPLICATE,
        )
        if self.fill_mode == "constant":
            outside = (map_x < 0) | (map_x > width - 1) | (map_y < 0) | (map_y > height - 1)
            warped[outside] = self.cval
        return warped

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
        parameters = self.draw_parameters(
            count,
            height,
            width,
            lambda low, high: keras.random.uniform(
                (count,), low, high, dtype="float32", seed=self.seed_generator
            ),
            lambda values: ops.take(
                ops.convert_to_tensor(values, "float32"),
                keras.random.randint((count,), 0, len(values), seed=self.seed_generator),
            ),
        )
        maps = self.maps(parameters, height, width, xp=ops)
        transform = ops.concatenate([maps, ops.zeros((count, 2), dtype="float32")], axis=1)
        return ops.image.affine_transform(
            inputs,
            transform,
            interpolation="bilinear",
            fill_mode=self.fill_mode,
            fill_value=self.cval,
            data_format=self.data_format,
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
