"""What the Keras backend computes on, asked through the backend itself."""

import keras


def accelerators():
    """The names of the GPUs (or TPUs) the Keras backend sees; [] on a CPU."""
    backend = keras.backend.backend()
    if backend == "tensorflow":
        import tensorflow as tf

        return [d.name for d in tf.config.list_physical_devices("GPU")]
    if backend == "jax":
        import jax

        return [str(d) for d in jax.devices() if d.platform != "cpu"]
    if backend == "torch":
        import torch

        return [torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count())]
    return []


def describe():
    """One line: the backend and the devices it trains on."""
    found = accelerators()
    where = ", ".join(found) if found else "the CPU (no GPU visible)"
    return f"Keras {keras.__version__} on {keras.backend.backend()}: {where}"
