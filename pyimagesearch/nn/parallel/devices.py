"""What the Keras backend computes on, asked through the backend itself."""

from __future__ import annotations

import keras


def accelerators() -> list[str]:
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


def describe() -> str:
    """One line: the backend and the devices it trains on."""
    found = accelerators()
    where = ", ".join(found) if found else "the CPU (no GPU visible)"
    return f"Keras {keras.__version__} on {keras.backend.backend()}: {where}"


def free_accelerator_bytes() -> int | None:
    """Free memory of the first accelerator, in bytes, or None when there is
    none or the backend cannot tell."""
    if not accelerators():
        return None
    backend = keras.backend.backend()
    try:
        if backend == "jax":
            import jax

            stats = next(d for d in jax.devices() if d.platform != "cpu").memory_stats()
            return int(stats["bytes_limit"] - stats["bytes_in_use"])
        if backend == "torch":
            import torch

            return int(torch.cuda.mem_get_info()[0])
        import subprocess

        free = subprocess.run(
            ["nvidia-smi", "--query-gpu=memory.free", "--format=csv,noheader,nounits"],
            capture_output=True,
            text=True,
            timeout=10,
        ).stdout.split()
        return int(free[0]) * 2**20
    except Exception:  # no way to ask: say so, and let the caller choose safely
        return None


def free_host_bytes() -> int | None:
    """Memory the system has available now, in bytes, or None where unknown."""
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return None
