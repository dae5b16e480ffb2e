import keras
import numpy as np


class HostValidation(keras.callbacks.Callback):
    """Score `network` on a validation generator at each epoch's end and add
    "val_loss" (cross-entropy plus the network's regularization losses, as
    Keras computes it) and "val_accuracy" to the epoch's logs.

    For a training model whose inputs are not images (row indices of a
    split held on the device), so that `fit`'s own `validation_data` cannot
    feed it. Put it before the callbacks that read the logs.
    """

    def __init__(self, network, valGen):
        super().__init__()
        self.network = network
        self.valGen = valGen

    def on_epoch_end(self, epoch, logs=None):
        labels = self.valGen.labels
        # padded for several devices with batches of a multiple of them, a
        # generator yields its copies last
        preds = self.network.predict(self.valGen, verbose=0)[: len(labels)]
        onehot = np.eye(preds.shape[1], dtype="float32")[labels]
        crossentropy = keras.losses.categorical_crossentropy(onehot, preds)
        regularization = sum(
            float(keras.ops.convert_to_numpy(loss)) for loss in self.network.losses
        )
        if logs is not None:
            logs["val_loss"] = (
                float(np.mean(keras.ops.convert_to_numpy(crossentropy))) + regularization
            )
            logs["val_accuracy"] = float(np.mean(preds.argmax(axis=1) == labels))
