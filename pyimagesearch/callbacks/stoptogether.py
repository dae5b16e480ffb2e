from __future__ import annotations

import signal

import keras

from pyimagesearch.errors import Terminated
from pyimagesearch.nn.parallel.processes import StopSignals


class StopTogether(keras.callbacks.Callback):
    """Stop every process of a multi-process run (JAX) at the same training
    step when any one of them receives SIGINT or SIGTERM.

    A process that stopped on its own would leave the others waiting for it
    in the next step's gradient exchange. Instead, the signal is passed to
    every process, each checks after every step whether the run has agreed
    to stop there, and all raise together: `KeyboardInterrupt` for SIGINT,
    `pyimagesearch.errors.Terminated` for SIGTERM. A signal that arrives
    after the last step lets the run finish.
    """

    def __init__(self) -> None:
        super().__init__()
        self.signals = StopSignals()
        self.step = 0

    def on_train_begin(self, logs=None):
        self.signals.install()

    def on_train_batch_end(self, batch, logs=None):
        self.step += 1
        number = self.signals.reached(self.step)
        if number is None:
            return
        self.signals.uninstall()
        raise KeyboardInterrupt() if number == signal.SIGINT else Terminated()

    def on_train_end(self, logs=None):
        self.signals.uninstall()
