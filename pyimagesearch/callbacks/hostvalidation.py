import keras


class HostValidation(keras.callbacks.Callback):
    """Score a model on a validation generator at each epoch's end and add
    its figures to the epoch's logs as "val_loss", "val_accuracy", ...

    For a training model whose inputs are not images (row indices of a
    split held on the device), so that `fit`'s own `validation_data` cannot
    feed it: `evaluator` is a compiled model over the same network that
    takes the generator's images (a `TrainingModel`, so the figures are
    computed exactly as `fit` computes them for its own validation data).
    Put it before the callbacks that read the logs.
    """

    def __init__(self, evaluator: keras.Model, valGen) -> None:
        super().__init__()
        self.evaluator = evaluator
        self.valGen = valGen

    def on_epoch_end(self, epoch, logs=None):
        figures = self.evaluator.evaluate(self.valGen, verbose=0, return_dict=True)
        if logs is not None:
            logs.update({f"val_{name}": float(value) for name, value in figures.items()})
