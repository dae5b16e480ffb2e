"""Data parallelism: a replica of the model on every device, each step's
batch split among them and the gradients averaged -- with the engine each
Keras backend ships (`tf.distribute.MirroredStrategy` on TensorFlow,
`keras.distribution.DataParallel` on JAX), never one of our own.

One machine: every visible GPU, or every CPU device when there is no GPU
(logical CPU devices stand in for GPUs in tests). Several machines: JAX
only, each process joining with `join_processes` before Keras computes
anything; TensorFlow's `MultiWorkerMirroredStrategy` does not work with
Keras 3 (keras-team/keras#20585).

Batch sizes are per device: the batch of a step is the per-device batch
times the devices of the run. The learning rate follows Adam's square-root
rule (Malladi et al., 2022, "On the SDEs and Scaling Rules for Adaptive
Gradient Algorithms"): a k times larger batch takes sqrt(k) times the rate.
"""

from __future__ import annotations

import contextlib
import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from pyimagesearch.errors import ArgumentError
from pyimagesearch.nn.parallel.batchplan import pad_batch

DISTRIBUTE_MODES = ("auto", "none", "data-parallel")


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


def join_processes(
    coordinator: str | None = None,
    numProcesses: int | None = None,
    processId: int | None = None,
) -> None:
    """Join a run of several processes (JAX backend): `coordinator` is
    process 0's HOST:PORT. Arguments left None are read from the
    environment (KERAS_DISTRIBUTION_JOB_ADDRESSES, ..._NUM_PROCESSES,
    ..._PROCESS_ID, or a cluster JAX detects). Call before any Keras
    computation."""
    import keras

    if keras.backend.backend() != "jax":
        raise ArgumentError(
            "coordinator",
            f"training across processes needs the JAX backend (KERAS_BACKEND=jax), not "
            f"{keras.backend.backend()}: TensorFlow's multi-worker strategy does not work "
            "with Keras 3 (keras-team/keras#20585)",
        )
    if coordinator is not None:
        check_address(coordinator)
    if numProcesses is not None and processId is not None and not 0 <= processId < numProcesses:
        raise ArgumentError(
            "processId", f"{processId} is not in [0, {numProcesses}) for {numProcesses} processes"
        )
    try:
        keras.distribution.initialize(coordinator, numProcesses, processId)
    except ValueError as error:  # JAX found no coordinator, count or id
        raise ArgumentError(
            "coordinator",
            f"give process 0's HOST:PORT, the process count and this process's id "
            f"(or the KERAS_DISTRIBUTION_* variables): {error}",
        ) from None


def check_address(coordinator: str) -> None:
    """Raise `ArgumentError` unless `coordinator` reads as HOST:PORT (an IPv6
    host in brackets) with a port from 1 to 65535: JAX would otherwise wait
    minutes on it, or crash."""
    (host, colon, port) = coordinator.rpartition(":")
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    if not (colon and host and "[" not in host and "]" not in host and port.isdigit()
            and 1 <= int(port) <= 65535):  # fmt: skip
        raise ArgumentError(
            "coordinator",
            f"{coordinator!r} is not HOST:PORT with a port from 1 to 65535 "
            "(like 10.0.0.1:1234, or [::1]:1234 for IPv6)",
        )


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
        import tensorflow as tf

        strategy = tf.distribute.MirroredStrategy(devices)
    elif backend == "jax":
        strategy = keras.distribution.DataParallel(devices=devices)
        strategy.auto_shard_dataset = False  # each process reads its own shard
    else:
        raise ArgumentError(
            "distribute",
            f"data-parallel runs need the TensorFlow or JAX backend, not {backend}: use none",
        )
    return Replicas(len(devices), localDevices, processIndex, processCount, strategy)


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
