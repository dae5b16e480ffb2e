"""`nn.parallel.devices`, what the Keras backend computes on: the one line
that names it, and the free memory the cache is sized by (the host's in
bytes; none for an accelerator where there is none). Those who choose by
them are tested with these functions replaced (test_cache.py)."""

import os

from pyimagesearch.nn.parallel import devices


def test_the_devices_are_named_and_the_free_memory_is_in_bytes(monkeypatch):
    monkeypatch.setattr(devices, "accelerators", lambda: [])
    assert devices.describe().endswith(": the CPU (no GPU visible)")
    assert devices.free_accelerator_bytes() is None
    monkeypatch.setattr(devices, "accelerators", lambda: ["gpu:0", "gpu:1"])
    assert devices.describe().endswith(": gpu:0, gpu:1")
    total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    assert total / 1024 < devices.free_host_bytes() <= total
