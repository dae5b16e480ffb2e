"""Where the training split is held while AlexNet trains: the choice
between streaming it from HDF5, holding it in RAM and holding it on the
accelerator."""

from __future__ import annotations

from pyimagesearch.errors import ArgumentError

CACHE_MODES = ("auto", "none", "memory", "device")
# "fits comfortably": at most this share of the free memory
COMFORTABLE_SHARE = 0.5


def choose_cache(cache: str, splitBytes: int) -> tuple[str, str]:
    """(mode, reason) for the asked `cache` mode and a split of `splitBytes`.

    "auto" is "device" when an accelerator is visible and the split fits in
    half its free memory, else "memory" when it fits in half the RAM
    available now, else "none".
    """
    from pyimagesearch.nn.parallel.devices import (
        accelerators,
        free_accelerator_bytes,
        free_host_bytes,
    )

    if cache not in CACHE_MODES:
        raise ArgumentError("cache", f"{cache!r} is not one of {', '.join(CACHE_MODES)}")
    gigabytes = f"{splitBytes / 1e9:.2f} GB"
    if cache != "auto":
        return cache, f"asked for ({gigabytes} of images)"
    if accelerators():
        free = free_accelerator_bytes()
        if free is not None and splitBytes <= COMFORTABLE_SHARE * free:
            return (
                "device",
                f"{gigabytes} of images fit in the accelerator's {free / 1e9:.1f} GB free",
            )
        reason = (
            f"{gigabytes} of images do not fit comfortably in the accelerator's "
            f"{free / 1e9:.1f} GB free"
            if free is not None
            else "the accelerator's free memory is unknown"
        )
    else:
        reason = "no accelerator is visible"
    host = free_host_bytes()
    if host is not None and splitBytes <= COMFORTABLE_SHARE * host:
        return "memory", f"{reason}; they fit in the {host / 1e9:.1f} GB of RAM available"
    return "none", f"{reason}, nor comfortably in RAM: streamed from the HDF5 file"
