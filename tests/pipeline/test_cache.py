"""`pipeline.cache`: "auto" puts the training split on the device, in RAM or
streams it, by the sizes it is given; an asked mode is obeyed."""


def test_auto_cache_prefers_the_device_then_ram_then_streaming(monkeypatch):
    from pyimagesearch.nn.parallel import devices
    from pyimagesearch.pipeline import cache

    def machine(gpus, gpu_free, ram_free):
        monkeypatch.setattr(devices, "accelerators", lambda: gpus)
        monkeypatch.setattr(devices, "free_accelerator_bytes", lambda: gpu_free)
        monkeypatch.setattr(devices, "free_host_bytes", lambda: ram_free)

    gigabytes = 3.9e9
    machine(["gpu:0"], 140e9, 100e9)
    assert cache.choose_cache("auto", gigabytes)[0] == "device"
    machine(["gpu:0"], 6e9, 100e9)  # fits, but not comfortably
    assert cache.choose_cache("auto", gigabytes)[0] == "memory"
    machine([], None, 100e9)
    assert cache.choose_cache("auto", gigabytes)[0] == "memory"
    machine([], None, 6e9)
    (mode, reason) = cache.choose_cache("auto", gigabytes)
    assert mode == "none" and "no accelerator" in reason
    machine([], None, 1e9)
    assert cache.choose_cache("device", gigabytes)[0] == "device"  # asked for: obeyed
