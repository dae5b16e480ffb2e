"""Data parallelism: a replica of the model on every device, each step's
batch split among them and the gradients averaged -- with the engine each
Keras backend ships (`tf.distribute.MirroredStrategy` on TensorFlow,
`keras.distribution.DataParallel` on JAX), never one of our own.

One machine: every visible GPU, or every CPU device when there is no GPU
(logical CPU devices stand in for GPUs in tests). Several machines: JAX
only, each process joining with `processes.join_processes` before Keras computes
anything; TensorFlow's `MultiWorkerMirroredStrategy` does not work with
Keras 3 (keras-team/keras#20585).

Batch sizes are per device: the batch of a step is the per-device batch
times the devices of the run. The learning rate follows Adam's square-root
rule (Malladi et al., 2022, "On the SDEs and Scaling Rules for Adaptive
Gradient Algorithms"): a k times larger batch takes sqrt(k) times the rate.
"""

from __future__ import annotations

import contextlib
import functools
import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from pyimagesearch.errors import ArgumentError
from pyimagesearch.utils.batchplan import pad_batch

DISTRIBUTE_MODES = ("auto", "none", "data-parallel")


def distribute_help(work: str) -> str:
    """What each of `DISTRIBUTE_MODES` does with `work` ("split each batch")."""
    return (
        f"data-parallel: {work} among every GPU (or every CPU device); none: one device; "
        "auto: data-parallel when there is more than one device"
    )


@dataclass(frozen=True)
class Replicas:
    """Where a model runs: on one device (`strategy` None) or replicated on
    `devices` devices, `localDevices` of them in this process, which is
    number `processIndex` of `processCount`. A batch of this process must
    be a multiple of `localDevices` rows (1 on one device)."""

    devices: int = 1
    localDevices: int = 1
    processIndex: int = 0
    processCount: int = 1
    strategy: Any = None

    @property
    def isChief(self) -> bool:
        """Whether this process writes the outputs (process 0)."""
        return self.processIndex == 0

    def process_batch(self, batchSize: int) -> int:
        """The rows of one batch of this process, for `batchSize` per device."""
        return batchSize * self.localDevices

    def scope(self):
        """A context in which to build, load, train and run models: their
        variables are replicated and their batches split among the devices."""
        return contextlib.nullcontext() if self.strategy is None else self.strategy.scope()

    def describe(self) -> str:
        """One line: how many devices and processes."""
        if self.strategy is None:
            return "one device"
        processes = f" in {self.processCount} processes" if self.processCount > 1 else ""
        return f"data-parallel over {self.devices} devices{processes}"


def scaled_learning_rate(rate: float, devices: int) -> float:
    """Adam's learning rate for `devices` times the one-device batch:
    `rate` (the one-device rate) times sqrt(devices)."""
    return rate * math.sqrt(devices)


def choose_replicas(distribute: str = "auto") -> Replicas:
    """The `Replicas` for `distribute`: "none" (one device), "data-parallel"
    (every device this backend sees, in every process of the run) or
    "auto" (data-parallel when there is more than one device)."""
    import keras

    if distribute not in DISTRIBUTE_MODES:
        raise ArgumentError(
            "distribute", f"{distribute!r} is not one of {', '.join(DISTRIBUTE_MODES)}"
        )
    backend = keras.backend.backend()
    (devices, localDevices, processIndex, processCount) = visible_devices(backend)
    if distribute == "none" and processCount > 1:
        raise ArgumentError(
            "distribute", f"{processCount} processes train together only data-parallel"
        )
    if distribute == "none" or (distribute == "auto" and len(devices) == 1):
        return Replicas()
    if backend == "tensorflow":
        strategy = mirrored_strategy(tuple(devices))
    elif backend == "jax":
        strategy = keras.distribution.DataParallel(devices=devices)
        strategy.auto_shard_dataset = False  # each process reads its own shard
    else:
        raise ArgumentError(
            "distribute",
            f"data-parallel runs need the TensorFlow or JAX backend, not {backend}: use none",
        )
    return Replicas(len(devices), localDevices, processIndex, processCount, strategy)


@functools.cache
def mirrored_strategy(devices: tuple[str, ...]):
    """The process's one `tf.distribute.MirroredStrategy` over `devices`.
    A second strategy in the same process aborted the first step of a model
    of other shapes ("Shape mismatch in the collective instance 100",
    tensorflow/tensorflow#62790); models trained one after another under
    one strategy do not."""
    import tensorflow as tf

    return tf.distribute.MirroredStrategy(list(devices))


def visible_devices(backend: str) -> tuple[list[str], int, int, int]:
    """(every device of the run, the devices of this process, this
    process's index, the process count): the GPUs, or the CPU devices
    when there is no GPU."""
    if backend == "tensorflow":
        import tensorflow as tf

        devices = tf.config.list_logical_devices("GPU") or tf.config.list_logical_devices("CPU")
        return [d.name for d in devices], len(devices), 0, 1
    if backend == "jax":
        import jax

        return (
            [f"{d.platform}:{d.id}" for d in jax.devices()],
            jax.local_device_count(),
            jax.process_index(),
            jax.process_count(),
        )
    return ["cpu:0"], 1, 0, 1


def predict_batch(model, batch: np.ndarray, replicas: Replicas | None = None) -> np.ndarray:
    """`model`'s outputs for one batch, split among the devices of
    `replicas` (run inside `replicas.scope()`). A batch that does not split
    evenly is padded with copies of its rows, whose outputs are dropped."""
    if replicas is None or replicas.strategy is None:
        return np.asarray(model.predict_on_batch(batch))
    padded = pad_batch(batch, replicas.localDevices)
    return np.asarray(model.predict(padded, batch_size=len(padded), verbose=0))[: len(batch)]
