"""Where a model runs: the devices and processes of a run (`devices`,
`replicas`, `processes`) and how batches are cut and padded for them (`batchplan`).
Nothing here imports the rest of `pyimagesearch`."""
