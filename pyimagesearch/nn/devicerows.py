import keras
import numpy as np
from keras import ops


@keras.saving.register_keras_serializable(package="pyimagesearch")
class DeviceRows(keras.layers.Layer):
    """A whole uint8 split held where the model runs: (n,) or (n, 1) row
    indices -> (n, H, W, C) rows, gathered on the device.

    The rows are a non-trainable variable placed once on the accelerator
    (N x H x W x C bytes: 3.9 GB for Kaggle's 20,000 training photos at
    256 x 256), so a training step receives only a batch of indices from
    the host. They are never saved with the model: a saved model holds
    their shape, and `assign(rows)` puts them back after loading.

    Args:
        rows: the array (N, H, W, C), such as `db["images"][:]`; or None
            with `rowsShape` and `rowsDtype`, for a model loaded from a file.
    """

    def __init__(self, rows=None, rowsShape=None, rowsDtype="uint8", **kwargs):
        super().__init__(**kwargs)
        if rows is not None:
            rows = np.asarray(rows)
            (rowsShape, rowsDtype) = (rows.shape, str(rows.dtype))
        self.rowsShape = tuple(rowsShape)
        self.rowsDtype = str(rowsDtype)
        self.rows = self.add_weight(
            shape=self.rowsShape,
            dtype=self.rowsDtype,
            trainable=False,
            name="rows",
            initializer="zeros" if rows is None else (lambda shape, dtype: rows),
        )

    def assign(self, rows):
        rows = np.asarray(rows)
        if rows.shape != self.rowsShape or str(rows.dtype) != self.rowsDtype:
            raise ValueError(
                f"expected {self.rowsDtype} rows of shape {self.rowsShape}; "
                f"received {rows.dtype} {rows.shape}"
            )
        self.rows.assign(rows)

    def call(self, indices):
        return ops.take(self.rows, ops.reshape(ops.cast(indices, "int32"), (-1,)), axis=0)

    def compute_output_shape(self, input_shape):
        return (input_shape[0],) + self.rowsShape[1:]

    def save_own_variables(self, store):
        pass  # the data stays in its HDF5 file

    def load_own_variables(self, store):
        pass

    def get_config(self):
        config = super().get_config()
        config.update(rowsShape=list(self.rowsShape), rowsDtype=self.rowsDtype)
        return config
