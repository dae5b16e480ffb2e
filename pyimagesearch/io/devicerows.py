import keras
import numpy as np
from keras import ops


class DeviceRows(keras.layers.Layer):
    """A whole uint8 split held where the model runs: (n,) or (n, 1) row
    indices -> (n, H, W, C) uint8 rows, gathered on the device.

    The rows are a non-trainable variable placed once on the accelerator
    (N x H x W x C bytes: 3.9 GB for Kaggle's 20,000 training photos at
    256 x 256), so a training step receives only a batch of indices from
    the host. They are never saved with the model: a checkpoint holds the
    layers after this one.

    Args:
        rows: the uint8 array (N, H, W, C), such as `db["images"][:]`.
    """

    def __init__(self, rows, **kwargs):
        super().__init__(**kwargs)
        rows = np.asarray(rows)
        self.rows = self.add_weight(shape=rows.shape, dtype=str(rows.dtype), trainable=False,
                                    initializer=lambda shape, dtype: rows, name="rows")

    def call(self, indices):
        return ops.take(self.rows, ops.reshape(ops.cast(indices, "int32"), (-1,)), axis=0)

    def save_own_variables(self, store):
        pass  # the data stays in its HDF5 file

    def load_own_variables(self, store):
        pass
